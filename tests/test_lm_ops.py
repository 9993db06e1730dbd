"""Ops language-model code calls, against torch and einops (before, each was unknown):
torch.tensor_split (sections or indices, a method too), torch.multinomial (1-D and 2-D, with and
without replacement; more samples than categories without replacement raises, and is an
error), einops.einsum (pattern last, multi-letter axis names, `...`), whose oracle is einops, and
torch.tensor of a list of one-element tensors (Llama 3's `torch.tensor(new_freqs)`): their
count, the elements' dtype when all are tensors of one dtype (so it indexes as long).
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import torch
import torch.nn as nn
from einops import einsum


class Net(nn.Module):  # shapelint: x=(2, 10, 6), y=(2, 7, 6)
    def forward(self, x, y):
        return EXPR
'''

CASES = [
    "torch.tensor_split(x, 3, dim=1)[0]", "torch.tensor_split(x, 3, dim=1)[2]", "x.tensor_split(4, dim=-1)[3]",
    "torch.tensor_split(x, [2, 5], dim=1)[1]", "torch.tensor_split(x, (3, 20), dim=1)[2]", "x.tensor_split([4], 1)[1]",
    "torch.tensor_split(x, [-2], dim=1)[0]", "torch.tensor_split(x, 12, dim=1)[11]",
    "torch.multinomial(x[0, 0].softmax(-1), 3)", "torch.multinomial(x[0].softmax(-1), 2).float()",
    "x[0].softmax(-1).multinomial(9, replacement=True)",
    "einsum(x, y, 'batch i d, batch j d -> batch i j')", "einsum(x, y, 'b i d, b j d -> b d')",
    "einsum(x, '... d -> ...')", "einsum(x, y, y, 'b i d, b j d, b k d -> b i j k')",
    "einsum(x, x, 'b i d, b j d -> b i j')",
    "torch.tensor([x[0, 0, 0], x[1, 2, 3]])", "torch.tensor([f * 2 for f in x[0, 0]])",
    "torch.tensor([[x[0, 0, :1], x[0, 1, :1]]], dtype=torch.float64)",
    "y[:, torch.tensor([torch.tensor(1), torch.tensor(2)])]", "y[:, torch.tensor([torch.tensor(1), torch.tensor(2)]) + 1]",
]
RAISES = ["torch.multinomial(x[0].softmax(-1), 7)"]


def _static(src):
    result = check_source("m.py", src)
    errors = [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    return errors, report.output


@pytest.mark.parametrize("expr", CASES)
def test_shape_is_torchs(expr):
    import torch

    src = SNIPPET.replace("EXPR", expr)
    want = list(load(src, "m.py").Net()(torch.randn(2, 10, 6), torch.randn(2, 7, 6)).shape)
    errors, got = _static(src)
    assert not errors and got == want, (expr, got, want)


@pytest.mark.parametrize("expr", RAISES)
def test_an_error_where_torch_raises(expr):
    import torch

    src = SNIPPET.replace("EXPR", expr)
    with pytest.raises(RuntimeError):
        load(src, "m.py").Net()(torch.randn(2, 10, 6), torch.randn(2, 7, 6))
    errors, _ = _static(src)
    assert [f.code for f in errors] == ["SHP006"], expr
