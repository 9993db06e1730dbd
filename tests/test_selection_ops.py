"""Selection and indexed writes of routing / sampling code (mixture-of-experts routers, top-k
sampling) against real torch, case by case: topk, sort, and index_add / scatter / index_copy,
which keep self's shape."""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("torch.topk(x, 2)[0]", "x=(3, 5)"),
    Case("torch.topk(x.softmax(dim=-1), 2, dim=-1).indices", "x=(3, 5)"),
    Case("x.topk(3, dim=0).values", "x=(3, 5)"),
    Case("x.topk(1, dim=1, largest=False)[1]", "x=(4, 6, 2)"),
    Case("x[:, torch.topk(x, 2)[1][0]]", "x=(3, 5)"),  # the indices are long: they index (3, 2)
    Case("torch.topk(x, 6)", "x=(3, 5)"),  # k past the size: torch raises
    Case("torch.topk(x, 2, dim=2)", "x=(3, 5)"),  # dim out of range: torch raises
    Case("torch.sort(x, dim=0)[0]", "x=(3, 5)"),
    Case("x.sort(descending=True).indices", "x=(3, 5)"),
    Case("torch.zeros_like(x).index_add_(0, i, y)", "x=(6, 4), i=(3,):long, y=(3, 4)"),
    Case("x.index_add(0, i, y)", "x=(6, 4), i=(3,):long, y=(3, 4)"),
    Case("x.scatter_add(1, i, y)", "x=(3, 5), i=(3, 2):long, y=(3, 2)"),
    Case("torch.scatter(x, 1, i, 0.5)", "x=(3, 5), i=(3, 2):long"),
    Case("x.index_copy(0, i, y)", "x=(6, 4), i=(3,):long, y=(3, 4)"),
    Case("x.index_fill_(1, i, -1.0)", "x=(6, 4), i=(2,):long"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_selection_op_matches_torch(case):
    op_cases.test_op_matches_torch(case)


DISTANCES_AND_LOSSES = [  # a VQ-VAE's codebook lookup and commitment losses
    Case("torch.cdist(x, y).argmin(dim=-1)", "x=(6, 4), y=(9, 4)"),
    Case("torch.cdist(x, y)", "x=(2, 6, 4), y=(9, 4)"),
    Case("torch.cdist(x, y)", "x=(6, 4), y=(9, 3)"),  # 4 vs 3 columns: torch raises
    Case("torch.cdist(x, y)", "x=(2, 6, 4), y=(3, 9, 4)"),  # batch 2 vs 3: torch raises
    Case("F.mse_loss(x, y) + 0.25 * F.l1_loss(y, x)", "x=(2, 3, 4), y=(2, 3, 4)"),
    Case("F.mse_loss(x, y, reduction='none')", "x=(2, 3, 4), y=(3, 4)"),
    Case("F.smooth_l1_loss(x, y, reduction='sum', beta=0.5)", "x=(2, 3), y=(2, 3)"),
    Case("F.mse_loss(x, y)", "x=(2, 3, 4), y=(2, 4)"),  # cannot broadcast: torch raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", DISTANCES_AND_LOSSES, ids=[f"{c.expr} | {c.inputs}" for c in DISTANCES_AND_LOSSES])
def test_distance_and_loss_match_torch(case):
    op_cases.test_op_matches_torch(case)
