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
    # keyword bounds (a DDPM timestep embedding: arange(start=0, end=half, dtype=torch.float32))
    Case("torch.arange(end=x.size(1))", "x=(2, 7)"),
    Case("torch.arange(start=2, end=x.size(1))", "x=(2, 7)"),
    Case("torch.arange(1, end=7) + x", "x=(2, 6)"),
    Case("torch.arange(2, 9, step=3)", "x=(2, 5)"),
    Case("torch.arange(start=0, end=6, step=4, dtype=torch.float32)", "x=(2, 5)"),
    Case("x[:, None].float() * torch.exp(-2.0 * torch.arange(start=0, end=4, dtype=torch.float32) / 4)[None]", "x=(3,):long"),
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
    Case("x.clone().copy_(y) * 2", "x=(2, 4, 6), y=(4, 1)"),  # copy_ returns self (DiT's pos_embed.data.copy_)
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
    # one_hot, unfold, fold
    Case("F.one_hot(t, 5)", "t=(2, 7):long"),
    Case("F.one_hot(t, num_classes=3).float() @ w", "t=(2, 7):long, w=(3, 4)"),
    Case("F.unfold(x, 3)", "x=(2, 4, 7, 9)"),
    Case("F.unfold(x, kernel_size=(2, 3), dilation=2, padding=1, stride=(2, 1))", "x=(2, 4, 7, 9)"),
    Case("F.unfold(x, 3, padding=1)", "x=(2, 4, 7)"),  # 3-D: torch reads it as unbatched (C, H, W)
    Case("F.unfold(x, 5)", "x=(2, 4, 3, 9)"),  # no block fits: torch raises
    Case("F.unfold(x, 3)", "x=(2, 4, 7, 9, 3)"),  # 5-D: torch raises
    Case("F.fold(x, (4, 5), 2)", "x=(2, 12, 12)"),
    Case("F.fold(F.unfold(x, 3, padding=1), x.shape[-2:], 3, padding=1)", "x=(2, 4, 6, 7)"),
    Case("F.fold(x, output_size=(6, 6), kernel_size=3, stride=3)", "x=(2, 18, 4)"),
    Case("F.fold(x, (4, 5), 2)", "x=(2, 12, 11)"),  # 11 blocks, output_size gives 12: torch raises
    Case("F.fold(x, (4, 5), 2)", "x=(2, 10, 12)"),  # 10 channels, kernel 2 x 2: torch raises
    # indexing
    Case("x[:, 0]", "x=(2, 5, 3)"),
    Case("x[..., :2]", "x=(2, 5, 3)"),
    Case("x[:, None]", "x=(2, 5)"),
    Case("x[:, -1, :]", "x=(2, 5, 3)"),
    Case("x[:, [-1], :]", "x=(2, 5, 3)"),
    Case("x[:, [0, 2, 4]]", "x=(2, 5, 3)"),
    # indexing by tensors (advanced indexing)
    Case("x[i]", "x=(2, 5, 3), i=(4,):long"),
    Case("x[i]", "x=(2, 5, 3), i=(4, 6):long"),
    Case("x[:, i]", "x=(2, 5, 3), i=(4, 6):long"),
    Case("x[i, :]", "x=(2, 5, 3), i=(7,):int"),
    Case("x[..., i]", "x=(2, 5, 3), i=(7,):long"),
    Case("x[:, i, j]", "x=(2, 5, 3, 4), i=(6, 1):long, j=(7,):long"),
    Case("x[i, :, j]", "x=(2, 5, 3), i=(6, 1):long, j=(7,):long"),  # apart: the indexed dims go first
    Case("x[torch.arange(x.size(0)), t]", "x=(2, 11), t=(2,):long"),
    Case("x[torch.arange(2), t]", "x=(2, 11), t=(3,):long"),  # 2 and 3 cannot broadcast: torch raises
    Case("x[i, j, k]", "x=(2, 5), i=(1,):long, j=(1,):long, k=(1,):long"),  # too many indices: torch raises
    Case("self.emb[t]", "t=(2, 7):long", init="self.emb = nn.Parameter(torch.randn(10, 4))"),
    Case("self.emb.weight[t.long()]", "t=(2, 7):int", init="self.emb = nn.Embedding(10, 4)"),
    Case("x[m]", "x=(2, 5, 3), m=(2, 6):bool"),  # the mask does not match: torch raises
    Case("x[i.float().long()]", "x=(2, 5, 3), i=(4,):long"),
    Case("x[m + 0]", "x=(2, 5, 3), m=(3,):bool", unknown=True),  # no longer a mask
    Case("x[i.to(x.device)]", "x=(2, 5, 3), i=(4,):long"),  # a device move keeps the dtype
    # layers' parameters as tensors
    Case("self.emb.weight.t()", "x=(2, 5)", init="self.emb = nn.Embedding(11, 4)"),
    Case("x @ self.fc.weight.T", "x=(2, 5)", init="self.fc = nn.Linear(5, 3)"),
    Case("F.linear(x, self.emb.weight)", "x=(2, 6, 4)", init="self.emb = nn.Embedding(11, 4)"),
    Case("self.conv.weight", "x=(2, 5)", init="self.conv = nn.Conv2d(4, 8, 3, groups=2)"),
    Case("self.fc.bias", "x=(2, 5)", init="self.fc = nn.Linear(5, 3, bias=False)", unknown=True),
    # recurrent layers given an initial state
    Case("self.rnn(x, (h, c))[1][0]", "x=(5, 2, 4), h=(2, 2, 6), c=(2, 2, 6)", init="self.rnn = nn.LSTM(4, 6, num_layers=2)"),
    Case("self.rnn(x, (h, c))[0]", "x=(2, 5, 4), h=(4, 2, 3), c=(4, 2, 6)",
         init="self.rnn = nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True, proj_size=3)"),
    Case("self.rnn(x, (h, c))[0]", "x=(2, 5, 4), h=(4, 2, 6), c=(4, 2, 6)",
         init="self.rnn = nn.LSTM(4, 6, num_layers=2, batch_first=True, bidirectional=True, proj_size=3)"),  # h is proj_size: torch raises
    Case("self.rnn(x, (h, c))[1][1]", "x=(5, 2, 4), h=(1, 2, 6), c=(2, 2, 6)", init="self.rnn = nn.LSTM(4, 6, num_layers=2)"),  # torch raises
    Case("self.rnn(x, (h, c))[1][1]", "x=(5, 2, 4), h=(2, 2, 6), c=(2, 3, 6)", init="self.rnn = nn.LSTM(4, 6, num_layers=2)"),  # c's batch: torch raises
    Case("self.rnn(x, h)[1]", "x=(2, 5, 4), h=(1, 2, 6)", init="self.rnn = nn.GRU(4, 6, batch_first=True)"),
    Case("self.rnn(x, hx=h)[0]", "x=(5, 4), h=(1, 6)", init="self.rnn = nn.GRU(4, 6)"),
    Case("self.rnn(x, h)[0]", "x=(5, 4), h=(1, 1, 6)", init="self.rnn = nn.GRU(4, 6)"),  # unbatched input, 3-D h: torch raises
    Case("self.rnn(x, h)[0]", "x=(5, 2, 4), h=(2, 5, 6)", init="self.rnn = nn.RNN(4, 6, 2)"),  # batch is 2, not 5: torch raises
    Case("self.rnn(x, h)[1]", "x=(5, 2, 4), h=(2, 2, 6)", init="self.rnn = nn.RNN(4, 6, 2, nonlinearity='relu')"),
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


MASKS = [  # a bool mask: one dim of unknown length (the count of True), never a guess; one_hot's -1 classes alike
    Case("F.one_hot(t)", "t=(2, 7):long"),
    Case("x[m]", "x=(2, 5, 3), m=(2, 5):bool"),
    Case("x[m]", "x=(2, 5, 3), m=(2, 5, 3):bool"),
    Case("x[:, m]", "x=(2, 5, 3), m=(5,):bool"),
    Case("x[~m]", "x=(2, 5, 3), m=(2,):bool"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", MASKS, ids=[f"{c.expr} | {c.inputs}" for c in MASKS])
def test_opaque_size(case):
    source = _source(case)
    expected = _torch_answer(source, case)
    output, errors = _static(source)
    assert errors == [] and expected is not None and output is not None
    assert len(output) == len(expected)
    unknown = [i for i, d in enumerate(output) if not isinstance(d, int)]
    assert len(unknown) == 1, output
    assert [d for i, d in enumerate(output) if i not in unknown] == [d for i, d in enumerate(expected) if i not in unknown]


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
