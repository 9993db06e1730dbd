"""The sizes SHP200 names as accepted are written in the input's dim order, not the symbols'
alphabetical one: YOLOv8's DFL reads (B, D1, A) and needs D1 = 64, so "64x1" runs in torch and
"1x64" (what the alphabetical A, D1 order printed) does not. Images (H, W) keep their text."""

import re

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch.nn as nn


class DFL(nn.Module):
    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)
'''


def test_the_example_size_is_one_torch_accepts():
    import torch

    note = next(f for f in check_source("m.py", SRC).findings if f.code == "SHP200")
    d1, a = map(int, re.search(r"such as (\d+)x(\d+)", note.message).groups())
    assert (d1, a) == (64, 1)
    model = load(SRC, "m.py").DFL()
    assert tuple(model(torch.zeros(2, d1, a)).shape) == (2, 4, a)
    with pytest.raises(RuntimeError):
        model(torch.zeros(2, a, d1))  # the old text's order
