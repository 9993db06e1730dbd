"""`isinstance(layer, TimestepBlock)` in a dispatching Sequential (guided diffusion's
TimestepEmbedSequential): a torch layer is never an instance of a class of the user's file whose
metaclass is `type`, so only the other branch runs; a class with `metaclass=ABCMeta` may
`register` torch's classes, so there it stays undecided. Compared with torch's call counts."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''from abc import ABCMeta, abstractmethod

import torch.nn as nn


class TimestepBlock(nn.Module):
    @abstractmethod
    def forward(self, x, emb):
        """x given emb."""


class Registered(nn.Module, metaclass=ABCMeta):
    pass


Registered.register(nn.Linear)


class Dispatch(nn.Sequential, TimestepBlock):
    def forward(self, x, emb):
        for layer in self:
            if isinstance(layer, TimestepBlock):
                x = layer(x, emb)
            else:
                x = layer(x)
        return x


class Net(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self):
        super().__init__()
        self.seq = Dispatch(nn.Linear(3, 4))
        self.width = 4 if isinstance(nn.Linear(1, 1), Registered) else 5

    def forward(self, x):
        return self.seq(x, x)
'''


def test_torch_layer_is_no_instance_of_a_plain_user_class():
    import torch

    net = load(SRC, "m.py").Net()
    calls = []
    net.seq[0].register_forward_hook(lambda m, i, o: calls.append(tuple(o.shape)))
    net(torch.zeros(2, 3))
    report = next(r for r in check_source("m.py", SRC, explain=True).models if r.name == "Net")
    rows = [r for r in report.layers if r.module == "seq.0"]
    assert [tuple(r.out) for r in rows] == calls == [(2, 4)]
    assert net.width == 4  # the ABCMeta class took nn.Linear as a virtual subclass
