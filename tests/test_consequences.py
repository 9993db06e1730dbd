"""An error that only follows from an earlier one is folded into it (issue 16.5,
engine/consequences.py): one finding per defect, with the later failure as a related location.

The oracle is torch: the squeeze-excite block given the wrong width raises at conv_reduce, the
first error, and never reaches the broadcast that shapelint would otherwise report second. Two
defects whose numbers come from two places stay two findings.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

SQUEEZE = """import torch.nn as nn


class SqueezeExcite(nn.Module):
    def __init__(self, chs):
        super().__init__()
        self.reduce = nn.Conv2d(chs, 4, 1)
        self.expand = nn.Conv2d(4, chs, 1)

    def forward(self, x):
        s = self.expand(self.reduce(x.mean((2, 3), keepdim=True)))
        return x * s.sigmoid()


class Block(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self, cin=3, mid=32):
        super().__init__()
        self.conv = nn.Conv2d(cin, mid, 3, padding=1)
        self.se = SqueezeExcite(16)

    def forward(self, x):
        return self.se(self.conv(x))
"""

TWO_DEFECTS = """import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.pool(self.bn(self.conv(x))).flatten(1))
"""


def _line(source, text):
    (n,) = [i for i, ln in enumerate(source.splitlines(), 1) if text in ln]
    return n


def _errors(tmp_path, source):
    p = tmp_path / "m.py"
    p.write_text(source)
    r = run_cli("--isolated", "--format", "json", str(p))
    return [d for d in json.loads(r.stdout) if d["severity"] == "error"]


@pytest.mark.torch
def test_a_broadcast_that_follows_from_a_wrong_width_is_folded_into_it(tmp_path):
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match="expected input.*to have 16 channels, but got 32 channels"):
        load(SQUEEZE).Block()(torch.zeros(2, 3, 8, 8))
    (d,) = _errors(tmp_path, SQUEEZE)
    assert (d["code"], d["line"]) == ("SHP001", _line(SQUEEZE, "self.se = SqueezeExcite(16)"))
    (then,) = [r for r in d["related"] if r["message"].startswith("which then fails here too (SHP006)")]
    assert then["line"] == _line(SQUEEZE, "return x * s.sigmoid()")


@pytest.mark.torch
def test_two_defects_from_two_places_stay_two_findings(tmp_path):
    """BatchNorm2d(8) after 16 channels, and Linear(32) after them: torch stops at the first, but
    the second number is written elsewhere and is wrong on its own."""
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match="running_mean should contain 16 elements not 8"):
        load(TWO_DEFECTS).Net()(torch.zeros(2, 3, 8, 8))
    errors = _errors(tmp_path, TWO_DEFECTS)
    assert sorted((d["code"], d["line"]) for d in errors) == [
        ("SHP001", _line(TWO_DEFECTS, "nn.BatchNorm2d(8)")), ("SHP002", _line(TWO_DEFECTS, "nn.Linear(32, 10)"))]
    assert not any("which then fails" in r["message"] for d in errors for r in d.get("related", []))


TILED_TWICE = """import torch
import torch.nn as nn


def tile(x, size):
    B, H, W, C = x.shape
    return x.view(B, H // size, size, W // size, size, C)


class Block(nn.Module):
    def __init__(self, size=4):
        super().__init__()
        self.size = size
        self.register_buffer("mask", tile(torch.zeros(1, 8, 8, 1), size))

    def forward(self, x):
        return tile(x, self.size)


class Bad(Block):  # shapelint: input=(2, 8, 8, 16)
    def __init__(self):
        super().__init__(size=3)
"""


@pytest.mark.torch
def test_one_view_failing_in_two_calls_with_one_wrong_size_is_one_finding(tmp_path):
    """tile() fails on the constructor's mask (where torch raises) and again on the forward's
    input: one SHP003, naming the call that passed size=3, saying one more call fails."""
    import torch
    from torch_oracle import load

    load(TILED_TWICE).Block()(torch.zeros(2, 8, 8, 16))
    with pytest.raises(RuntimeError, match=r"shape '\[1, 2, 3, 2, 3, 1\]' is invalid for input of size 64"):
        load(TILED_TWICE).Bad()
    (d,) = _errors(tmp_path, TILED_TWICE)
    assert (d["code"], d["line"]) == ("SHP003", _line(TILED_TWICE, "return x.view("))
    assert "cannot reshape (1, 8, 8, 1)" in d["message"] and d["message"].endswith("(and 1 more call with other sizes)")
    assert _line(TILED_TWICE, "super().__init__(size=3)") in [r["line"] for r in d["related"]]
