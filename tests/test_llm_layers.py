"""Layers and ops of modern LLM code against real torch, case by case: nn.RMSNorm and
F.rms_norm (LayerNorm's trailing-shape rule), unflatten as a method and a function, and
F.scaled_dot_product_attention with enable_gqa (key/value heads repeated up to the query's)."""

import pytest

import test_ops_vs_torch as op_cases
from test_ops_vs_torch import Case

CASES = [
    Case("self.norm(x)", "x=(2, 5, 8)", init="self.norm = nn.RMSNorm(8)"),
    Case("self.norm(x)", "x=(2, 5, 8)", init="self.norm = nn.RMSNorm([5, 8], eps=1e-6, elementwise_affine=False)"),
    Case("self.norm(x)", "x=(2, 5, 8)", init="self.norm = nn.RMSNorm(7)"),  # 8 features: torch raises
    Case("self.norm(x) * self.norm.weight", "x=(2, 5, 8)", init="self.norm = nn.RMSNorm(8)"),
    Case("F.rms_norm(x, (x.size(-1),))", "x=(2, 5, 8)"),
    Case("F.rms_norm(x, [5, 8], eps=1e-5)", "x=(2, 5, 8)"),
    Case("F.rms_norm(x, (4,))", "x=(2, 5, 8)"),  # torch raises
    Case("x.unflatten(-1, (-1, 2))", "x=(2, 5, 8)"),
    Case("torch.unflatten(x, 1, (5, 1))", "x=(2, 5, 8)"),
    Case("x.unflatten(2, (3, -1))", "x=(2, 5, 8)"),  # 8 is not a multiple of 3: torch raises
    Case("F.scaled_dot_product_attention(q, k, v, enable_gqa=True)", "q=(2, 6, 5, 8), k=(2, 2, 7, 8), v=(2, 2, 7, 3)"),
    Case("F.scaled_dot_product_attention(q, k, v, enable_gqa=True)", "q=(2, 6, 5, 8), k=(2, 2, 7, 8), v=(2, 3, 7, 3)"),
    Case("F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)", "q=(6, 5, 8), k=(3, 5, 8), v=(3, 5, 8)"),
    Case("F.scaled_dot_product_attention(q, k, v, enable_gqa=True)", "q=(2, 6, 5, 8), k=(2, 4, 7, 8), v=(2, 4, 7, 3)"),  # 4 ∤ 6
    Case("F.scaled_dot_product_attention(q, k, v, enable_gqa=False)", "q=(2, 6, 5, 8), k=(2, 6, 7, 8), v=(2, 6, 7, 3)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs} | {c.init}" for c in CASES])
def test_llm_layer_matches_torch(case):
    op_cases.test_op_matches_torch(case)


def test_rmsnorm_parameters_are_torchs():
    torch = pytest.importorskip("torch")
    from shapelint.engine.check import check_source

    source = op_cases._source(Case("self.a(x) + self.b(x)", "x=(2, 5, 8)",
                                   init="self.a = nn.RMSNorm(8)\n        self.b = nn.RMSNorm([5, 8], elementwise_affine=False)"))
    model = [m for m in check_source("m.py", source, explain=True).models if m.name == "M"][0]
    counts = {row["module"]: row["params"] for row in model.summary["modules"] if row["module"] in ("a", "b")}
    real = {n: sum(p.numel() for p in torch.nn.RMSNorm(*a, **k).parameters())
            for n, a, k in (("a", (8,), {}), ("b", ([5, 8],), {"elementwise_affine": False}))}
    assert counts == real


def test_matmul_batch_mismatch_names_both_operands():
    """Grouped-query attention with too few key heads: the message shows both 4-D operands."""
    from shapelint.engine.check import check_source

    case = Case("q @ k.transpose(2, 3)", "q=(2, 6, 8, 4), k=(2, 4, 8, 4)")
    assert op_cases._torch_answer(op_cases._source(case), case) is None  # torch raises
    (f,) = [f for f in check_source("m.py", op_cases._source(case)).findings if f.severity == "error"]
    assert "(2, 6, 8, 4) @ (2, 4, 4, 8)" in f.message and "4 vs 6" in f.message, f.message
