"""The ops of rotary position embeddings and mask padding against real torch, case by case:
view_as_complex / view_as_real, torch.polar, torch.outer, hstack / vstack / dstack /
column_stack / row_stack. Each case's static output shape must be torch's; where torch
raises shapelint must report an error (test_ops_vs_torch's harness).
"""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    # complex rotary embeddings (Llama's precompute_freqs_cis / apply_rotary_emb)
    Case("torch.view_as_complex(x)", "x=(2, 5, 4, 2)"),
    Case("torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))", "x=(2, 5, 3, 8)"),
    Case("torch.view_as_complex(x)", "x=(2, 5, 3)"),  # last dimension is not 2: torch raises
    Case("torch.view_as_real(torch.view_as_complex(x))", "x=(2, 5, 4, 2)"),
    Case("torch.view_as_real(torch.view_as_complex(x) * torch.view_as_complex(y)).flatten(3)", "x=(2, 5, 4, 3, 2), y=(5, 1, 3, 2)"),
    Case("torch.polar(torch.ones_like(x), x)", "x=(6, 4)"),
    Case("torch.view_as_real(torch.polar(x, y))", "x=(6, 1), y=(4,)"),
    Case("torch.polar(x, y)", "x=(6, 3), y=(4,)"),  # cannot broadcast: torch raises
    Case("torch.outer(x, y)", "x=(7,), y=(3,)"),
    Case("torch.outer(torch.arange(x.shape[1]).float(), y)", "x=(2, 7), y=(3,)"),
    Case("x.outer(y)", "x=(7,), y=(3,)"),
    Case("torch.outer(x, y)", "x=(7, 1), y=(3,)"),  # 2-D: torch raises
    # padding a causal mask in front (hstack) and the other stacks
    Case("torch.hstack([torch.zeros((x.shape[0], 3)), x])", "x=(5, 5)"),
    Case("torch.hstack([torch.zeros((x.shape[0], 0)), x])", "x=(5, 5)"),
    Case("torch.hstack((x, y))", "x=(4,), y=(3,)"),
    Case("torch.hstack((x, y))", "x=(2, 4, 3), y=(2, 1, 3)"),
    Case("torch.hstack((x, y))", "x=(4,), y=(3, 4)"),  # ranks 1 and 2: torch raises
    Case("torch.hstack((x, y))", "x=(2, 4), y=(3, 4)"),  # dim 0 differs: torch raises
    Case("torch.vstack([x, y])", "x=(4,), y=(4,)"),
    Case("torch.vstack([x, y])", "x=(2, 4), y=(4,)"),
    Case("torch.row_stack([x, y])", "x=(2, 4), y=(3, 4)"),
    Case("torch.vstack([x, y])", "x=(2, 4), y=(5,)"),  # 4 vs 5 columns: torch raises
    Case("torch.dstack([x, y])", "x=(4,), y=(4,)"),
    Case("torch.dstack([x, y])", "x=(2, 4), y=(2, 4, 3)"),
    Case("torch.column_stack([x, y])", "x=(4,), y=(4, 3)"),
    Case("torch.column_stack([x, y])", "x=(4,), y=(5,)"),  # 4 vs 5 rows: torch raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_rotary_op_matches_torch(case):
    op_cases.test_op_matches_torch(case)
