"""torch.linspace(start, end, steps) with steps a size read from a tensor (`h` of `x.shape`, as
CoordConv builds its coordinate channels): a 1-d tensor of `steps` values, symbolic when the size
is, so a channel count after the concatenation is checked with nothing declared too. Each model
is run with torch; shapelint's output is torch's, and a mismatch torch raises on is an error."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(decl, in_channels, coords="torch.linspace(-1, 1, h), torch.linspace(-1, 1, w)"):
    return HEAD + (
        f"class M(nn.Module):{decl}\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.stem = nn.Conv2d(3, 4, 3)\n"
        f"        self.conv = nn.Conv2d({in_channels}, 6, 1)\n\n"
        "    def forward(self, x):\n"
        "        x = self.stem(x)\n"
        "        b, _, h, w = x.shape\n"
        f"        yy, xx = torch.meshgrid({coords}, indexing='ij')\n"
        "        coords = torch.stack([yy, xx]).expand(b, -1, -1, -1)\n"
        "        return self.conv(torch.cat([x, coords], dim=1))\n"
    )


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.parametrize("dims", [(2, 3, 9, 13), (1, 3, 5, 5)])
def test_linspace_of_a_read_size_has_torchs_shape(dims):
    src = _model(f"  # shapelint: input={dims}", 6)
    outcome = run_model(src, "M", list(dims))
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output


def test_with_nothing_declared_the_symbolic_shape_flows_and_a_right_model_is_clean():
    report, errors = _lint(_model("", 6))
    assert errors == []
    assert report.output is not None and report.output[1] == 6


def test_a_channel_count_that_forgets_the_coordinates_is_an_error_at_every_input():
    src = _model("  # shapelint: input=(2, 3, 9, 13)", 4)
    assert run_model(src, "M", [2, 3, 9, 13]).verdict != "ok"
    assert [f.code for f in _lint(src)[1]] == ["SHP001"]
    assert [f.code for f in _lint(_model("", 4))[1]] == ["SHP001"]


def test_an_opaque_steps_stays_unknown():
    src = _model("  # shapelint: input=(2, 3, 9, 13)", 6, "torch.linspace(-1, 1, int(x.sum())), torch.linspace(-1, 1, w)")
    report, errors = _lint(src)
    assert errors == [] and report.output is None
