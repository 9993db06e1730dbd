"""Lazy* layers in the static summary: torch creates their tensors at the first call, so the
counts equal torch's after one forward when every path calls the layer on a known size, and
are unknown when a call is on one undecided path only (torch may never create them)."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(8, 3, groups=1)
        self.bn = nn.LazyBatchNorm2d()
        self.inorm = nn.LazyInstanceNorm2d()
        self.fc = nn.LazyLinear(5)

    def forward(self, x):
        x = self.inorm(self.bn(self.conv(x)))
        return self.fc(torch.flatten(x, 1))
'''


def _total(src):
    report = next(r for r in check_source("m.py", src, explain=True).models if r.name == "Net")
    return report.summary["total"]


def test_lazy_layers_count_what_their_first_call_creates():
    import torch

    model = load(SRC, "m.py").Net()
    model(torch.zeros(2, 3, 8, 8))
    want = (sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
    got = _total(SRC)
    assert (got["params"], got["buffers"]) == want
    assert want[1] == 2 * (2 * 8 + 1)  # running stats of both norms: LazyInstanceNorm tracks them by default


def test_a_lazy_layer_called_on_one_undecided_path_has_no_count():
    src = SRC.replace("        return self.fc(torch.flatten(x, 1))",
                      "        if x.sum() > 0:\n            return self.fc(torch.flatten(x, 1))\n        return x")
    assert _total(src)["params"] is None
