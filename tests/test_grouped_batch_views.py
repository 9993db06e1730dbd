"""StyleGAN2-ada's modulated conv folds the batch into the channels for a grouped conv and back:
`x.reshape(1, -1, *x.shape[2:])` (the -1 is B*C), `F.conv2d(..., groups=batch_size)`,
`x.reshape(batch_size, -1, *x.shape[2:])`. Each sample stays whole, so no SHP004; a -1 that
would split a sample (`reshape(1, -1, 8)` of (B, 3, 4, 4)) still mixes the batch. Against torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class ModConv(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(5, 3, 3, 3))
        self.affine = nn.Linear(3, 3)

    def forward(self, x):
        batch_size = x.shape[0]
        styles = self.affine(x.mean(dim=[2, 3]))
        w = self.weight.unsqueeze(0) * styles.reshape(batch_size, 1, -1, 1, 1)
        x = x.reshape(1, -1, *x.shape[2:])
        w = w.reshape(-1, 3, 3, 3)
        x = F.conv2d(input=x, weight=w, padding=1, groups=batch_size)
        return x.reshape(batch_size, -1, *x.shape[2:])


class Mixes(nn.Module):  # shapelint: input=(2, 3, 4, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(x.reshape(1, -1, 8))
'''


def test_batch_folded_into_channels_for_a_grouped_conv_is_no_mixing():
    import torch

    want = tuple(load(SRC, "m.py").ModConv()(torch.zeros(2, 3, 8, 8)).shape)
    result = check_source("m.py", SRC, explain=True)
    report = next(r for r in result.models if r.name == "ModConv")
    mod_lines = range(7, 21)
    assert not [f for f in result.findings if f.code == "SHP004" and f.line in mod_lines]
    assert tuple(report.output) == want == (2, 5, 8, 8)


def test_a_minus_one_that_splits_samples_still_mixes_the_batch():
    import torch

    assert tuple(load(SRC, "m.py").Mixes()(torch.zeros(2, 3, 4, 4)).shape)[:2] == (1, 12)  # 2 samples -> 1 row
    result = check_source("m.py", SRC, explain=True)
    assert [f.line for f in result.findings if f.code == "SHP004"] == [28]
