"""callable(lambda: ...) is True, as lucidrains' `default(val, d)` helper relies on
(`d() if callable(d) else d`, called with `lambda: torch.zeros_like(x)`): the self-conditioning
input keeps its shape; a number given as the default is not called. Against torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn


def default(val, d):
    if val is not None:
        return val
    return d() if callable(d) else d


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, default(None, 4) + default(None, lambda: 1), 3, padding=1)

    def forward(self, x, x_self_cond=None):
        x_self_cond = default(x_self_cond, lambda: torch.zeros_like(x))
        return self.conv(torch.cat((x_self_cond, x), dim=1))
'''


def test_a_lambda_default_is_called_as_python_calls_it():
    import torch

    want = tuple(load(SRC, "m.py").Net()(torch.zeros(2, 3, 8, 8)).shape)
    report = next(r for r in check_source("m.py", SRC, explain=True).models if r.name == "Net")
    assert want == (2, 5, 8, 8)
    assert tuple(report.output) == want
