"""A view that merges the batch with the dims after it and adds or drops dims of size 1
(`x.view(-1, 1, h, w)` for a per-channel filter, StyleGAN2's upfirdn2d `input.reshape(-1, in_h,
in_w, 1)`) keeps every row inside one sample, like `(B, T, V) -> (B*T, V)`: no SHP004, and the
merged size is known, so the view back gives the batch again. A -1 view that cuts samples into
rows of another size is still SHP004. Shapes against torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class Blur(nn.Module):  # shapelint: input=(2, 4, 8, 8)
    def __init__(self):
        super().__init__()
        self.register_buffer("kernel", torch.ones(1, 1, 3, 3) / 9)

    def forward(self, x):
        b, c, h, w = x.shape
        y = F.conv2d(x.view(-1, 1, h, w), self.kernel, padding=1)
        z = x.reshape(-1, h, w, 1).permute(0, 3, 1, 2)
        return y.view(-1, c, h, w) + z.reshape(b, c, h, w)


class Rows(nn.Module):  # shapelint: input=(2, 32, 8, 8)
    def forward(self, x):
        return x.view(-1, 512)
'''


def _result():
    return check_source("m.py", SRC, explain=True)


def test_a_merge_with_unit_dims_keeps_the_batch():
    import torch

    want = tuple(load(SRC, "m.py").Blur()(torch.zeros(2, 4, 8, 8)).shape)
    result = _result()
    report = next(r for r in result.models if r.name == "Blur")
    assert not [f for f in result.findings if f.severity == "error" and f.line < 17]
    assert tuple(report.output) == want == (2, 4, 8, 8)
    assert [tuple(r.out) for r in report.layers if r.op == ".view()"][0] == (8, 1, 8, 8)


def test_rows_of_another_size_still_change_the_batch():
    import torch

    assert tuple(load(SRC, "m.py").Rows()(torch.zeros(2, 32, 8, 8)).shape) == (8, 512)
    assert [f.code for f in _result().findings if f.line == 20] == ["SHP004"]
