"""A set display of numbers (`attention_resolutions={2, 4}`, guided-diffusion's U-Net) is a set:
`ds in attention_resolutions` decides which blocks get attention, as it does in Python; a set of
strings stays unknown (its iteration order changes per process), and a `set()` call is a set too
for `in`. Each width is checked against torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self, attention_resolutions={2, 4}, skip=(1,)):
        super().__init__()
        width, ds = 1, 1
        for _ in range(3):
            if ds in attention_resolutions:
                width += ds
            if ds not in set(skip):
                width += 10
            ds *= 2
        self.fc = nn.Linear(3, width + len({1, 1, 2}))

    def forward(self, x):
        return self.fc(x)


class Strings(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, len(list({"relu", "gelu"})[0]))

    def forward(self, x):
        return self.fc(x)
'''


def _report(name):
    return next(r for r in check_source("m.py", SRC, explain=True).models if r.name == name)


def test_membership_in_a_set_display_picks_torchs_width():
    import torch

    want = tuple(load(SRC, "m.py").Net()(torch.zeros(2, 3)).shape)
    assert want == (2, 1 + 2 + 4 + 20 + 2)
    assert tuple(_report("Net").output) == want


def test_a_set_of_strings_stays_unknown():
    out = _report("Strings").output
    assert out is None or not all(isinstance(d, int) for d in out)
