"""torch.is_tensor as diffusers' UNet calls it (`if not torch.is_tensor(timesteps): timesteps =
torch.tensor([timesteps])`): decided for tensors, parameters, numbers, None and containers, so
the timestep embedding keeps its shape; each answer is checked against real torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(3))
        answers = [torch.is_tensor(v) for v in (self.p, 3, 2.5, None, [torch.zeros(1)], (1,), "x", nn.ReLU())]
        self.fc = nn.Linear(3, 1 + sum(2 ** i for i, a in enumerate(answers) if a))

    def forward(self, x):
        t = x[:, 0]
        if not torch.is_tensor(t):
            t = torch.tensor([t])
        return self.fc(x) + t[:, None] * torch.is_tensor(x.shape[0])
'''


def test_is_tensor_answers_are_torchs():
    import torch

    want = tuple(load(SRC, "m.py").Net()(torch.zeros(2, 3)).shape)
    report = next(r for r in check_source("m.py", SRC, explain=True).models if r.name == "Net")
    assert want == (2, 2)
    assert tuple(report.output) == want
