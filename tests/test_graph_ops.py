"""Ops of graph and point-cloud models against real torch: `repeat` by a size read from the input
(a T-Net's `torch.eye(k).view(1, k * k).repeat(B, 1)`) and `torch.sparse.mm` on a dense stand-in
(test_ops_vs_torch's harness: the static shape must be torch's; where torch raises, an error).
"""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("torch.eye(3).view(1, 9).repeat(x.size(0), 1)", "x=(4, 3, 5)"),
    Case("torch.eye(3).view(1, 9).repeat(x.size()[0], 1)", "x=(4, 3, 5)"),
    Case("x.new_ones(1, 2).repeat(x.shape[0], x.shape[2])", "x=(4, 3, 5)"),
    Case("x.repeat(1, x.size(1), 1)", "x=(2, 3, 4)"),
    Case("x.repeat(x.size(0), 1, 1, 2)", "x=(2, 3, 4)"),  # one leading dim
    Case("torch.sparse.mm(x, y)", "x=(3, 3), y=(3, 2)"),
    Case("torch.sparse.mm(x, y)", "x=(3, 4), y=(3, 2)"),  # 4 != 3: torch raises
    Case("torch.sparse.mm(x, y)", "x=(2, 3, 3), y=(2, 3, 2)"),  # 3-D: torch raises
    Case("torch.sparse.mm(x, y.t())", "x=(5, 3), y=(2, 3)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_graph_op_matches_torch(case):
    op_cases.test_op_matches_torch(case)
