"""nn.Transformer, nn.TransformerDecoder with memory, MultiheadAttention with kdim/vdim: against torch.

Every target of fixtures/transformer_full.py runs in torch; every named submodule's static
shape (call by call), the model's outputs and every module's parameter count equal torch's.
The broken variants are flagged exactly where torch fails.
"""

import os

import pytest

from shapelint.engine.check import check_source
from torch_oracle import declared_targets, forward_arguments, load, run_declared

pytestmark = pytest.mark.torch  # every test compares with real torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "fixtures", "transformer_full.py")
SOURCE = open(PATH).read()
TARGETS = sorted(declared_targets(SOURCE).items())


def _model(result, target):
    return next(m for m in result.models if m.name == target)


@pytest.mark.parametrize("target,specs", TARGETS, ids=[t for t, _ in TARGETS])
def test_every_submodule_and_output_matches_torch(target, specs):
    oracle = run_declared(SOURCE, target, specs, filename=PATH)
    assert oracle.verdict == "ok", oracle.error
    result = check_source(PATH, SOURCE, explain=True)
    assert [f.message for f in result.findings if f.severity == "error"] == []
    model = _model(result, target)
    rows = {}
    for row in model.layers:
        if row.module is not None:
            rows.setdefault(row.module, []).append(row.out)
    assert len(oracle.shapes) >= 3
    for name, outs in oracle.shapes.items():
        assert rows.get(name) == outs, f"{name}: static {rows.get(name)} vs torch {outs}"
    if isinstance(model.output, list) and model.output and isinstance(model.output[0], list):
        assert model.output == oracle.outputs
    elif model.output is not None:
        assert model.output == oracle.outputs[0]


@pytest.mark.parametrize("target,specs", TARGETS, ids=[t for t, _ in TARGETS])
def test_parameter_counts_match_torch(target, specs):
    model = load(SOURCE, PATH).__dict__[target]()
    named = dict(model.named_modules())
    summary = _model(check_source(PATH, SOURCE, explain=True), target).summary
    assert summary["total"]["params"] == sum(p.numel() for p in model.parameters())
    compared = 0
    for row in summary["modules"]:
        m = named.get(row["module"])
        if m is not None and row["params"] is not None:
            assert row["params"] == sum(p.numel() for p in m.parameters()), row["module"]
            compared += 1
    assert compared >= 3


def test_square_subsequent_mask_is_sz_by_sz_float():
    import torch

    m = torch.nn.Transformer.generate_square_subsequent_mask(6)
    src = (
        "import torch.nn as nn\n\n\n"
        "class Masks(nn.Module):  # shapelint: input=(2, 6, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.t = nn.Transformer(8, 2, 1, 1, 16, batch_first=True)\n\n"
        "    def forward(self, x):\n"
        "        a = nn.Transformer.generate_square_subsequent_mask(x.size(1))\n"
        "        b = self.t.generate_square_subsequent_mask(x.size(1))\n"
        "        return a + b\n"
    )
    out = _model(check_source("masks.py", src, explain=True), "Masks").output
    assert out == list(m.shape) and m.dtype.is_floating_point


BROKEN = {
    # (old, new, code): torch must fail on the mutated source, shapelint must report `code`
    "nhead_does_not_divide": ("nn.Transformer(d_model, nhead, num_encoder_layers=2", "nn.Transformer(d_model, 3, num_encoder_layers=2", "SHP007"),
    "src_width": ("self.transformer(src, tgt, tgt_mask=mask)", "self.transformer(src[..., :8], tgt, tgt_mask=mask)", "SHP002"),
    "tgt_width": ("self.transformer(src, tgt, tgt_mask=mask)", "self.transformer(src, tgt[..., :12], tgt_mask=mask)", "SHP002"),
    "batch_of_src_and_tgt": ("self.transformer(src, tgt, tgt_mask=mask)", "self.transformer(torch.cat([src, src]), tgt, tgt_mask=mask)", "SHP006"),
    "sequence_first_batch": ("return self.model(src, tgt, src_mask=None", "return self.model(torch.cat([src, src], dim=1), tgt, src_mask=None", "SHP006"),
    "memory_width": ("y = self.decoder(tgt, memory, tgt_mask=causal)", "y = self.decoder(tgt, memory[..., :16], tgt_mask=causal)", "SHP002"),
    "kdim": ("kdim=12, vdim=12, batch_first=True", "kdim=10, vdim=12, batch_first=True", "SHP002"),
    # a causal mask sized by the batch dim instead of the sequence's (the masks reach the layers)
    "tgt_mask_of_the_batch_dim": ("generate_square_subsequent_mask(tgt.size(1))", "generate_square_subsequent_mask(tgt.size(0))", "SHP006"),
    "sequence_first_tgt_mask_of_the_batch_dim": ("generate_square_subsequent_mask(tgt.shape[0])",
                                                 "generate_square_subsequent_mask(tgt.shape[1])", "SHP006"),
    "decoder_tgt_mask_length": ("torch.full((5, 5), float(\"-inf\"))", "torch.full((6, 6), float(\"-inf\"))", "SHP006"),
    "vdim": ("nn.MultiheadAttention(20, 4, kdim=12, vdim=8)", "nn.MultiheadAttention(20, 4, kdim=12, vdim=12)", "SHP002"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_flagged_exactly_when_torch_fails(name):
    old, new, code = BROKEN[name]
    assert old in SOURCE
    src = SOURCE.replace(old, new)
    outcomes = [run_declared(src, t, s, filename=PATH) for t, s in declared_targets(src).items()]
    assert sum(o.verdict == "crash" for o in outcomes) == 1, [o.error for o in outcomes]
    errors = [f for f in check_source(PATH, src).findings if f.severity == "error"]
    assert code in {f.code for f in errors}, [(f.code, f.message) for f in errors]


def test_a_narrow_tgt_is_told_to_be_d_model_wide():
    src = SOURCE.replace("self.transformer(src, tgt, tgt_mask=mask)", "self.transformer(src, tgt[..., :12], tgt_mask=mask)")
    messages = [f.message for f in check_source(PATH, src).findings if f.severity == "error"]
    assert any("expects 16" in m and "receives 12" in m and "make tgt 16 wide" in m for m in messages), messages


def test_bad_fixture_messages_name_both_numbers_and_the_fix():
    path = os.path.join(ROOT, "fixtures", "transformer_full_bad.py")
    messages = sorted(f.message for f in check_source(path, open(path).read()).findings if f.severity == "error")
    assert any("d_model (30)" in m and "nhead (4)" in m for m in messages), messages
    assert any("expects 32" in m and "receives 24" in m and "make memory 32 wide" in m for m in messages), messages


ATTENTION = [
    # (constructor, the call's arguments after (q, k, v), q, k, v shapes): the weights must be torch's
    ("nn.MultiheadAttention(20, 5, kdim=12, vdim=8, batch_first=True)", "", (3, 4, 20), (3, 7, 12), (3, 7, 8)),
    ("nn.MultiheadAttention(20, 5, kdim=12, vdim=8, batch_first=True)", ", average_attn_weights=False", (3, 4, 20), (3, 7, 12), (3, 7, 8)),
    ("nn.MultiheadAttention(20, 4, kdim=12, vdim=12)", ", need_weights=True", (4, 3, 20), (7, 3, 12), (7, 3, 12)),
    ("nn.MultiheadAttention(20, 4, kdim=12, vdim=12)", ", average_attn_weights=False", (4, 3, 20), (7, 3, 12), (7, 3, 12)),
    ("nn.MultiheadAttention(16, 2)", ", average_attn_weights=False", (5, 16), (6, 16), (6, 16)),  # unbatched
]


@pytest.mark.torch
@pytest.mark.parametrize("ctor,extra,q,k,v", ATTENTION, ids=[f"{c}{e}" for c, e, *_ in ATTENTION])
def test_attention_weights_match_torch(ctor, extra, q, k, v):
    import torch
    import torch.nn as nn  # noqa: F401 - the constructor text below names nn

    attn = eval(ctor)  # noqa: S307 - our own table
    with torch.no_grad():
        out, weights = eval(f"attn(torch.randn(*q), torch.randn(*k), torch.randn(*v){extra})")  # noqa: S307
    src = ("import torch\nimport torch.nn as nn\n\n\n"
           f"class A(nn.Module):  # shapelint: q=({', '.join(map(str, q))}), k=({', '.join(map(str, k))}), "
           f"v=({', '.join(map(str, v))})\n"
           f"    def __init__(self):\n        super().__init__()\n        self.attn = {ctor}\n\n"
           f"    def forward(self, q, k, v):\n        return self.attn(q, k, v{extra})[1], self.attn(q, k, v)[0]\n")
    model = _model(check_source("a.py", src, explain=True), "A")
    assert model.output == list(weights.shape)
    params = sum(p.numel() for p in attn.parameters())
    assert model.summary["total"]["params"] == params
