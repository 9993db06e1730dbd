"""`self.training` while a model is built: torch builds every module in training mode, and
`.eval()`, `.train(mode)` (on the module and its submodules) and `self.training = flag` change it.
YOLOv5 runs its forward in `__init__` to measure the strides, so the forward's mode branch
decides what is built; each width is compared with torch's."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        y = self.conv(x)
        return [y, y] if self.training else y


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.probe = Probe()
        width = len(self.probe(torch.zeros(1, 3, 8, 8)))  # a list of 2 in training mode
        self.probe.eval()
        width += 10 * (not self.probe.training) + 100 * self.training
        self.probe.train()
        width += 1000 * self.probe.conv.training
        self.training = False
        width += 10000 * (not self.training)
        self.train(False)
        width += 100000 * (not self.probe.training)
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(self.probe.conv(x).mean((2, 3)))
'''


def test_the_mode_while_built_is_torchs():
    import torch

    want = tuple(load(SRC, "m.py").Net()(torch.zeros(2, 3, 8, 8)).shape)
    report = next(r for r in check_source("m.py", SRC, explain=True).models if r.name == "Net")
    assert want == (2, 111112)
    assert tuple(report.output) == want
