"""SHP015 index-dtype and int indices mixed with index tensors, against real torch (issue 11).

Each case is one expression over declared inputs (tests/test_ops_vs_torch.py's harness):
where torch runs, shapelint's output shape is torch's; where torch raises because of the
index's dtype, shapelint reports SHP015 and nothing else, naming the dtype. int32 and
int64 indices run everywhere; a float one nowhere; a bool one only as an indexing mask.
"""

from typing import Optional

import pytest

from test_ops_vs_torch import Case, _source, _static, _torch_answer

RUNS = [
    # int32 is accepted everywhere torch takes indices
    Case("self.emb(t)", "t=(2, 7):int", init="self.emb = nn.Embedding(10, 4)"),
    Case("F.embedding(t, self.emb.weight)", "t=(2, 7):int", init="self.emb = nn.Embedding(10, 4)"),
    Case("x.index_select(1, i)", "x=(2, 8, 3), i=(5,):int"),
    Case("torch.gather(x, 1, i)", "x=(2, 8, 3), i=(2, 4, 3):int"),
    # the dtype is carried through view / reshape / unsqueeze / expand
    Case("self.emb(torch.arange(0, t.size(1)).unsqueeze(0))", "t=(2, 7):long", init="self.emb = nn.Embedding(10, 4)"),
    Case("x[:, i.view(2, 3)]", "x=(2, 8, 3), i=(6,):long"),
    Case("x.gather(1, i.reshape(2, 4, 1).expand(2, 4, 3))", "x=(2, 8, 3), i=(8,):long"),
    # ints with index tensors: torch selects the int dims first (not NumPy's rule)
    Case("x[0, :, i]", "x=(4, 5, 6, 7), i=(2, 3):long"),
    Case("x[i, :, 0, j]", "x=(4, 5, 6, 7), i=(2, 1):long, j=(3,):long"),
    Case("x[:, :, i, -2]", "x=(4, 5, 6, 7), i=(2, 3):long"),
    Case("x[0, i, 1, j]", "x=(4, 5, 6, 7), i=(2, 1):long, j=(3,):long"),
    Case("x[-1, :, i]", "x=(4, 5, 6, 7), i=(2, 3):int"),
    Case("x[..., 0, i]", "x=(4, 5, 6, 7), i=(2, 3):long"),
    Case("x[:, 2, i]", "x=(4, 5, 6, 7), i=(2, 3):long"),
]

RAISES = [
    # (case, the dtype the message names)
    (Case("self.emb(t.float())", "t=(2, 7):long", init="self.emb = nn.Embedding(10, 4)"), "float"),
    (Case("self.emb(torch.arange(0, t.size(1)).float().unsqueeze(0))", "t=(2, 7):long", init="self.emb = nn.Embedding(10, 4)"), "float"),
    (Case("F.embedding(t.float(), self.emb.weight)", "t=(2, 7):long", init="self.emb = nn.Embedding(10, 4)"), "float"),
    (Case("self.emb(m)", "m=(2, 7):bool", init="self.emb = nn.Embedding(10, 4)"), "bool"),
    (Case("x[torch.arange(0.0, 3.0)]", "x=(4, 5)"), "float"),
    (Case("x[:, i.float().view(2, 3)]", "x=(4, 5), i=(6,):long"), "float"),
    (Case("x[0, i.double()]", "x=(4, 5), i=(3,):long"), "float"),
    (Case("x.index_select(1, i.float())", "x=(2, 8, 3), i=(5,):long"), "float"),
    (Case("torch.index_select(x, 1, m)", "x=(2, 8, 3), m=(5,):bool"), "bool"),
    (Case("torch.gather(x, 1, i.half())", "x=(2, 8, 3), i=(2, 4, 3):long"), "float"),
    (Case("x.gather(1, i.to(torch.float32).unsqueeze(-1).expand(-1, -1, 3))", "x=(2, 8, 3), i=(2, 4):long"), "float"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", RUNS, ids=[f"{c.expr} | {c.inputs}" for c in RUNS])
def test_integer_indices_match_torch(case):
    source = _source(case)
    expected: Optional[list] = _torch_answer(source, case)
    assert expected is not None, "torch runs every case of RUNS"
    output, errors = _static(source)
    assert errors == [], [(f.code, f.message) for f in errors]
    assert output == expected


@pytest.mark.torch
@pytest.mark.parametrize("case,dtype", RAISES, ids=[f"{c.expr} | {c.inputs}" for c, _ in RAISES])
def test_a_float_or_bool_index_is_shp015_where_torch_raises(case, dtype):
    source = _source(case)
    assert _torch_answer(source, case) is None, "torch raises for every case of RAISES"
    _output, errors = _static(source)
    assert [f.code for f in errors] == ["SHP015"], [(f.code, f.message) for f in errors]
    assert f"the index is a {dtype} tensor" in errors[0].message


def test_an_input_declared_without_a_dtype_is_not_taken_for_float():
    # `input=(2, 7)` of a token model is common: its dtype is not known, so no SHP015 from it
    _output, errors = _static(_source(Case("self.emb(t)", "t=(2, 7)", init="self.emb = nn.Embedding(10, 4)")))
    assert errors == []
