"""A layer built in a loop over a parameter list (`[nn.Conv2d(c, out, 1) for c in in_channels_list]`,
or a `for c in channels:` statement) whose channel count is wrong: the finding is at the element
of the call's list literal that gave it (`FeaturePyramid([32, 48, 48], 24)`: the last 48), even
when another element holds the same number. torch raises for each model marked bad; where the
source does not say for certain (the parameter rebound, the list changed in place), the finding
stays at the layer."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(builder, call="Lateral([4, 6, 6], 5)", extra=""):
    return HEAD + (
        "class Lateral(nn.Module):\n"
        "    def __init__(self, chans, out):\n        super().__init__()\n"
        f"{extra}"
        f"{builder}"
        "\n    def forward(self, xs):\n"
        "        return [conv(x) for conv, x in zip(self.convs, xs)]\n\n\n"
        "class M(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.a = nn.Conv2d(3, 4, 1)\n        self.b = nn.Conv2d(4, 6, 1)\n        self.c = nn.Conv2d(6, 8, 1)\n"
        f"        self.lateral = {call}\n\n"
        "    def forward(self, x):\n"
        "        a = self.a(x)\n        b = self.b(a)\n        c = self.c(b)\n"
        "        return self.lateral([a, b, c])\n"
    )


COMPREHENSION = "        self.convs = nn.ModuleList([nn.Conv2d(c, out, 1) for c in chans])\n"
ENUMERATED = ("        self.convs = nn.ModuleList()\n"
              "        for i, c in enumerate(chans):\n            self.convs.append(nn.Conv2d(c, out + i - i, 1))\n")
STATEMENT = ("        self.convs = nn.ModuleList()\n"
             "        for c in chans:\n            self.convs.append(nn.Conv2d(c, out, 1))\n")


def _errors(src):
    return [f for f in check_source("m.py", src).findings if f.severity == "error"]


def _position_of_last_six(src):
    line_no = next(i for i, line in enumerate(src.splitlines(), 1) if "Lateral([4, 6, 6], 5)" in line)
    line = src.splitlines()[line_no - 1]
    return line_no, line.index("6], 5)") + 1


@pytest.mark.parametrize("builder", [COMPREHENSION, STATEMENT, ENUMERATED], ids=["comprehension", "for statement", "enumerate"])
def test_the_finding_is_at_the_element_that_gave_the_wrong_width(builder):
    src = _model(builder)
    assert run_model(src, "M", [2, 3, 8, 8]).verdict == "crash"
    (f,) = _errors(src)
    assert (f.code, (f.line, f.column)) == ("SHP001", _position_of_last_six(src))


def test_a_right_model_has_no_finding():
    src = _model(COMPREHENSION, call="Lateral([4, 6, 8], 5)")
    assert run_model(src, "M", [2, 3, 8, 8]).verdict == "ok"
    assert _errors(src) == []


@pytest.mark.parametrize("extra", ["        chans = list(chans)\n", "        chans[2] = 6\n"],
                         ids=["rebound", "changed in place"])
def test_where_the_literal_may_not_be_what_the_loop_read_the_finding_stays_at_the_layer(extra):
    src = _model(COMPREHENSION, call="Lateral([4, 6, 8], 5)" if "chans[2]" in extra else "Lateral([4, 6, 6], 5)",
                 extra=extra)
    assert run_model(src, "M", [2, 3, 8, 8]).verdict == "crash"
    (f,) = _errors(src)
    conv_line = next(i for i, line in enumerate(src.splitlines(), 1) if "nn.Conv2d(c, out, 1)" in line)
    assert f.line == conv_line
