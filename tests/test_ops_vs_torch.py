"""Tensor ops of attention and sequence models against real torch (issue 11.1), case by case.

Each case is one expression over declared inputs, put in a model's forward:
shapelint's output shape must be torch's (and known: every case here is one the engine
claims to cover), and where torch raises shapelint must report an error. Cases marked
`unknown` are ones the engine must leave unknown without a finding (it cannot know).
"""

import re
from typing import NamedTuple, Optional

import pytest

from shapelint.engine.check import check_source


class Case(NamedTuple):
    expr: str
    inputs: str  # the declaration, DECISIONS.md syntax
    unknown: bool = False  # torch runs; shapelint must say unknown (and nothing else)
    init: str = ""  # extra lines for __init__


CASES = [
    # creation
    Case("torch.arange(0, x.size(1))", "x=(2, 7)"),
    Case("torch.arange(3, 11, 2) + x", "x=(2, 4)"),
    Case("torch.arange(x.shape[1], dtype=torch.long)", "x=(2, 5)"),
    Case("torch.arange(0.0, 1.0, 0.25)", "x=(2, 5)"),
    Case("torch.linspace(0, 1, 9)", "x=(2, 5)"),
    Case("x.new_zeros(x.size(0), 3)", "x=(2, 5)"),
    Case("x.new_ones((4, x.shape[-1]))", "x=(2, 5)"),
    Case("x.new_full((3,), 7.0)", "x=(2, 5)"),
    Case("torch.zeros_like(x) + torch.full_like(x, 2.0)", "x=(2, 5)"),
    Case("torch.tril(torch.ones(x.size(1), x.size(1)))", "x=(2, 6)"),
    Case("x.triu(1)", "x=(2, 6, 6)"),
    # split / chunk / unbind / narrow
    Case("x.split(4, dim=2)[0]", "x=(2, 3, 12)"),
    Case("x.split(5, dim=-1)[2]", "x=(2, 3, 12)"),
    Case("torch.split(x, [2, 7, 3], dim=2)[1]", "x=(2, 3, 12)"),
    Case("torch.split(x, [2, 7], dim=2)[1]", "x=(2, 3, 12)"),  # sizes must add up: torch raises
    Case("x.chunk(3, dim=1)[2]", "x=(2, 8)"),
    Case("x.unbind(0)[1]", "x=(3, 2, 4)"),
    Case("torch.unbind(x, dim=-1)[0]", "x=(3, 2, 4)"),
    Case("x.narrow(1, 2, 3)", "x=(2, 8)"),
    Case("x.narrow(1, 6, 3)", "x=(2, 8)"),  # past the end: torch raises
    # gathering
    Case("x.index_select(1, i)", "x=(2, 8, 3), i=(5,):long"),
    Case("torch.gather(x, 1, i)", "x=(2, 8, 3), i=(2, 4, 3):long"),
    Case("x.repeat_interleave(3, dim=1)", "x=(2, 4)"),
    Case("torch.repeat_interleave(x, 2)", "x=(2, 4)"),
    # where / masked_fill
    Case("torch.where(m, x, 0.0)", "x=(2, 4, 4), m=(4, 4):bool"),
    Case("torch.where(m, x, y)", "x=(2, 1, 4), m=(3, 1):bool, y=(4,)"),
    Case("torch.where(m, x, y)", "x=(2, 3, 4), m=(2, 3, 4):bool, y=(5,)"),  # cannot broadcast
    Case("x.masked_fill(m, float('-inf'))", "x=(2, 4, 6, 6), m=(1, 1, 6, 6):bool"),
    Case("x.masked_fill(m, 0.0)", "x=(2, 6, 6), m=(2, 5, 6):bool"),  # torch raises
    # products
    Case("x @ y", "x=(2, 3, 4), y=(4, 5)"),
    Case("x @ y", "x=(2, 1, 3, 4), y=(6, 4, 5)"),
    Case("x @ y", "x=(1, 3, 4), y=(6, 4, 5)"),
    Case("x @ y", "x=(2, 3, 4), y=(4,)"),
    Case("torch.matmul(x, y)", "x=(4,), y=(2, 4, 5)"),
    Case("torch.matmul(x, y)", "x=(4,), y=(4,)"),
    Case("x @ y", "x=(2, 3, 4), y=(5, 6)"),  # torch raises
    Case("x @ y", "x=(2, 3, 4), y=(3, 4, 5)"),  # batch dims 2 vs 3: torch raises
    Case("x @ y.transpose(-2, -1)", "x=(2, 4, 7, 8), y=(2, 4, 9, 8)"),
    Case("torch.bmm(x, y)", "x=(2, 3, 4), y=(2, 4, 5)"),
    Case("torch.bmm(x, y)", "x=(2, 3, 4), y=(4, 5)"),  # torch raises
    Case("x.mm(y)", "x=(3, 4), y=(4, 2)"),
    Case("torch.baddbmm(z, x, y)", "x=(2, 3, 4), y=(2, 4, 5), z=(3, 5)"),
    Case("torch.einsum('bhid,bhjd->bhij', x, y)", "x=(2, 4, 7, 8), y=(2, 4, 9, 8)"),
    Case("torch.einsum('bij,bjk', x, y)", "x=(2, 3, 4), y=(2, 4, 5)"),
    Case("torch.einsum('...ij,...jk->...ik', [x, y])", "x=(2, 5, 3, 4), y=(5, 4, 6)"),
    Case("torch.einsum('bn,bn->b', x, y)", "x=(2, 4), y=(2, 4)"),
    Case("torch.einsum('b i d, b j d -> b i j', x, y)", "x=(2, 3, 8), y=(2, 5, 8)"),
    Case("torch.einsum('bid,bjd->bij', x, y)", "x=(2, 3, 8), y=(2, 5, 7)"),  # d is 8 and 7: torch raises
    Case("F.scaled_dot_product_attention(q, k, v)", "q=(2, 4, 7, 8), k=(2, 4, 9, 8), v=(2, 4, 9, 6)"),
    Case("F.scaled_dot_product_attention(q, k, v, is_causal=True)", "q=(2, 4, 7, 8), k=(2, 4, 7, 8), v=(2, 4, 7, 8)"),
    Case("F.scaled_dot_product_attention(q, k, v, attn_mask=m)", "q=(2, 4, 7, 8), k=(2, 4, 9, 8), v=(2, 4, 9, 8), m=(7, 9):bool"),
    Case("F.scaled_dot_product_attention(q, k, v)", "q=(2, 4, 7, 8), k=(2, 4, 9, 6), v=(2, 4, 9, 8)"),  # torch raises
    # softmax and functional layers
    Case("F.softmax(x, dim=-1)", "x=(2, 3, 5)"),
    Case("x.log_softmax(dim=1)", "x=(2, 3, 5)"),
    Case("F.layer_norm(x, (5,))", "x=(2, 3, 5)"),
    Case("F.layer_norm(x, [3, 5])", "x=(2, 3, 5)"),
    Case("F.layer_norm(x, (4,))", "x=(2, 3, 5)"),  # torch raises
    Case("F.group_norm(x, 2)", "x=(2, 6, 5)"),
    Case("F.group_norm(x, 4)", "x=(2, 6, 5)"),  # 6 channels in 4 groups: torch raises
    Case("F.embedding(i, w)", "i=(2, 7):long, w=(10, 4)"),
    Case("F.linear(x, w)", "x=(2, 3, 5), w=(7, 5)"),
    Case("F.linear(x, w)", "x=(2, 3, 5), w=(7, 6)"),  # torch raises
    Case("F.gelu(x) + F.silu(x)", "x=(2, 3, 5)"),
    Case("F.pad(x, (1, 2))", "x=(2, 3, 5)"),
    Case("F.interpolate(x, scale_factor=2)", "x=(2, 3, 5, 5)"),
    Case("F.pixel_shuffle(x, 2)", "x=(2, 8, 3, 3)"),
    Case("F.pixel_unshuffle(x, 2)", "x=(2, 3, 4, 6)"),
    Case("F.pixel_unshuffle(x, 2)", "x=(2, 3, 5, 6)"),  # torch raises
    # indexing
    Case("x[:, 0]", "x=(2, 5, 3)"),
    Case("x[..., :2]", "x=(2, 5, 3)"),
    Case("x[:, None]", "x=(2, 5)"),
    Case("x[:, -1, :]", "x=(2, 5, 3)"),
    Case("x[:, [-1], :]", "x=(2, 5, 3)"),
    Case("x[:, [0, 2, 4]]", "x=(2, 5, 3)"),
    # layers' parameters as tensors
    Case("self.emb.weight.t()", "x=(2, 5)", init="self.emb = nn.Embedding(11, 4)"),
    Case("x @ self.fc.weight.T", "x=(2, 5)", init="self.fc = nn.Linear(5, 3)"),
    Case("F.linear(x, self.emb.weight)", "x=(2, 6, 4)", init="self.emb = nn.Embedding(11, 4)"),
    Case("self.conv.weight", "x=(2, 5)", init="self.conv = nn.Conv2d(4, 8, 3, groups=2)"),
    Case("self.fc.bias", "x=(2, 5)", init="self.fc = nn.Linear(5, 3, bias=False)", unknown=True),
    # wrappers
    Case("self.conv(x)", "x=(2, 4, 10)", init="self.conv = nn.utils.weight_norm(nn.Conv1d(4, 6, 3))"),
    Case("self.conv(x)", "x=(2, 4, 10)", init="self.conv = nn.utils.parametrizations.weight_norm(nn.Conv1d(4, 6, 3))"),
    Case("self.conv(x)", "x=(2, 4, 10)", init="self.conv = nn.utils.spectral_norm(nn.Conv1d(5, 6, 3))"),  # 4 vs 5 channels
    # weight tying: the head's weight replaces the embedding's
    Case("self.emb(x)", "x=(2, 5):long", init="self.emb = nn.Embedding(11, 4)\n        self.head = nn.Linear(4, 11)\n"
         "        self.emb.weight = self.head.weight"),
]

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"


def _source(case: Case) -> str:
    names = re.findall(r"(\w+)\s*=\s*\(", case.inputs)
    init = f"        {case.init}\n" if case.init else ""
    return (HEAD + f"class M(nn.Module):  # shapelint: {case.inputs}\n"
            f"    def __init__(self):\n        super().__init__()\n{init}\n"
            f"    def forward(self, {', '.join(names)}):\n        return {case.expr}\n")


def _torch_answer(source: str, case: Case):
    from torch_oracle import declared_targets, run_declared

    out = run_declared(source, "M", declared_targets(source)["M"])
    if out.verdict == "crash":
        return None
    return out.outputs[0] if out.outputs else []


def _static(source: str):
    result = check_source("m.py", source, explain=True)
    (model,) = [m for m in result.models if m.name == "M"]
    return model.output, [f for f in result.findings if f.severity == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_op_matches_torch(case):
    source = _source(case)
    expected: Optional[list] = _torch_answer(source, case)
    output, errors = _static(source)
    if expected is None:
        assert errors, f"torch raises; shapelint reports nothing (output {output})"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    if case.unknown:
        assert output is None
    else:
        assert output == expected


LOSSES = [
    Case("F.cross_entropy(x.view(-1, x.size(-1)), t.view(-1))", "x=(2, 8, 11), t=(2, 8):long"),
    Case("F.cross_entropy(x.view(-1, x.size(-1)), t.view(-1), ignore_index=-1, reduction='none')", "x=(2, 8, 11), t=(2, 8):long"),
    Case("F.cross_entropy(x, t)", "x=(2, 11, 8), t=(2, 8):long"),
    Case("F.cross_entropy(x, y)", "x=(2, 11), y=(2, 11)"),
    Case("F.cross_entropy(x.view(-1, x.size(-1)), t[:, :4].reshape(-1))", "x=(2, 8, 11), t=(2, 8):long"),  # 16 vs 8 rows
    Case("F.cross_entropy(x.view(-1, 11), t)", "x=(2, 8, 11), t=(2, 8):long"),  # target not flattened
    Case("F.nll_loss(F.log_softmax(x, dim=-1), t)", "x=(4, 5), t=(4,):long"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", LOSSES, ids=[f"{c.expr} | {c.inputs}" for c in LOSSES])
def test_loss_matches_torch(case):
    test_op_matches_torch(case)
