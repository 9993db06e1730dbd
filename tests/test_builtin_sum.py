"""Python's `sum()` of tensors (WaveNet's `sum(skips)`, a residual list) against real torch:
`0 + a + b + ...`, each `+` broadcast by torch's rule (test_ops_vs_torch's harness: the static
shape must be torch's; where torch raises, an error).
"""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("sum([x, y])", "x=(2, 3, 4), y=(2, 3, 4)"),
    Case("sum((x, y, x))", "x=(2, 3, 4), y=(3, 1)"),  # broadcast
    Case("sum([x, y], x)", "x=(2, 1, 4), y=(5, 1)"),
    Case("sum([x, x], start=y)", "x=(2, 3, 4), y=(1, 4)"),
    Case("sum([x * 2 for _ in range(3)])", "x=(4, 5)"),
    Case("sum([x])", "x=(4, 5)"),
    Case("sum([x, 1.0])", "x=(4, 5)"),
    Case("sum([x, y])", "x=(2, 24, 8), y=(2, 48, 8)"),  # 24 vs 48: torch raises
    Case("sum([x, y], y)", "x=(3, 4), y=(4, 3)"),  # torch raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_sum_of_tensors_matches_torch(case):
    op_cases.test_op_matches_torch(case)
