"""A size a view or a functional op reads was often written far from it: a helper's parameter,
given by a module attribute that the constructor set from its own parameter, which the model's
constructor call chose (issue 10.5, engine/size_origins.py). A view's finding stays where torch
raises (any of its sizes may be the wrong one), with the place each size was written as a related
location; a functional op's finding about one argument `self.<name>` moves to the call argument
that gave it (issue 16.4). A parameter rebound before the read has no such origin (the helper's
own number is not blamed on the call).

Every model here is run in real torch first: the failing ones must fail at the view, the
others are the control.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

HELPER_VIEW = """import torch.nn as nn


def tile(x, size):
    B, H, W, C = x.shape
    return x.view(B, H // size, size, W // size, size, C)


class Block(nn.Module):
    def __init__(self, dim, size=4):
        super().__init__()
        if dim > 100:
            size = 2
        self.size = size
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return tile(self.proj(x), self.size)


class Net(nn.Module):
    def __init__(self, size=4):
        super().__init__()
        self.block = Block(16, size=size)

    def forward(self, x):
        return self.block(x)


class Bad(Net):  # shapelint: input=(2, 8, 8, 16)
    def __init__(self):
        super().__init__(size=3)
"""

OWN_NUMBER = HELPER_VIEW.replace("        if dim > 100:\n            size = 2\n", "        size = 3\n").replace(
    "super().__init__(size=3)", "super().__init__(size=4)")

ATTRIBUTE_TUPLE = """import torch.nn as nn
import torch.nn.functional as F


class Norm(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.shape = (width,)

    def forward(self, x):
        return F.layer_norm(x, self.shape)


class Net(nn.Module):  # shapelint: input=(2, 8, 5)
    def __init__(self):
        super().__init__()
        self.norm = Norm(6)

    def forward(self, x):
        return self.norm(x)
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
def test_a_helper_view_names_the_constructor_call_that_chose_its_size(tmp_path):
    """size=3 travels Bad -> Net(size) -> Block(size=size) -> self.size -> tile(x, self.size); the
    `if dim > 100: size = 2` that could rebind it does not run (dim is 16)."""
    import torch
    from torch_oracle import load

    mod = load(HELPER_VIEW)
    mod.Net()(torch.zeros(2, 8, 8, 16))  # size 4 tiles the 8x8 map
    with pytest.raises(RuntimeError, match="is invalid for input of size 2048"):
        mod.Bad()(torch.zeros(2, 8, 8, 16))
    (d,) = _errors(tmp_path, HELPER_VIEW)
    assert (d["code"], d["line"]) == ("SHP003", _line(HELPER_VIEW, "return x.view("))
    spots = {x["line"]: x["message"] for x in d["related"]}
    call = _line(HELPER_VIEW, "super().__init__(size=3)")
    assert call in spots, d["related"]
    assert spots[call] == "`size` is 3, passed as `3` here"


@pytest.mark.torch
def test_a_size_the_helper_sets_itself_is_not_blamed_on_the_call(tmp_path):
    """`size = 3` written in Block's constructor: the call's size=4 did not reach the view; the size
    is traced to the forward's `tile(..., self.size)` and no further."""
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match="is invalid for input of size 2048"):
        load(OWN_NUMBER).Bad()(torch.zeros(2, 8, 8, 16))
    (d,) = _errors(tmp_path, OWN_NUMBER)
    assert d["code"] == "SHP003"
    origins = [x["line"] for x in d["related"] if "passed as" in x["message"]]
    assert origins == [_line(OWN_NUMBER, "return tile(self.proj(x), self.size)")], d["related"]


@pytest.mark.torch
def test_an_attribute_set_as_a_one_tuple_names_the_constructor_argument(tmp_path):
    """`self.shape = (width,)` read by F.layer_norm: torch refuses 6 for a last size of 5; the
    finding is at `Norm(6)`, where the 6 was written (issue 16.4), the forward's read related."""
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match=r"normalized_shape=\[6\]"):
        load(ATTRIBUTE_TUPLE).Net()(torch.zeros(2, 8, 5))
    (d,) = _errors(tmp_path, ATTRIBUTE_TUPLE)
    assert (d["code"], d["line"]) == ("SHP010", _line(ATTRIBUTE_TUPLE, "self.norm = Norm(6)"))
    assert d["message"].startswith("norm: F.layer_norm normalizes over [6] but the input ends with [5]"), d["message"]
    read = _line(ATTRIBUTE_TUPLE, "return F.layer_norm(x, self.shape)")
    assert [(x["line"], x["message"]) for x in d["related"]] == [
        (read, "norm's forward reads shape here (`F.layer_norm(x, self.shape)`)")], d["related"]
    assert d["fix"] is None  # the forward's line is shared by every Norm


def test_sarif_carries_the_origin_as_a_related_location(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(HELPER_VIEW)
    r = run_cli("--isolated", "--format", "sarif", str(p))
    (res,) = [x for x in json.loads(r.stdout)["runs"][0]["results"] if x["level"] == "error"]
    lines = [x["physicalLocation"]["region"]["startLine"] for x in res["relatedLocations"]]
    assert _line(HELPER_VIEW, "super().__init__(size=3)") in lines
