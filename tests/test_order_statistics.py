"""var_mean/std_mean, median/nanmedian/kthvalue/mode, cummax/cummin, ravel, tensor_split,
addcmul/addcdiv, broadcast_tensors, atleast_nd, diag_embed and F.conv_transpose1d/2d/3d: each
expression's shape (every output, for those that return several) equals torch's. Before, all were
unknown (a timm StdConv's `torch.var_mean` of its weight stopped the model)."""

import pytest
import torch

from shapelint.engine.check import check_source

pytestmark = pytest.mark.torch

F = "torch.nn.functional"
EXPRESSIONS = [
    ("torch.var_mean(x, [1, 2], keepdim=True, unbiased=False)", (2, 3, 4)), ("torch.var_mean(x)", (2, 3)),
    ("torch.std_mean(x, 1)", (2, 3, 4)), ("torch.std_mean(x, dim=-1, correction=0)", (2, 3, 4)),
    ("x.median()", (2, 5)), ("x.median(1)", (2, 5)), ("torch.median(x, dim=0, keepdim=True)", (2, 5)),
    ("x.nanmedian(-1)", (3, 4)), ("torch.kthvalue(x, 2, 1)", (2, 5)), ("x.kthvalue(3)", (2, 5)),
    ("x.kthvalue(1, 0, True)", (2, 5)), ("torch.mode(x, 1)", (2, 5)), ("x.mode()", (2, 3, 4)),
    ("x.cummax(1)", (2, 3)), ("torch.cummin(x, dim=-1)", (2, 3, 4)),
    ("x.ravel()", (2, 3)), ("torch.ravel(x)", (2, 3, 4)),
    ("torch.tensor_split(x, 3, dim=1)", (2, 7)), ("x.tensor_split(2)", (5, 3)), ("x.tensor_split([1, 4], dim=1)", (2, 6)),
    ("torch.tensor_split(x, [2, -1, 9], 1)", (2, 6)), ("x.tensor_split(4, -1)", (2, 3)),
    ("x.addcmul(x, x, value=0.5)", (2, 3)), ("torch.addcdiv(x, x[:1], x[:, :1], value=2)", (2, 3)),
    ("torch.addcmul(x[0], x, x)", (2, 3)),
    ("torch.broadcast_tensors(x, x[:1], x[0, 0])", (2, 3)),
    ("torch.atleast_2d(x)", (3,)), ("torch.atleast_3d(x)", (3,)), ("torch.atleast_3d(x)", (2, 3)), ("torch.atleast_1d(x)", (2, 3)),
    ("torch.atleast_2d(x.sum())", (2,)), ("torch.atleast_3d(x.sum())", (2,)),
    ("x.diag_embed()", (2, 3)), ("torch.diag_embed(x, offset=1)", (2, 3)), ("torch.diag_embed(x, -2)", (4,)),
    (f"{F}.conv_transpose2d(x, x.new_zeros(3, 5, 2, 2), stride=2)", (2, 3, 4, 4)),
    (f"{F}.conv_transpose1d(x, x.new_zeros(4, 3, 3), None, 2, 1, 1)", (2, 4, 7)),
    (f"{F}.conv_transpose2d(x, x.new_zeros(4, 2, 3, 3), groups=2, padding=1)", (2, 4, 5, 5)),
    (f"{F}.conv_transpose2d(x, x.new_zeros(4, 2, 3, 3), None, 1, 0, 0, 1, 2)", (1, 4, 5, 5)),
    (f"{F}.conv_transpose3d(x, x.new_zeros(2, 3, 2, 2, 2), stride=(1, 2, 2))", (1, 2, 3, 4, 4)),
    (f"{F}.conv_transpose2d(x, x.new_zeros(3, 5, 2, 2))", (3, 4, 4)),
]


def _shapes(v):
    return [list(t.shape) for t in v] if isinstance(v, (tuple, list)) else list(v.shape)


def _model(expr, shape):
    src = (
        "import torch\nimport torch.nn as nn\n\n"
        f"class E(nn.Module):  # shapelint: input=({', '.join(map(str, shape))},)\n"
        f"    def forward(self, x):\n        return {expr}\n"
    )
    result = check_source("e.py", src, explain=True)
    assert [f for f in result.findings if f.severity == "error"] == []
    (model,) = result.models
    return model


@pytest.mark.parametrize("expr,shape", EXPRESSIONS, ids=[f"{e} {s}" for e, s in EXPRESSIONS])
def test_shape_matches_torch(expr, shape):
    """Each output of the expression (for several: each element as the model's output)."""
    x = torch.randn(*shape)
    want = _shapes(eval(expr, {"torch": torch, "x": x}))  # noqa: S307 - our own grid
    if want and isinstance(want[0], list):
        for i, w in enumerate(want):
            assert _model(f"({expr})[{i}]", shape).output == w, (i, w)
    else:
        assert _model(expr, shape).output == want


@pytest.mark.parametrize("expr,shape", [
    (f"{F}.conv_transpose2d(x, x.new_zeros(4, 5, 2, 2))", (2, 3, 4, 4)),  # weight in-channels 4, input 3
    (f"{F}.conv_transpose2d(x, x.new_zeros(3, 5, 2, 2), stride=2, output_padding=2)", (2, 3, 4, 4)),  # op >= stride
    ("torch.kthvalue(x, 0, 1)", (2, 5)),
])
def test_where_torch_raises_nothing_is_stated(expr, shape):
    x = torch.randn(*shape)
    with pytest.raises(RuntimeError):
        eval(expr, {"torch": torch, "x": x})  # noqa: S307
    src = (
        "import torch\nimport torch.nn as nn\n\n"
        f"class E(nn.Module):  # shapelint: input=({', '.join(map(str, shape))},)\n"
        f"    def forward(self, x):\n        return {expr}\n"
    )
    (model,) = check_source("e.py", src, explain=True).models
    assert model.output is None
