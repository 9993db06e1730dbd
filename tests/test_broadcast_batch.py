"""Broadcasting against the batch dimension when the batch is declared, against real torch:
the declared size decides (a padding mask (B, 1, T) added to scores (B, H, T, T) lines B up
with the heads: 2 vs 4 raises; a declared batch of 1 broadcasts to the other size)."""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("s + m", "s=(2, 4, 10, 10), m=(2, 1, 10)"),  # B lines up with 4 heads: torch raises
    Case("s + m.unsqueeze(1)", "s=(2, 4, 10, 10), m=(2, 10, 1)"),  # (2, 1, 10, 1): broadcasts
    Case("s + (1.0 - m[:, None, None, :].float()) * -10000.0", "s=(2, 4, 10, 10), m=(2, 10):long"),
    Case("x + y", "x=(1, 4, 3), y=(5, 4, 3)"),  # a batch of 1 broadcasts: (5, 4, 3), not (B, 4, 3)
    Case("y + x", "x=(1, 4, 3), y=(5, 4, 3)"),
    Case("x * y", "x=(3, 4), y=(3, 1, 4)"),  # (3, 3, 4)
    Case("x * y", "x=(3, 4), y=(5, 1, 4)"),
    Case("x * y", "x=(3, 4), y=(2, 4)"),  # B is 3: torch raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_broadcast_with_the_declared_batch_matches_torch(case):
    op_cases.test_op_matches_torch(case)
