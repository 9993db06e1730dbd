"""Comparisons with a tensor on either side (`mask == 0`, `arange(T)[:, None] >= arange(T)`)
against real torch: the two sides broadcast into a bool tensor; cumsum and pow as torch functions."""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("torch.arange(x.size(1))[:, None] >= torch.arange(x.size(1))[None, :]", "x=(2, 6)"),
    Case("(m == 0)[:, None, None, :]", "m=(2, 6):long"),
    Case("x.masked_fill(m[:, None, :] == 0, 0.0)", "x=(2, 6, 6), m=(2, 6):long"),
    Case("x.masked_fill(m == 0, 0.0)", "x=(2, 6, 6), m=(2, 5):long"),  # 5 vs 6: torch raises
    Case("x < y", "x=(2, 3), y=(2, 4)"),  # torch raises
    Case("x != 1.5", "x=(2, 3)"),
    Case("0 < x", "x=(2, 3)"),
    Case("(x > y).float()", "x=(2, 1, 3), y=(4, 1)"),
    Case("torch.where(x >= 0, x, 0.0)", "x=(2, 3)"),
    Case("torch.cumsum(m, dim=1) * m", "m=(2, 6):long"),
    Case("0.5 * x * (1.0 + torch.tanh(0.79788 * (x + 0.044715 * torch.pow(x, 3.0))))", "x=(2, 6)"),  # minGPT's GELU
    Case("torch.pow(2, x) + x.pow(y)", "x=(2, 6), y=(6,)"),
    Case("torch.pow(x, exponent=y)", "x=(2, 6), y=(5,)"),  # 6 vs 5: torch raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_comparison_matches_torch(case):
    op_cases.test_op_matches_torch(case)


MASKS = [Case("x[x > 0]", "x=(2, 5, 3)"), Case("x[m != 0]", "x=(2, 5, 3), m=(2, 5):long")]


@pytest.mark.torch
@pytest.mark.parametrize("case", MASKS, ids=[f"{c.expr} | {c.inputs}" for c in MASKS])
def test_a_comparison_mask_selects_an_unknown_count(case):
    op_cases.test_opaque_size(case)


MATH = [  # `math` constants read as attributes: minGPT's NewGELU scales by sqrt(2 / math.pi)
    Case("0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))", "x=(2, 6)"),
    Case("torch.full((x.size(1),), math.inf) * math.e + math.tau", "x=(2, 6)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", MATH, ids=[c.expr for c in MATH])
def test_math_constants_keep_the_shape(case):
    source = "import math\n" + op_cases._source(case)
    expected = op_cases._torch_answer(source, case)
    output, errors = op_cases._static(source)
    assert expected is not None and errors == [] and output == expected, (output, expected)
