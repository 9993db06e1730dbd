"""F.conv1d/2d/3d on a weight tensor, F.affine_grid and F.grid_sample against real torch: the output
shape when torch accepts (StyleGAN's grouped per-sample conv, a spatial transformer); where torch
rejects, unknown, and for a conv whose sizes are all known an SHP006 at the call; and the `x.view(1, B * C, H, W)` fold of a grouped conv is no SHP004."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from conftest import run_cli
from torch_oracle import run_model

pytestmark = pytest.mark.torch

SOURCE = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros({weight}))

    def forward(self, x):
        b = x.size(0)
        return {expr}
"""

# (the weight parameter's shape, the input's shape, the forward's expression)
CASES = [
    ((6, 4, 3, 3), (2, 4, 8, 8), "F.conv2d(x, self.w, padding=1)"),
    ((6, 2, 3, 3), (2, 4, 9, 9), "F.conv2d(x, self.w, stride=2, groups=2)"),
    ((6, 4, 3, 3), (2, 4, 8, 8), "F.conv2d(x, self.w, padding='same', dilation=2)"),
    ((6, 4, 3), (2, 4, 10), "F.conv1d(x, self.w, stride=3, padding=2)"),
    ((5, 3, 1, 3, 3), (2, 3, 4, 6, 6), "F.conv3d(x, self.w, padding=(0, 1, 1))"),
    ((6, 3, 3, 3), (2, 4, 8, 8), "F.conv2d(x, self.w)"),
    ((5, 2, 3, 3), (2, 4, 8, 8), "F.conv2d(x, self.w, groups=2)"),
    ((12, 4, 3, 3), (2, 4, 8, 8), "F.conv2d(x.view(1, b * 4, 8, 8), self.w, padding=1, groups=b).view(b, 6, 8, 8)"),
    ((2, 2, 3), (2, 1, 5, 7), "F.grid_sample(x, F.affine_grid(self.w, x.size(), align_corners=False), align_corners=False)"),
    ((2, 2, 3), (2, 1, 5, 7), "F.grid_sample(x, F.affine_grid(self.w, (2, 1, 3, 4), align_corners=False), align_corners=False)"),
    ((2, 3, 4), (2, 1, 5, 7), "F.affine_grid(self.w, x.size(), align_corners=False)"),
    ((2, 4, 6, 2), (2, 3, 5, 7), "F.grid_sample(x, self.w, align_corners=False)"),
    ((2, 4, 6, 3), (2, 3, 5, 7), "F.grid_sample(x, self.w, align_corners=False)"),
]


def _lint(source, inp):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json",
                       "--input-shape", f"Net={','.join(map(str, inp))}", path)
    return json.loads(proc.stdout)


@pytest.mark.parametrize("weight, inp, expr", CASES, ids=[c[2][:60] for c in CASES])
def test_functional_conv_and_sampling_are_torchs(weight, inp, expr):
    source = SOURCE.format(weight=", ".join(map(str, weight)), expr=expr)
    real = run_model(source, "Net", list(inp))
    data = _lint(source, inp)
    errors = [d for d in data["diagnostics"] if d["severity"] in ("error", "warning")]
    output = next(m for m in data["models"] if m["class"] == "Net")["output"]
    if real.verdict == "ok":
        assert not errors, errors
        assert output == list(real.output), (output, real.output)
    else:
        assert output is None, (output, real.error)
        # a conv whose every size is known: torch's refusal is an SHP006 at the call; sampling stays unknown
        assert [(d["code"], d["line"]) for d in errors] == ([("SHP006", 13)] if expr.startswith("F.conv") else []), errors


def test_the_cases_include_both_verdicts():
    verdicts = [run_model(SOURCE.format(weight=", ".join(map(str, w)), expr=e), "Net", list(i)).verdict for w, i, e in CASES]
    assert verdicts.count("ok") >= 8 and verdicts.count("ok") < len(CASES)
