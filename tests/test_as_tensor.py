"""torch.as_tensor (anchor generators: `torch.as_tensor(sizes, dtype=torch.float32)`): the shape of
the data as torch.tensor gives it, or a tensor's own shape; the dtype named, else the data's, so
an index built from it is judged as torch judges it. Each case runs in torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(expr, dims=(2, 3)):
    return HEAD + (f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
                   f"    def forward(self, x):\n        return {expr}\n")


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.parametrize("expr", [
    "x + torch.as_tensor([1.0, 2.0, 3.0])",
    "x[:, torch.as_tensor([0, 2])]",
    "x[torch.as_tensor([[0, 1], [1, 0]])]",
    "torch.as_tensor((8, 16), dtype=torch.float32)[:, None] * x[0]",
    "torch.as_tensor(x, dtype=torch.float64).sum(1)",
    "torch.as_tensor(x)[:, torch.as_tensor([1])]",
])
def test_as_tensor_has_torchs_shape(expr):
    src = _model(expr)
    outcome = run_model(src, "M", [2, 3])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output


def test_a_float_index_from_as_tensor_is_not_read_as_an_integer_one():
    src = _model("x[:, torch.as_tensor([0, 2], dtype=torch.float32)]")
    assert run_model(src, "M", [2, 3]).verdict == "crash"
    assert _lint(src)[0].output is None


def test_data_shapelint_does_not_know_stays_unknown():
    report, errors = _lint(HEAD + "import os\n\nclass M(nn.Module):  # shapelint: input=(2, 3)\n"
                           "    def forward(self, x):\n        return torch.as_tensor(os.environ.get('A', [1]))\n")
    assert errors == [] and report.output is None
