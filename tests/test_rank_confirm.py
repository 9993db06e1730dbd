"""With nothing declared, a finding made under a guessed input rank stands only when every
other rank fails too (engine/rank_confirm.py), against torch.

A first Linear or Embedding accepts any number of leading dims, so the default run's (B, F)
or (B, T) input is a guess. Each model below is run with torch on inputs of ranks 1 to 4:
where every rank fails, shapelint (nothing declared) reports the error at the defect; where
some input of some rank runs, it reports no error.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"

# a GPT block: 36 features in 8 heads; `B, T, C = x.shape` fails for every other rank
GPT = HEAD + '''
class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, T, C)


class Net(nn.Module):
    def __init__(self, vocab=20, d=36, heads=8):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.attn = Attention(d, heads)  # defect: 8 heads do not divide 36

    def forward(self, idx):
        return self.attn(self.tok(idx))
'''

GPT_RIGHT = GPT.replace("heads=8", "heads=6").replace("  # defect: 8 heads do not divide 36", "")

# works on (B, T, F): the guess (B, F) fails at the unpacking, rank 3 runs
SEQUENCE_MLP = HEAD + '''
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)

    def forward(self, x):
        h = self.fc(x)
        B, T, C = h.shape
        return h.reshape(B * T, C)
'''

# 16 values in rows of 5: wrong for (B, 8), but (B, 5, 8) holds 80 per sample
VIEW_SOMETIMES = HEAD + '''
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)

    def forward(self, x):
        return self.fc(x).view(-1, 5)
'''


def _runs(src, shape, long=False):
    import torch

    model = load(src, "m.py").Net()
    x = torch.randint(0, 20, shape) if long else torch.randn(*shape)
    try:
        model(x)
        return True
    except (RuntimeError, ValueError, IndexError):
        return False


RANKS = {1: (7,), 2: (2, 7), 3: (2, 5, 7), 4: (2, 3, 5, 7)}


def _errors(src):
    return [f for f in check_source("m.py", src).findings if f.severity == "error"]


def test_a_head_split_that_fails_at_every_rank_is_an_error_with_nothing_declared():
    assert not any(_runs(GPT, s, long=True) for s in RANKS.values())  # torch: every rank fails
    assert all(_runs(GPT_RIGHT, RANKS[2], long=True) for _ in [0])
    errors = _errors(GPT)
    assert [f.code for f in errors] == ["SHP007"]
    assert "36" in errors[0].message and "8" in errors[0].message
    assert not _errors(GPT_RIGHT)


def test_a_guess_that_only_the_guessed_rank_breaks_is_no_error():
    assert not _runs(SEQUENCE_MLP, (2, 8)) and _runs(SEQUENCE_MLP, (2, 5, 8))
    assert not _errors(SEQUENCE_MLP)


def test_a_view_some_inputs_fit_is_no_error():
    assert not _runs(VIEW_SOMETIMES, (2, 8)) and _runs(VIEW_SOMETIMES, (2, 5, 8))
    assert not _errors(VIEW_SOMETIMES)


def test_declared_the_guessed_rank_finding_is_the_same():
    declared = GPT.replace("class Net(nn.Module):", "class Net(nn.Module):  # shapelint: idx=(2, 5):long")
    a, b = _errors(GPT), _errors(declared)
    assert [(f.code, f.line) for f in a] == [(f.code, f.line) for f in b]


# module-level models: a torch container as built, a class built with literal arguments
MODULE_LEVEL = HEAD + '''
class Head(nn.Module):
    def __init__(self, d, classes):
        super().__init__()
        self.fc = nn.Linear(d, 64)
        self.out = nn.Linear(32, classes)  # defect: 64 features arrive

    def forward(self, x):
        return self.out(self.fc(x))


mlp = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(16, 2))  # defect: 24 features arrive
head = Head(3, 10)
'''

# the same wrong sizes only the guessed rank reaches: a reduction of dim 1 keeps the features of (B, T, F)
MODULE_LEVEL_REDUCED = HEAD + '''
class Pool(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, 4)
        self.out = nn.Linear(4, 3)

    def forward(self, x):
        return self.out(self.fc(x).mean(1, keepdim=True))


pool = Pool(8)
'''


def test_module_level_models_are_confirmed_too():
    import torch

    mod = load(MODULE_LEVEL, "m.py")
    for model, width in ((mod.mlp, 12), (mod.head, 3)):
        for shape in [(width,), (2, width), (2, 5, width), (2, 3, 5, width)]:
            with pytest.raises(RuntimeError):
                model(torch.randn(*shape))
    errors = _errors(MODULE_LEVEL)
    lines = MODULE_LEVEL.splitlines()
    assert sorted({lines[f.line - 1].split("=")[0].strip() for f in errors}) == ["mlp", "self.out"]
    assert all(f.code == "SHP002" for f in errors)


def test_a_module_level_model_only_the_guess_breaks_is_no_error():
    import torch

    pool = load(MODULE_LEVEL_REDUCED, "m.py").pool
    assert pool(torch.randn(2, 5, 8)).shape == (2, 1, 3)  # torch runs it on (B, T, 8)
    assert not _errors(MODULE_LEVEL_REDUCED)
