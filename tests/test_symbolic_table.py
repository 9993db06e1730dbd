"""The symbolic shape table shows the constructor's symbols (issue 16.2).

A class built nowhere is checked with its required constructor arguments as symbols
(engine/symbolic_init.py). A layer whose output size is such an argument shows it in the table:
`nn.Linear(dim, num_classes)` gives `(B, num_classes)`, not `(B, ?)`. Each case is checked against
torch at two sets of values: the table's input and output rows, evaluated at those values, are
the shapes torch's forward hooks see.
"""

import textwrap

import pytest
from shapelint.engine.check import check_source

SIZES = {"B": 2, "T": 5, "L": 9, "H": 9, "W": 11}


def _case(init: str, forward: str, params: str) -> str:
    body = textwrap.indent(init, " " * 8)
    return (f"import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self, {params}):\n"
            f"        super().__init__()\n{body}\n    def forward(self, x):\n{textwrap.indent(forward, ' ' * 8)}")


LINEAR = _case("self.fc = nn.Linear(dim, num_classes)\n", "return self.fc(x)\n", "dim, num_classes")
EMBEDDING = _case("self.emb = nn.Embedding(vocab, width)\n", "return self.emb(x)\n", "vocab, width")
CONV = _case("self.conv = nn.Conv2d(in_ch, mid, 3, padding=1)\nself.up = nn.ConvTranspose2d(mid, out_ch, 2, stride=2)\n",
             "return self.up(self.conv(x))\n", "in_ch, mid, out_ch")
LSTM = _case("self.emb = nn.Embedding(vocab, dim)\nself.rnn = nn.LSTM(dim, hidden, num_layers=2, batch_first=True, bidirectional=True)\n",
             "out, (h, c) = self.rnn(self.emb(x))\nreturn out\n", "vocab, dim, hidden")
GRU = _case("self.emb = nn.Embedding(vocab, dim)\nself.rnn = nn.GRU(dim, hidden, batch_first=True)\n",
            "out, h = self.rnn(self.emb(x))\nreturn out\n", "vocab, dim, hidden")
ATTENTION = _case("self.emb = nn.Embedding(vocab, dim)\nself.attn = nn.MultiheadAttention(dim, heads, batch_first=True)\n"
                  "self.fc = nn.Linear(dim, num_classes)\n",
                  "e = self.emb(x)\ny, w = self.attn(e, e, e)\nreturn self.fc(y)\n", "vocab, dim, heads, num_classes")
ENCODER = _case("self.emb = nn.Embedding(vocab, dim)\nself.enc = nn.TransformerEncoderLayer(dim, heads, ff, batch_first=True)\n",
                "return self.enc(self.emb(x))\n", "vocab, dim, heads, ff")
POOL = _case("self.conv = nn.Conv1d(in_ch, mid, 3)\nself.pool = nn.AdaptiveAvgPool1d(side)\nself.up = nn.Upsample(size=side * 2)\n",
             "return self.up(self.pool(self.conv(x)))\n", "in_ch, mid, side")
SHUFFLE = _case("self.conv = nn.Conv2d(in_ch, out_ch * r * r, 3, padding=1)\nself.ps = nn.PixelShuffle(r)\n",
                "return self.ps(self.conv(x))\n", "in_ch, out_ch, r")

# (source, the rows that must show a symbol: module -> the symbol its output shows, two sets of values)
CASES = {
    "linear": (LINEAR, {"fc": "num_classes"}, [dict(dim=6, num_classes=10), dict(dim=3, num_classes=7)]),
    "embedding": (EMBEDDING, {"emb": "width"}, [dict(vocab=11, width=6), dict(vocab=4, width=9)]),
    "conv": (CONV, {"conv": "mid", "up": "out_ch"}, [dict(in_ch=3, mid=8, out_ch=5), dict(in_ch=1, mid=4, out_ch=2)]),
    "lstm": (LSTM, {"rnn": "hidden"}, [dict(vocab=7, dim=6, hidden=5), dict(vocab=3, dim=4, hidden=9)]),
    "gru": (GRU, {"rnn": "hidden"}, [dict(vocab=7, dim=6, hidden=5), dict(vocab=3, dim=4, hidden=9)]),
    "attention": (ATTENTION, {"attn": "dim", "fc": "num_classes"},
                  [dict(vocab=7, dim=8, heads=2, num_classes=3), dict(vocab=5, dim=12, heads=3, num_classes=4)]),
    "encoder": (ENCODER, {"enc": "dim", "enc.linear1": "ff"},
                [dict(vocab=7, dim=8, heads=2, ff=16), dict(vocab=5, dim=12, heads=3, ff=6)]),
    "shuffle": (SHUFFLE, {"ps": "r"}, [dict(in_ch=3, out_ch=2, r=2), dict(in_ch=1, out_ch=3, r=3)]),
    "pool": (POOL, {"conv": "mid", "pool": "side", "up": "side"}, [dict(in_ch=3, mid=8, side=2), dict(in_ch=2, mid=5, side=3)]),
}


def _model(source):
    (m,) = check_source("m.py", source, explain=True).models
    return m


def _shape(dims, env):
    """The table's sizes (`4*hidden`, `H - 2`: Python arithmetic) at the values of `env`."""
    return [d if isinstance(d, int) else eval(str(d), {"__builtins__": {}}, dict(env)) for d in dims]


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_table_shows_the_constructor_symbol(name):
    source, shown, _values = CASES[name]
    rows = {r.module: r for r in _model(source).layers}
    for module, symbol in shown.items():
        out = [str(d) for d in rows[module].out]
        assert not any("?" in d for d in out), (module, out)  # it was `?` before
        assert any(symbol in d for d in out), (module, out)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_symbolic_table_is_torch_s_at_two_values(name):
    import torch
    from torch_oracle import load

    source, shown, values = CASES[name]
    m = _model(source)
    for kwargs in values:
        env = {**SIZES, **kwargs}
        net = load(source).Net(**kwargs)
        seen = {}
        for module in shown:
            sub = net.get_submodule(module)
            sub.register_forward_hook(lambda mod, args, out, module=module: seen.__setitem__(module, (args[0], out)))
        shape = _shape(m.input, env)
        x = torch.randint(0, kwargs["vocab"], shape) if "vocab" in kwargs else torch.randn(*shape)
        net.eval()(x)
        for module in shown:
            row = next(r for r in m.layers if r.module == module)
            inp, out = seen[module]
            out = out[0] if isinstance(out, tuple) else out
            assert _shape(row.inp, env) == list(inp.shape), (module, kwargs)
            assert _shape(row.out, env) == list(out.shape), (module, kwargs)
