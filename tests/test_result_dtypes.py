"""The dtype of the tensors a model makes (issue 11): factories, torch.tensor, casts, comparisons.

Each case is one expression over declared inputs (tests/test_ops_vs_torch.py's harness), run in
real torch: the dtype shapelint gives the forward's result must be the kind of torch's (float for
every floating dtype, long for int64, int for int32, bool), and its shape torch's. Cases marked
`unknown` must leave the dtype unknown: a dtype shapelint does not model, or one it cannot know.
"""

from typing import Optional

import pytest

import shapelint.engine.models as models
from shapelint.engine.check import check_source
from test_ops_vs_torch import Case, _source

CASES = [
    # factories: the default float dtype, or the one named
    Case("torch.zeros(2, x.size(1))", "x=(2, 3)"),
    Case("torch.ones((2, 3))", "x=(2, 3)"),
    Case("torch.empty(4)", "x=(2, 3)"),
    Case("torch.zeros(size=(2, 3))", "x=(2, 3)"),
    Case("torch.rand(2, 3)", "x=(2, 3)"),
    Case("torch.randn(5, dtype=torch.float64)", "x=(2, 3)"),
    Case("torch.zeros(5, 5, dtype=torch.bool)", "x=(2, 3)"),
    Case("torch.ones(2, 3, dtype=torch.long)", "x=(2, 3)"),
    Case("torch.empty(2, dtype=torch.int32)", "x=(2, 3)"),
    Case("torch.zeros(3, dtype=torch.float16)", "x=(2, 3)"),
    Case("torch.ones(3, dtype=None)", "x=(2, 3)"),
    Case("torch.ones(3, dtype=torch.uint8)", "x=(2, 3)", unknown=True),
    Case("torch.zeros(3, dtype=x.dtype)", "x=(2, 3)", unknown=True),
    Case("torch.randint(0, 5, (2, x.size(1)))", "x=(2, 3)"),
    Case("torch.randint(5, (4,))", "x=(2, 3)"),
    Case("torch.randint(0, 2, size=(2, 2), dtype=torch.int32)", "x=(2, 3)"),
    Case("torch.randperm(x.size(1))", "x=(2, 3)"),
    Case("torch.eye(3)", "x=(2, 3)"),
    Case("torch.eye(2, 4)", "x=(2, 3)"),
    Case("torch.eye(x.size(1), dtype=torch.bool)", "x=(2, 3)"),
    Case("torch.eye(2, m=5)", "x=(2, 3)"),
    # full: the fill value's dtype (an int fill is int64 in torch 2.x)
    Case("torch.full((2, 3), 1)", "x=(2, 3)"),
    Case("torch.full((2,), 1.0)", "x=(2, 3)"),
    Case("torch.full((2,), True)", "x=(2, 3)"),
    Case("torch.full((2,), float('-inf'))", "x=(2, 3)"),
    Case("torch.full((x.size(0),), x.size(1))", "x=(2, 3)"),
    Case("torch.full((2,), 1, dtype=torch.bool)", "x=(2, 3)"),
    Case("torch.full(size=(2, 2), fill_value=0.5)", "x=(2, 3)"),
    # torch.tensor infers from its data
    Case("torch.tensor([1, 2])", "x=(2, 3)"),
    Case("torch.tensor([1.0, 2])", "x=(2, 3)"),
    Case("torch.tensor([True, False])", "x=(2, 3)"),
    Case("torch.tensor([True, 1])", "x=(2, 3)"),
    Case("torch.tensor([True, 1.5])", "x=(2, 3)"),
    Case("torch.tensor(3)", "x=(2, 3)"),
    Case("torch.tensor(0.5)", "x=(2, 3)"),
    Case("torch.tensor([[1, 2, 3], [4, 5, 6]])", "x=(2, 3)"),
    Case("torch.tensor([[1], [2.0]])", "x=(2, 3)"),
    Case("torch.tensor([])", "x=(2, 3)"),
    Case("torch.tensor([x.size(1), 4])", "x=(2, 3)"),
    Case("torch.tensor([1, 2], dtype=torch.float)", "x=(2, 3)"),
    Case("torch.tensor([0, 1], dtype=torch.bool)", "x=(2, 3)"),
    # *_like and new_*: the input's dtype, or the one named
    Case("torch.zeros_like(i)", "x=(2, 3), i=(4,):long"),
    Case("torch.ones_like(x.float())", "x=(2, 3)"),
    Case("torch.ones_like(x)", "x=(2, 3)", unknown=True),  # an input declared without a dtype: not taken for float
    Case("torch.zeros_like(i, dtype=torch.bool)", "x=(2, 3), i=(4,):long"),
    Case("torch.full_like(i, 1.5)", "x=(2, 3), i=(4,):long"),
    Case("torch.empty_like(m)", "x=(2, 3), m=(4,):bool"),
    Case("torch.ones_like(x, dtype=torch.long)", "x=(2, 3)"),
    Case("torch.randn_like(x.float())", "x=(2, 3)"),
    Case("torch.rand_like(i, dtype=torch.float)", "x=(2, 3), i=(4,):long"),
    Case("torch.zeros_like(x)", "x=(2, 3):int"),
    Case("i.new_zeros(2)", "x=(2, 3), i=(4,):long"),
    Case("i.new_full((2,), 1.5)", "x=(2, 3), i=(4,):long"),
    Case("x.new_ones(2, dtype=torch.bool)", "x=(2, 3)"),
    Case("x.float().new_empty((2, 3))", "x=(2, 3)"),
    # tril / triu keep it
    Case("torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)", "x=(2, 3)"),
    Case("torch.tril(torch.ones(4, 4))", "x=(2, 3)"),
    Case("torch.ones(4, 4).tril().long()", "x=(2, 3)"),
    # casts
    Case("i.to(torch.bool)", "x=(2, 3), i=(4,):long"),
    Case("i.to(dtype=torch.bool)", "x=(2, 3), i=(4,):long"),
    Case("i.type(torch.float32)", "x=(2, 3), i=(4,):long"),
    Case("x.bool()", "x=(2, 3)"),
    Case("x.long()", "x=(2, 3)"),
    Case("x.int()", "x=(2, 3)"),
    Case("i.float()", "x=(2, 3), i=(4,):long"),
    Case("i.double()", "x=(2, 3), i=(4,):long"),
    Case("torch.zeros(2, 2).bool()", "x=(2, 3)"),
    # a device only moves the tensor: its dtype stays; another tensor gives its own
    Case("i.to(x.device)", "x=(2, 3), i=(4,):long"),
    Case("m.to('cpu', non_blocking=True)", "x=(2, 3), m=(4,):bool"),
    Case("i.to(device=x.device)", "x=(2, 3), i=(4,):int"),
    Case("i.to(x.device, torch.bool)", "x=(2, 3), i=(4,):long"),
    Case("m.to('cpu', dtype=torch.long)", "x=(2, 3), m=(4,):bool"),
    Case("i.to(x.float())", "x=(2, 3), i=(4,):long"),
    Case("i.to(x)", "x=(2, 3), i=(4,):long", unknown=True),  # x declared without a dtype
    Case("i.type('torch.FloatTensor')", "x=(2, 3), i=(4,):long", unknown=True),  # a type named by a string: not read
    # comparisons: bool, the broadcast shape
    Case("x == x", "x=(2, 3)"),
    Case("x > 0", "x=(2, 3)"),
    Case("0 < x", "x=(2, 3)"),
    Case("x != x[:1]", "x=(2, 3)"),
    Case("i == 1.5", "x=(2, 3), i=(4,):long"),
    Case("i[:, None] <= i", "x=(2, 3), i=(4,):long"),
    Case("x >= torch.zeros(3)", "x=(2, 3)"),
    Case("x.eq(x)", "x=(2, 3)"),
    Case("torch.gt(x, 0)", "x=(2, 3)"),
    Case("x.lt(x[0])", "x=(2, 3)"),
    Case("torch.arange(4)[None, :] > torch.arange(4)[:, None]", "x=(2, 3)"),
]

KINDS = {"float16": "float", "bfloat16": "float", "float32": "float", "float64": "float", "int64": "long",
         "int32": "int", "bool": "bool"}


def _torch_result(source: str):
    import torch

    from torch_oracle import declared_targets, forward_arguments, load

    torch.manual_seed(0)
    net = load(source).M()
    out = net(**forward_arguments(net, declared_targets(source)["M"]))
    return list(out.shape), KINDS.get(str(out.dtype).replace("torch.", ""))


def _static_result(source: str, monkeypatch):
    returned = []
    run = models._forward

    def recording(*args, **kwargs):
        out = run(*args, **kwargs)
        returned.append(out)
        return out

    monkeypatch.setattr(models, "_forward", recording)
    result = check_source("m.py", source, explain=True)
    (model,) = [m for m in result.models if m.name == "M"]
    errors = [f for f in result.findings if f.severity == "error"]
    dtypes = {getattr(r, "dtype", "not a tensor") for r in returned}
    assert len(dtypes) == 1, dtypes  # one run, or modes that agree
    return model.output, dtypes.pop(), errors


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_a_made_tensor_has_torchs_dtype(case, monkeypatch):
    source = _source(case)
    shape, kind = _torch_result(source)
    output, dtype, errors = _static_result(source, monkeypatch)
    assert errors == [], [(f.code, f.message) for f in errors]
    assert output == shape
    expected: Optional[str] = None if case.unknown else kind
    assert dtype == expected, f"torch: {kind}, shapelint: {dtype}"
