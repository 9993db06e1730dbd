"""isinstance decided in a constructor where Python's answer is certain: a list against
typing.Sequence, a dict against it, an instance of the file's class against it, its base and an
unrelated class; the output width each picks equals torch's."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''from typing import Sequence

import torch
import torch.nn as nn


class Base:
    pass


class Config(Base):
    pass


class Other:
    pass


class Net(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self):
        super().__init__()
        cfg, d = Config(), {"a": 1}
        width = 1
        if isinstance([cfg], Sequence):
            width += 2
        if isinstance(d, Sequence):
            width += 4
        if isinstance(cfg, Base):
            width += 8
        if isinstance(cfg, (Other, Config)):
            width += 16
        if isinstance(cfg, Other):
            width += 32
        self.fc = nn.Linear(3, width)

    def forward(self, x):
        return self.fc(x)
'''


def test_isinstance_in_a_constructor_picks_torchs_width():
    import torch

    want = tuple(load(SRC, "m.py").Net()(torch.zeros(2, 3)).shape)
    report = next(r for r in check_source("m.py", SRC, explain=True).models if r.name == "Net")
    assert want == (2, 1 + 2 + 8 + 16)
    assert tuple(report.output) == want
