"""What attention refuses of a mask whatever its shape (issue 11): SHP017 for an integer mask, SHP018
for the is_causal hint without a mask; and a float mask, which rules out MultiheadAttention's fused
path, judged now that factories carry their dtype.

Each case runs in real torch in training mode with autograd and in eval mode under no_grad
(tests/test_transformer_masks.py's harness and dimensions: N = 2, L = 5, S = 4, d_model 8).
A case with a code must be rejected by torch in both modes and is exactly that one finding at the
call; a case named `_ok` runs in both, one named `_lenient` in one mode only: neither is a finding.
"""

import pytest

from shapelint.engine.check import check_source
from test_transformer_masks import ATTENTION, DEC_LAYER, DECODER, ENC_LAYER, ENCODER, TRANSFORMER, model, torch_runs

LONG, INT, BOOL = "dtype=torch.long", "dtype=torch.int32", "dtype=torch.bool"

CASES = {
    # an integer mask: F._canonical_mask rejects it before anything else, on every path
    "enc_layer_long_mask": ("SHP017", model(ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {LONG})")),
    "enc_layer_int_padding": ("SHP017", model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 5, {INT})")),
    "enc_layer_long_mask_causal_hint": ("SHP017", model(ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {LONG}), is_causal=True")),
    "enc_layer_seq_first_long_padding": ("SHP017", model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 5, {LONG})", bf=False)),
    "enc_layer_unbatched_long_mask": ("SHP017", model(ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {LONG})", unbatched=True)),
    "enc_layer_tril_long_mask": ("SHP017", model(ENC_LAYER, "x, src_mask=torch.tril(torch.ones(5, 5)).long()")),
    "enc_layer_moved_long_mask": ("SHP017", model(ENC_LAYER, f"x, src_mask=torch.ones(5, 5, {LONG}).triu(1).to(x.device)")),
    "encoder_long_mask": ("SHP017", model(ENCODER, f"x, mask=torch.ones(5, 5, {LONG})")),
    "encoder_long_padding": ("SHP017", model(ENCODER, f"x, src_key_padding_mask=torch.zeros(2, 5, {LONG})")),
    "dec_layer_long_tgt_mask": ("SHP017", model(DEC_LAYER, f"x, mem, tgt_mask=torch.zeros(5, 5, {LONG})")),
    "dec_layer_long_memory_mask": ("SHP017", model(DEC_LAYER, f"x, mem, memory_mask=torch.zeros(5, 4, {LONG})")),
    "dec_layer_int_memory_padding": ("SHP017", model(DEC_LAYER, f"x, mem, memory_key_padding_mask=torch.zeros(2, 4, {INT})")),
    "decoder_long_tgt_mask": ("SHP017", model(DECODER, f"x, mem, tgt_mask=torch.full((5, 5), 0)")),
    "transformer_long_src_mask": ("SHP017", model(TRANSFORMER, f"x, mem, src_mask=torch.zeros(5, 5, {LONG})")),
    "transformer_long_tgt_padding": ("SHP017", model(TRANSFORMER, f"x, mem, tgt_key_padding_mask=torch.tensor([[0, 0, 0, 1], [0, 0, 1, 1]])")),
    "attention_long_mask": ("SHP017", model(ATTENTION, f"x, mem, mem, attn_mask=torch.zeros(5, 4, {LONG})")),
    "attention_self_long_mask_causal_hint": ("SHP017", model(
        ATTENTION, f"x, x, x, attn_mask=torch.zeros(5, 5, {LONG}), need_weights=False, is_causal=True")),
    "attention_long_padding": ("SHP017", model(ATTENTION, f"x, mem, mem, key_padding_mask=torch.zeros(2, 4, {LONG})")),
    "attention_bool_mask_ok": (None, model(ATTENTION, f"x, mem, mem, attn_mask=torch.zeros(5, 4, {BOOL})")),
    "attention_compared_mask_ok": (None, model(ATTENTION, "x, mem, mem, attn_mask=torch.zeros(5, 4, dtype=torch.long) == 1")),
    "attention_float_padding_ok": (None, model(ATTENTION, "x, mem, mem, key_padding_mask=torch.zeros(2, 4)")),
    # a float mask rules out MultiheadAttention's fused path: the reference path's shape rule is torch's only one
    "attention_self_flat_float_mask": ("SHP006", model(ATTENTION, "x, x, x, attn_mask=torch.zeros(1, 25)")),
    "attention_self_float_padding_transposed_with_mask": ("SHP006", model(
        ATTENTION, f"x, x, x, attn_mask=torch.zeros(5, 5, {BOOL}), key_padding_mask=torch.zeros(5, 2)")),
    "dec_layer_flat_float_mask": ("SHP006", model(DEC_LAYER, "x, mem, tgt_mask=torch.zeros(1, 25)")),
    "dec_layer_flat_compared_mask_lenient": (None, model(DEC_LAYER, "x, mem, tgt_mask=torch.zeros(1, 25) > 0")),
    "dec_layer_flat_triu_bool_mask_lenient": (None, model(
        DEC_LAYER, f"x, mem, tgt_mask=torch.triu(torch.ones(5, 5, {BOOL}), 1).view(1, 25)")),
    # the is_causal hint without a mask: only the fused eval path runs it
    "enc_layer_causal_hint_no_mask_lenient": (None, model(ENC_LAYER, "x, is_causal=True")),
    "enc_layer_seq_first_causal_hint_no_mask": ("SHP018", model(ENC_LAYER, "x, is_causal=True", bf=False)),
    "enc_layer_unbatched_causal_hint_no_mask": ("SHP018", model(ENC_LAYER, "x, is_causal=True", unbatched=True)),
    "enc_layer_odd_heads_causal_hint_no_mask": ("SHP018", model(ENC_LAYER, "x, is_causal=True", heads=1)),
    "enc_layer_causal_hint_mask_none": ("SHP018", model(ENC_LAYER, "x, src_mask=None, is_causal=True", bf=False)),
    "enc_layer_causal_hint_padding_no_mask_lenient": (None, model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 5, {BOOL}), is_causal=True")),
    "encoder_causal_hint_no_mask_lenient": (None, model(ENCODER, "x, is_causal=True")),
    "encoder_seq_first_causal_hint_no_mask": ("SHP018", model(ENCODER, "x, is_causal=True", bf=False)),
    "attention_causal_hint_no_mask_lenient": (None, model(ATTENTION, "x, x, x, need_weights=False, is_causal=True")),
    "attention_cross_causal_hint_no_mask": ("SHP018", model(ATTENTION, "x, mem, mem, need_weights=False, is_causal=True")),
    "attention_seq_first_causal_hint_no_mask": ("SHP018", model(ATTENTION, "x, x, x, is_causal=True", bf=False)),
    "attention_causal_hint_false_ok": (None, model(ATTENTION, "x, mem, mem, is_causal=False")),
    "dec_layer_tgt_causal_hint_no_mask_lenient": (None, model(DEC_LAYER, "x, mem, tgt_is_causal=True")),
    "dec_layer_memory_causal_hint_no_mask": ("SHP018", model(DEC_LAYER, "x, mem, memory_is_causal=True")),
    "decoder_seq_first_tgt_causal_hint_no_mask": ("SHP018", model(DECODER, "x, mem, tgt_is_causal=True", bf=False)),
    "transformer_src_causal_hint_no_mask_lenient": (None, model(TRANSFORMER, "x, mem, src_is_causal=True")),
    "transformer_seq_first_tgt_causal_hint_no_mask": ("SHP018", model(TRANSFORMER, "x, mem, tgt_is_causal=True", bf=False)),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mask_torch_refuses_on_every_path_is_one_finding(case):
    code, src = CASES[case]
    runs = torch_runs(src)
    if code is not None:
        assert runs == (False, False), runs
    elif case.endswith("_lenient"):
        assert runs.count(True) == 1, runs
    else:
        assert runs == (True, True), runs
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    assert [f.code for f in errors] == ([code] if code else []), [(f.code, f.message) for f in errors]
    if code:
        assert errors[0].line == next(i for i, ln in enumerate(src.splitlines(), 1) if "self.net(x" in ln)


MESSAGES = {
    "enc_layer_long_mask": "src_mask is a long (int64) tensor, but torch's attention takes only bool or float masks",
    "dec_layer_int_memory_padding": "memory_key_padding_mask is an int (int32) tensor",
    "enc_layer_tril_long_mask": "use src_mask.bool() (True where attention is not allowed)",
    "enc_layer_seq_first_causal_hint_no_mask": (
        "the is_causal hint is True but no src_mask is given, and torch's fused eval path cannot run this call, so torch "
        "raises `RuntimeError: Need attn_mask if specifying the is_causal hint`; pass "
        "src_mask=nn.Transformer.generate_square_subsequent_mask(5) with it"),
    "dec_layer_memory_causal_hint_no_mask": "pass memory_mask=torch.ones(5, 4, dtype=torch.bool).triu(1) with it",
    "enc_layer_unbatched_causal_hint_no_mask": "the input is unbatched, so torch raises",
    "transformer_seq_first_tgt_causal_hint_no_mask": (
        "pass tgt_mask=nn.Transformer.generate_square_subsequent_mask(L) (L: the query's length, S: the keys') with it"),
}


@pytest.mark.parametrize("case", sorted(MESSAGES))
def test_the_finding_names_the_mask_and_the_value_that_fixes_it(case):
    (f,) = [f for f in check_source("m.py", CASES[case][1]).findings if f.severity == "error"]
    assert MESSAGES[case] in f.message, f.message


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(c for c, (code, _) in CASES.items() if code == "SHP018"))
def test_passing_the_mask_shp018_names_makes_the_call_run(case):
    import re

    src = CASES[case][1]
    (f,) = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    name, value = re.search(r"pass (\w+)=(.+) with it$", f.message).groups()
    line = next(ln for ln in src.splitlines() if "self.net(x" in ln)
    if "(L: the query's length" in value:
        pytest.skip("the sizes are not known: the fix names them")
    mended = line.replace(f"{name}=None", f"{name}={value}") if f"{name}=None" in line else line[:-1] + f", {name}={value})"
    fixed = src.replace(line, mended)
    assert torch_runs(fixed) == (True, True)
    assert [f for f in check_source("m.py", fixed).findings if f.severity == "error"] == []


@pytest.mark.torch
def test_random_masks_with_integer_dtypes_and_bare_hints_are_never_an_error_where_torch_runs_them():
    """test_transformer_masks_random's calls (another seed), every is_causal hint drawn made True, a third
    of the calls with a mask made int64 and a third without their attention masks (padding masks kept):
    no error where torch runs either way, and SHP017 and SHP018 are both exercised (the figures are
    checked so the test cannot pass vacuously)."""
    import random
    import re

    from test_transformer_masks_random import _call

    rng = random.Random(17)
    alarms, codes = [], []
    for _ in range(60):
        src = _call(rng).replace("is_causal=False", "is_causal=True")
        draw = rng.random()
        if draw < 0.35:
            src = src.replace("dtype=torch.bool)", "dtype=torch.long)", 1).replace("dtype=torch.float)", "dtype=torch.long)", 1)
        elif draw < 0.7:
            src = re.sub(r", (src_mask|mask|tgt_mask|memory_mask|attn_mask)=torch\.zeros\([^)]*\)", "", src)
        runs = torch_runs(src)
        errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
        codes += [f.code for f in errors]
        if errors and any(runs):
            alarms.append((src.splitlines()[-2].strip(), runs, errors[0].message))
    assert alarms == [], (len(alarms), alarms[:3])
    assert codes.count("SHP017") >= 3 and codes.count("SHP018") >= 3, codes


SDPA = [  # (the call, torch runs it); q, k, v (2, 2, 5, 4)
    ("F.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(5, 5, dtype=torch.long))", False),
    ("F.scaled_dot_product_attention(q, q, q, torch.ones(5, 5, dtype=torch.int32).tril())", False),
    ("F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(5, 5).tril().long().to(q.device))", False),
    ("F.scaled_dot_product_attention(q, q, q, attn_mask=torch.ones(5, 5).tril() == 1)", True),
    ("F.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(5, 5))", True),
    ("F.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(5, 5, dtype=torch.long).bool())", True),
]


@pytest.mark.torch
@pytest.mark.parametrize("call,runs", SDPA, ids=[c for c, _ in SDPA])
def test_an_integer_sdpa_mask_is_shp017_where_torch_raises_with_grad_and_without(call, runs):
    import torch

    from test_ops_vs_torch import Case, _source
    from torch_oracle import load

    src = _source(Case(call, "q=(2, 2, 5, 4)"))
    outcomes = []
    for grad in (True, False):
        net = load(src).M()
        try:
            with torch.set_grad_enabled(grad):
                net(torch.randn(2, 2, 5, 4, requires_grad=grad))
            outcomes.append(True)
        except RuntimeError:
            outcomes.append(False)
    assert outcomes == [runs, runs]
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    assert [f.code for f in errors] == ([] if runs else ["SHP017"]), [(f.code, f.message) for f in errors]
    assert runs or ("attn_mask is a" in errors[0].message and "Expected attn_mask dtype to be bool or float" in errors[0].message
                    and "True where attention is allowed" in errors[0].message)  # SDPA's bool convention


TRIL_BUFFER = "self.register_buffer('bias', torch.tril(torch.ones(5, 5)).view(1, 1, 5, 5))"
MASKED_FILL = [  # (expression, inputs, init, torch runs it)
    ("x.masked_fill(torch.tril(torch.ones(5, 5)), 0.0)", "x=(2, 5, 5)", "", False),
    ("x.masked_fill(self.bias[:, :, :x.size(2), :x.size(2)], float('-inf'))", "x=(2, 2, 5, 5)", TRIL_BUFFER, False),
    ("torch.masked_fill(x, torch.ones(5, dtype=torch.long), 1.0)", "x=(2, 5)", "", False),
    ("x.masked_fill_(torch.zeros(2, 5, dtype=torch.int32), 1.0)", "x=(2, 5)", "", False),
    ("x.masked_fill(mask=m.float(), value=0.0)", "x=(2, 5), m=(2, 5):bool", "", False),
    ("x.masked_fill(self.bias[:, :, :x.size(2), :x.size(2)] == 0, float('-inf'))", "x=(2, 2, 5, 5)", TRIL_BUFFER, True),
    ("x.masked_fill(torch.tril(torch.ones(5, 5)).bool(), 0.0)", "x=(2, 5, 5)", "", True),
    ("x.masked_fill(m, 0.0)", "x=(2, 5), m=(2, 5):bool", "", True),
    ("x.masked_fill(torch.ones(5, 5, dtype=torch.long).to(x.device) > 0, 0.0)", "x=(2, 5, 5)", "", True),
]


@pytest.mark.torch
@pytest.mark.parametrize("expr,inputs,init,runs", MASKED_FILL, ids=[c[0] for c in MASKED_FILL])
def test_a_mask_not_bool_given_to_masked_fill_is_shp017_where_torch_raises(expr, inputs, init, runs):
    from test_ops_vs_torch import Case, _source, _static, _torch_answer

    case = Case(expr, inputs, init=init)
    src = _source(case)
    expected = _torch_answer(src, case)
    assert (expected is not None) == runs
    output, errors = _static(src)
    assert [f.code for f in errors] == ([] if runs else ["SHP017"]), [(f.code, f.message) for f in errors]
    if runs:
        assert output == expected
    else:
        assert "but masked_fill takes only bool masks" in errors[0].message and " == 0` fills where it is 0" in errors[0].message
