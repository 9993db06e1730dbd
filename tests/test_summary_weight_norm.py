"""weight_norm in the static summary: the layer's tensors become weight_v (of weight's shape)
and weight_g (weight.size(dim) values; one for dim=None or -1), in both torch.nn.utils forms, as
torch counts them; another parameter's name is unknown."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn
from torch.nn.utils import weight_norm
from torch.nn.utils.parametrizations import weight_norm as param_weight_norm


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = weight_norm(nn.Conv2d(3, 6, 3))
        self.up = param_weight_norm(nn.ConvTranspose2d(6, 4, 2, stride=2))
        self.fc = weight_norm(nn.Linear(4, 5), name="weight", dim=0)

    def forward(self, x):
        x = self.up(self.conv(x))
        return self.fc(x.mean((2, 3)))
'''


def _params(src):
    report = next(r for r in check_source("m.py", src, explain=True).models if r.name == "Net")
    return report.summary["total"]["params"]


def test_weight_norm_layers_count_weight_v_and_weight_g():
    model = load(SRC, "m.py").Net()
    want = sum(p.numel() for p in model.parameters())
    assert want == (6 * 3 * 9 + 6 + 6) + (6 * 4 * 4 + 4 + 6) + (5 * 4 + 5 + 5)  # g: out, in (transposed), out
    assert _params(SRC) == want


@pytest.mark.parametrize("dim", ["1", "None", "-1", "-2", "2"])
@pytest.mark.parametrize("form", ["weight_norm", "param_weight_norm"])
def test_weight_norm_over_another_dim_counts_as_torch(dim, form):
    src = SRC.replace("self.conv = weight_norm(nn.Conv2d(3, 6, 3))", f"self.conv = {form}(nn.Conv2d(3, 6, 3), dim={dim})")
    src = src.replace('weight_norm(nn.Linear(4, 5), name="weight", dim=0)', f'{form}(nn.Linear(4, 5), "weight", {dim if dim != "2" else "0"})')
    want = sum(p.numel() for p in load(src, "m.py").Net().parameters())
    assert _params(src) == want


def test_weight_norm_of_another_parameter_is_unknown():
    assert _params(SRC.replace('name="weight", dim=0', 'name="bias"')) is None
