"""Tied weights in the --explain summary against torch, spelled the ways models spell them.

torch counts a Parameter once in `model.parameters()` however many modules hold it, and each
module's own `parameters()` lists it: every summary row is compared with that submodule's
`parameters()`, the total with the model's (trainable and frozen apart) and its buffers. A
Parameter shapelint cannot follow makes the count unknown (None), never a wrong number.
Each snippet is written here from torch's semantics (GPT-2 assigns the head's weight to the
token embedding; HF's tie_weights assigns through get_input/output_embeddings; T5 hands one
embedding module to encoder and decoder; torchscript exports clone instead of tying).
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"

ASSIGN_TO_EMBEDDING = HEAD + '''
class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self, vocab=11, d=6):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.body = nn.Linear(d, d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.wte.weight = self.lm_head.weight  # the head's weight, held by the embedding first

    def forward(self, idx):
        return self.lm_head(self.body(self.wte(idx)))
'''

TIE_METHOD = HEAD + '''
class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self, vocab=13, d=4, tie=True):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        if tie:
            self.tie_weights()

    def get_input_embeddings(self):
        return self.embed

    def get_output_embeddings(self):
        return self.head

    def tie_weights(self):
        output, inp = self.get_output_embeddings(), self.get_input_embeddings()
        output.weight = inp.weight
        if hasattr(output, "out_features") and hasattr(inp, "num_embeddings"):
            output.out_features = inp.num_embeddings

    def forward(self, idx):
        return self.head(self.norm(self.embed(idx)))
'''

CLONED = TIE_METHOD.replace("output.weight = inp.weight", "output.weight = nn.Parameter(inp.weight.clone())")

SHARED_MODULE = HEAD + '''
class Stack(nn.Module):
    def __init__(self, embed, d):
        super().__init__()
        self.embed_tokens = embed
        self.proj = nn.Linear(d, d)

    def forward(self, ids):
        return self.proj(self.embed_tokens(ids))


class Net(nn.Module):  # shapelint: ids=(2, 3):long
    def __init__(self, vocab=9, d=5):
        super().__init__()
        self.shared = nn.Embedding(vocab, d)
        self.encoder = Stack(self.shared, d)
        self.decoder = Stack(self.shared, d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.shared.weight

    def forward(self, ids):
        return self.lm_head(self.decoder(ids) + self.encoder(ids))
'''

FUNCTION_TIES = HEAD + '''
def tie_weight(model):
    model.output.weight = model.tok_embeddings.weight


class Net(nn.Module):  # shapelint: ids=(2, 3):long
    def __init__(self):
        super().__init__()
        self.tok_embeddings = nn.Embedding(7, 3)
        self.output = nn.Linear(3, 7, bias=False)
        tie_weight(self)

    def forward(self, ids):
        return self.output(self.tok_embeddings(ids))
'''

SHARED_PARAMETER = HEAD + '''
class Scale(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x * self.p


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self, frozen=False):
        super().__init__()
        p = nn.Parameter(torch.ones(4), requires_grad=not frozen)
        self.a = Scale(p)
        self.b = Scale(p)
        self.fc = nn.Linear(4, 4)
        self.bias = nn.Parameter(torch.zeros(4))
        self.fc.bias = self.bias  # BERT's decoder.bias = self.bias

    def forward(self, x):
        return self.fc(self.b(self.a(x)))
'''

FROZEN_TIE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        w = nn.Parameter(torch.randn(4, 4), requires_grad=False)
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.a.weight = w
        self.b.weight = w

    def forward(self, x):
        return self.b(self.a(x))
'''

INIT_LOOPS = HEAD + '''
class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self, vocab=10, d=8):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([nn.Linear(d, d) for _ in range(2)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.wte.weight = self.head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        names = [n for n, _ in self.named_parameters()]
        self.count = nn.Linear(d, len(names))  # its size is how many parameters torch lists

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx):
        x = self.wte(idx)
        for blk in self.blocks:
            x = x + blk(x)
        return self.head(self.ln(x)), self.count(x)
'''

PARAMETER_NAMES = HEAD + '''
class Norm(nn.Module):
    def __init__(self, d, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias)


class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.norm = Norm(4, False)
        self.dec = nn.Linear(4, 10, bias=False)
        self.bias = nn.Parameter(torch.zeros(10))
        self.dec.bias = self.bias
        self.dec.weight = self.emb.weight
        names = [n for n, _ in self.named_parameters()]
        # a size made of the names and their order: the model's own `bias` first, each tied one once
        self.sized = nn.Linear(sum([(i + 1) * len(n) for i, n in enumerate(names)]), 1)

    def forward(self, idx):
        return self.dec(self.norm(self.emb(idx)))
'''

FREEZING_LOOP = HEAD + '''
class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.fc = nn.Linear(4, 10)
        self.fc.weight = self.emb.weight

    def forward(self, idx):
        return self.fc(self.emb(idx))


def frozen_embedding():
    model = Net()
    for p in model.emb.parameters():
        p.requires_grad = False  # the tied weight: frozen in fc too
    model.fc.bias.requires_grad_(False)
    return model


frozen = frozen_embedding()  # shapelint: idx=(2, 5):long
'''

TIED_CASES = {"parameter_names": PARAMETER_NAMES, "assign_to_embedding": ASSIGN_TO_EMBEDDING, "tie_method": TIE_METHOD, "cloned": CLONED,
              "shared_module": SHARED_MODULE, "function_ties": FUNCTION_TIES, "shared_parameter": SHARED_PARAMETER,
              "frozen_tie": FROZEN_TIE, "init_loops": INIT_LOOPS}


def _summary(src):
    (report,) = [m for m in check_source("tie.py", src, explain=True).models if m.name == "Net"]
    return report.summary


def _torch_counts(m):
    params = list(m.parameters())
    return (sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad), sum(b.numel() for b in m.buffers()))


@pytest.mark.parametrize("name", list(TIED_CASES))
def test_tied_parameters_are_counted_as_torch_counts_them(name):
    src = TIED_CASES[name]
    model = load(src, "tie.py").Net()
    s = _summary(src)
    t = s["total"]
    assert (t["params"], t["trainable"], t["buffers"]) == _torch_counts(model)
    named = dict(model.named_modules())
    rows = [r for r in s["modules"] if r["module"] in named]
    assert rows and all(r["params"] is not None for r in rows)
    for r in rows:
        assert (r["params"], r["trainable"], r["buffers"]) == _torch_counts(named[r["module"]]), r["module"]


def test_a_freezing_loop_over_parameters_makes_them_frozen():
    (report,) = [m for m in check_source("tie.py", FREEZING_LOOP, explain=True).models if m.name == "frozen"]
    model = load(FREEZING_LOOP, "tie.py").frozen
    t = report.summary["total"]
    assert (t["params"], t["trainable"], t["buffers"]) == _torch_counts(model)
    assert t["trainable"] == 0


def test_a_module_frozen_by_requires_grad_has_no_trainable_count():
    src = FREEZING_LOOP + "\n\nhead_frozen = Net().requires_grad_(False)  # shapelint: idx=(2, 5):long\n"
    model = load(src, "tie.py").head_frozen
    assert _torch_counts(model)[1] == 0  # what a formula's count would get wrong
    (report,) = [m for m in check_source("tie.py", src, explain=True).models if m.name == "head_frozen"]
    assert report.summary["total"]["trainable"] is None


LAYER_FROZEN_IN_INIT = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 64, 5)
    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)  # YOLOv8's DFL
        self.fc = nn.Linear(5, 3)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.fc(self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a))
'''


def test_a_layer_frozen_in_the_constructor_has_no_wrong_trainable_count():
    model = load(LAYER_FROZEN_IN_INIT, "tie.py").Net()
    named = dict(model.named_modules())
    assert _torch_counts(named["conv"]) == (16, 0, 0)
    for r in _summary(LAYER_FROZEN_IN_INIT)["modules"]:
        if r["module"] in named and r["trainable"] is not None:
            assert (r["params"], r["trainable"], r["buffers"]) == _torch_counts(named[r["module"]]), r["module"]


def test_tying_is_counted_once_where_the_state_dict_lists_it_twice():
    model = load(ASSIGN_TO_EMBEDDING, "tie.py").Net()
    state = sum(v.numel() for v in model.state_dict().values())
    listed = sum(p.numel() for p in model.parameters())
    assert state - listed == model.lm_head.weight.numel()  # torch's own difference: the tied weight
    assert _summary(ASSIGN_TO_EMBEDDING)["total"]["params"] == listed


def test_a_clone_is_not_a_tie():
    tied, cloned = load(TIE_METHOD, "tie.py").Net(), load(CLONED, "tie.py").Net()
    extra = _torch_counts(cloned)[0] - _torch_counts(tied)[0]
    assert extra == tied.head.weight.numel()
    assert _summary(CLONED)["total"]["params"] - _summary(TIE_METHOD)["total"]["params"] == extra


UNFOLLOWED = {
    # `* 1` makes a new tensor in torch: `scale` is a plain attribute, not a parameter; the engine's
    # `p * 1` is p itself, so which it is is not known here
    "product": HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = self.fc.weight * 1

    def forward(self, x):
        return self.fc(x)
''',
    # `.float()` of a float32 Parameter is the Parameter itself in torch (a double one would not be)
    "cast": HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.other = nn.Linear(4, 4)
        self.other.weight = self.fc.weight.float()

    def forward(self, x):
        return self.other(self.fc(x))
''',
}


DATA = HEAD + '''
class Keep(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.kept = t

    def forward(self, x):
        return x


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.keep = Keep(self.fc.weight.data)

    def forward(self, x):
        return self.keep(self.fc(x))
'''


def test_a_parameters_data_is_not_a_parameter():
    """`.data` is a new tensor in torch, not the Parameter: `kept` is a plain attribute of Keep"""
    src = DATA
    model = load(src, "tie.py").Net()
    rows = {r["module"]: r for r in _summary(src)["modules"]}
    assert rows["keep"]["params"] == _torch_counts(model.keep)[0] == 0


@pytest.mark.parametrize("name", list(UNFOLLOWED))
def test_a_parameter_shapelint_cannot_follow_leaves_the_total_unknown(name):
    src = UNFOLLOWED[name]
    load(src, "tie.py").Net()  # torch builds it
    assert _summary(src)["total"]["params"] is None


def test_why_a_product_is_not_a_parameter():
    model = load(UNFOLLOWED["product"], "tie.py").Net()
    assert "scale" not in dict(model.named_parameters()) and not isinstance(model.scale, nn_parameter())


def nn_parameter():
    import torch.nn as nn

    return nn.Parameter
