"""F.conv2d with a weight computed in forward (StyleGAN2's modulated conv): where every size is
known and torch refuses the weight (in-channels times groups differ from the input's, or groups
do not divide the out-channels) shapelint reports SHP006 at the call; where torch runs, no
finding and torch's shape; with the batch undeclared, the sizes stay symbolic: no finding."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

TEMPLATE = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class ModConv(nn.Module):  # shapelint: input=(2, 8, 6, 6)
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, OUT, 8, 3, 3))

    def forward(self, x):
        batch, c, h, w = x.shape
        weight = (self.weight * x.mean(dim=[2, 3]).view(batch, 1, c, 1, 1)).view(batch * OUT, c, 3, 3)
        out = F.conv2d(x.view(1, batch * c, h, w), weight, padding=1, groups=GROUPS)
        return out.view(batch, -1, h, w)
'''

CASES = [("12", "batch"), ("12", "1"), ("12", "batch * 2"), ("3", "4")]


@pytest.mark.parametrize("out,groups", CASES)
def test_functional_conv_refuses_exactly_where_torch_does(out, groups):
    import torch

    src = TEMPLATE.replace("OUT", out).replace("GROUPS", groups)
    try:
        want = tuple(load(src, "m.py").ModConv()(torch.zeros(2, 8, 6, 6)).shape)
    except RuntimeError:
        want = None
    result = check_source("m.py", src, explain=True)
    errors = [f for f in result.findings if f.severity == "error"]
    if want is None:
        assert [(f.code, f.line) for f in errors] == [("SHP006", 14)]
    else:
        assert not errors
        report = next(r for r in result.models if r.name == "ModConv")
        assert tuple(report.output) == want


def test_undeclared_batch_stays_unknown_without_a_finding():
    src = TEMPLATE.replace("OUT", "12").replace("GROUPS", "1").replace("  # shapelint: input=(2, 8, 6, 6)", "")
    assert not [f for f in check_source("m.py", src).findings if f.severity == "error"]
