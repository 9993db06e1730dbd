"""The masks given to nn.Transformer, its encoder and decoder stacks and layers (issue 11), and
nn.MultiheadAttention's is_causal hint and fused path.

Each case runs in real torch in training mode with autograd (the reference path) and in eval mode
under no_grad (where torch takes its fused paths when it can). A case named `_bad` must be rejected
by torch in both and is exactly one SHP006 at the call, naming the mask as the caller passed it; a
case named `_ok` runs in both, and a case named `_lenient` runs in one only (the fused path reads a
mask differently, or the is_causal hint drops it unread): neither is a finding.
Dimensions: batch N = 2, length L = 5, memory (keys) S = 4, d_model 8, 2 heads.
"""

import warnings

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

HEAD = "import torch\nimport torch.nn as nn\n\n\n"
BOOL = "dtype=torch.bool"

ENC_LAYER = "nn.TransformerEncoderLayer(8, {heads}, 16, batch_first={bf})"
DEC_LAYER = "nn.TransformerDecoderLayer(8, 2, 16, batch_first={bf})"
ENCODER = "nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first={bf}), 2)"
DECODER = "nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first={bf}), 2)"
TRANSFORMER = ("nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, "
               "batch_first={bf})")
ATTENTION = "nn.MultiheadAttention(8, 2, batch_first={bf})"


def model(layer, call, bf=True, heads=2, unbatched=False):
    """`mem` is 4 positions of x (the keys, or nn.Transformer's tgt): (N, S, E), (S, N, E) or (S, E)."""
    shape = "(5, 8)" if unbatched else ("(2, 5, 8)" if bf else "(5, 2, 8)")
    first = "torch.randn(4, 8)" if unbatched else ("x[:4]" if not bf else "x[:, :4]")
    return (HEAD + f"class Net(nn.Module):  # shapelint: input={shape}\n"
            "    def __init__(self):\n        super().__init__()\n"
            f"        self.net = {layer.format(bf=bf, heads=heads)}\n"
            "        self.keys = nn.Linear(8, 8)\n\n"
            "    def forward(self, x):\n"
            f"        mem = self.keys({first})\n"
            f"        out = self.net({call})\n"
            "        return out[0] if isinstance(out, tuple) else out\n")


CAUSAL_5 = "nn.Transformer.generate_square_subsequent_mask(5)"
CASES = {
    # nn.TransformerEncoderLayer: src_mask (L, L) or (N * nhead, L, L), src_key_padding_mask (N, L)
    "enc_layer_src_mask_ok": model(ENC_LAYER, "x, src_mask=torch.zeros(5, 5)"),
    "enc_layer_src_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(5, 4)"),
    "enc_layer_src_mask_positional_bad": model(ENC_LAYER, "x, torch.zeros(4, 4)"),
    "enc_layer_heads_mask_ok": model(ENC_LAYER, "x, src_mask=torch.zeros(4, 5, 5)"),
    "enc_layer_batch_only_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(2, 5, 5)"),
    "enc_layer_padding_ok": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    "enc_layer_padding_length_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "enc_layer_padding_transposed_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(5, 2, {BOOL})"),
    # the fused path views a 2-D mask as (1, 1, L, L): 25 elements in any shape run there
    "enc_layer_flat_mask_lenient": model(ENC_LAYER, "x, src_mask=torch.zeros(1, 25)"),
    # with an attn_mask too, the fused path only views the padding mask as (N, 1, 1, L)
    "enc_layer_transposed_padding_with_mask_lenient": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {BOOL}), src_key_padding_mask=torch.zeros(5, 2, {BOOL})"),
    "enc_layer_short_padding_with_mask_bad": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {BOOL}), src_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "enc_layer_batch_mask_with_padding_lenient": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(2, 5, 5, {BOOL}), src_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    "enc_layer_one_mask_with_padding_bad": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(1, 5, 5, {BOOL}), src_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    # no fused path with an odd head count: the flat mask is rejected everywhere
    "enc_layer_odd_heads_flat_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(1, 25)", heads=1),
    # is_causal: the reference path drops the mask unread, the fused path reads it
    "enc_layer_causal_hint_lenient": model(ENC_LAYER, "x, src_mask=torch.zeros(5, 4), is_causal=True"),
    "enc_layer_causal_hint_with_padding_bad": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(5, 4), src_key_padding_mask=torch.zeros(2, 5, {BOOL}), is_causal=True"),
    # sequence first: (L, N, E); no fused path
    "enc_layer_seq_first_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(5, 4)", bf=False),
    "enc_layer_seq_first_padding_ok": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(2, 5, {BOOL})", bf=False),
    "enc_layer_seq_first_padding_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(5, 2, {BOOL})", bf=False),
    "enc_layer_seq_first_flat_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(1, 25)", bf=False),
    # unbatched (L, E): (L, L) or (nhead, L, L), padding (L,)
    "enc_layer_unbatched_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(4, 4)", unbatched=True),
    "enc_layer_unbatched_heads_mask_ok": model(ENC_LAYER, "x, src_mask=torch.zeros(2, 5, 5)", unbatched=True),
    "enc_layer_unbatched_heads_mask_causal_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(2, 5, 4), is_causal=True",
                                                       unbatched=True),
    "enc_layer_unbatched_padding_ok": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(5, {BOOL})", unbatched=True),
    "enc_layer_unbatched_padding_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(4, {BOOL})", unbatched=True),
    # a mask of another rank: the reference path rejects it first; the fused path views it as a
    # 2-D attn_mask (L * L elements) or, beside an attn_mask, as the (N, 1, 1, L) padding view
    "enc_layer_4d_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(2, 2, 5, 5)"),
    "enc_layer_flat_1d_mask_lenient": model(ENC_LAYER, "x, src_mask=torch.zeros(25)"),
    "enc_layer_one_sample_padding_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(5, {BOOL})"),
    "enc_layer_flat_padding_with_mask_lenient": model(
        ENC_LAYER, f"x, src_mask=torch.zeros(5, 5, {BOOL}), src_key_padding_mask=torch.zeros(10, {BOOL})"),
    "enc_layer_seq_first_flat_padding_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(10, {BOOL})", bf=False),
    "enc_layer_unbatched_2d_padding_bad": model(ENC_LAYER, f"x, src_key_padding_mask=torch.zeros(1, 5, {BOOL})", unbatched=True),
    "enc_layer_unbatched_4d_mask_bad": model(ENC_LAYER, "x, src_mask=torch.zeros(1, 1, 5, 5)", unbatched=True),
    # nn.TransformerEncoder hands mask= and src_key_padding_mask= to every layer
    "encoder_causal_mask_ok": model(ENCODER, f"x, mask={CAUSAL_5}"),
    "encoder_mask_bad": model(ENCODER, "x, mask=torch.zeros(5, 4)"),
    "encoder_padding_ok": model(ENCODER, f"x, src_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    "encoder_padding_bad": model(ENCODER, f"x, src_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "encoder_seq_first_padding_bad": model(ENCODER, f"x, src_key_padding_mask=torch.zeros(5, 2, {BOOL})", bf=False),
    "encoder_causal_hint_lenient": model(ENCODER, "x, mask=torch.zeros(5, 4), is_causal=True"),
    # nn.TransformerDecoderLayer: tgt_mask (T, T), memory_mask (T, S), paddings (N, T) and (N, S)
    "dec_layer_tgt_mask_ok": model(DEC_LAYER, f"x, mem, tgt_mask={CAUSAL_5}"),
    "dec_layer_tgt_mask_bad": model(DEC_LAYER, "x, mem, tgt_mask=torch.zeros(5, 4)"),
    "dec_layer_memory_mask_ok": model(DEC_LAYER, "x, mem, memory_mask=torch.zeros(5, 4)"),
    "dec_layer_memory_mask_square_bad": model(DEC_LAYER, "x, mem, memory_mask=torch.zeros(5, 5)"),
    "dec_layer_memory_mask_positional_bad": model(DEC_LAYER, "x, mem, None, torch.zeros(4, 4)"),
    "dec_layer_memory_heads_mask_ok": model(DEC_LAYER, "x, mem, memory_mask=torch.zeros(4, 5, 4)"),
    "dec_layer_tgt_padding_bad": model(DEC_LAYER, f"x, mem, tgt_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "dec_layer_memory_padding_ok": model(DEC_LAYER, f"x, mem, memory_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "dec_layer_memory_padding_bad": model(DEC_LAYER, f"x, mem, memory_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    # the cross-attention has no fused path, and the hint drops its mask unread
    "dec_layer_memory_causal_hint_ok": model(DEC_LAYER, "x, mem, memory_mask=torch.zeros(5, 5), memory_is_causal=True"),
    # the self-attention's fused path takes a bool mask of L * L elements; a float mask blocks it
    "dec_layer_flat_bool_mask_lenient": model(DEC_LAYER, f"x, mem, tgt_mask=torch.zeros(1, 25, {BOOL})"),
    "dec_layer_flat_float_mask_bad": model(DEC_LAYER, f"x, mem, tgt_mask={CAUSAL_5}.view(1, 25)"),
    "dec_layer_transposed_padding_with_mask_lenient": model(
        DEC_LAYER, f"x, mem, tgt_mask=torch.zeros(5, 5, {BOOL}), tgt_key_padding_mask=torch.zeros(5, 2, {BOOL})"),
    "dec_layer_seq_first_memory_mask_bad": model(DEC_LAYER, "x, mem, memory_mask=torch.zeros(4, 5)", bf=False),
    "dec_layer_unbatched_memory_padding_bad": model(DEC_LAYER, f"x, mem, memory_key_padding_mask=torch.zeros(5, {BOOL})",
                                                    unbatched=True),
    # nn.TransformerDecoder hands every mask to every layer
    "decoder_tgt_mask_bad": model(DECODER, "x, mem, tgt_mask=torch.zeros(4, 4)"),
    "decoder_memory_mask_ok": model(DECODER, "x, mem, memory_mask=torch.zeros(5, 4)"),
    "decoder_memory_padding_bad": model(DECODER, f"x, mem, memory_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    # nn.Transformer(src=x: S = 5, tgt=mem: T = 4): src_mask (S, S), tgt_mask (T, T), memory_mask (T, S)
    "transformer_masks_ok": model(TRANSFORMER, "x, mem, src_mask=torch.zeros(5, 5), tgt_mask=torch.zeros(4, 4), "
                                               "memory_mask=torch.zeros(4, 5)"),
    "transformer_src_mask_bad": model(TRANSFORMER, "x, mem, src_mask=torch.zeros(4, 4)"),
    "transformer_tgt_mask_bad": model(TRANSFORMER, "x, mem, tgt_mask=torch.zeros(5, 5)"),
    "transformer_memory_mask_bad": model(TRANSFORMER, "x, mem, memory_mask=torch.zeros(5, 4)"),
    "transformer_paddings_ok": model(TRANSFORMER, f"x, mem, src_key_padding_mask=torch.zeros(2, 5, {BOOL}), "
                                                  f"tgt_key_padding_mask=torch.zeros(2, 4, {BOOL}), "
                                                  f"memory_key_padding_mask=torch.zeros(2, 5, {BOOL})"),
    "transformer_src_padding_bad": model(TRANSFORMER, f"x, mem, src_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "transformer_memory_padding_bad": model(TRANSFORMER, f"x, mem, memory_key_padding_mask=torch.zeros(2, 4, {BOOL})"),
    "transformer_seq_first_memory_mask_bad": model(TRANSFORMER, "x, mem, memory_mask=torch.zeros(5, 4)", bf=False),
    "transformer_unbatched_tgt_padding_bad": model(TRANSFORMER, f"x, mem, tgt_key_padding_mask=torch.zeros(5, {BOOL})",
                                                   unbatched=True),
    # nn.MultiheadAttention called directly: the hint drops the mask (need_weights=False, no padding)
    "attention_causal_hint_ok": model(ATTENTION, "x, mem, mem, attn_mask=torch.zeros(5, 5), need_weights=False, is_causal=True"),
    "attention_causal_hint_needs_weights_bad": model(ATTENTION, "x, mem, mem, attn_mask=torch.zeros(5, 5), is_causal=True"),
    "attention_self_flat_bool_mask_lenient": model(ATTENTION, f"x, x, x, attn_mask=torch.zeros(1, 25, {BOOL})"),
    "attention_1d_padding_bad": model(ATTENTION, f"x, mem, mem, key_padding_mask=torch.zeros(4, {BOOL})"),
    "attention_4d_mask_bad": model(ATTENTION, "x, mem, mem, attn_mask=torch.zeros(1, 1, 5, 4)"),
    "attention_self_4d_mask_lenient": model(ATTENTION, "x, x, x, attn_mask=torch.zeros(1, 1, 5, 5, dtype=torch.bool)"),
    "attention_positional_padding_bad": model(ATTENTION, f"x, mem, mem, torch.zeros(2, 5, {BOOL})"),
}

# the name each mask has in the caller's code, for the message
NAMES = ("src_key_padding_mask", "tgt_key_padding_mask", "memory_key_padding_mask", "key_padding_mask", "src_mask",
         "tgt_mask", "memory_mask", "attn_mask", "mask")


def torch_runs(src):
    """(runs in training mode with autograd, runs in eval mode under no_grad)."""
    import torch

    dims = [int(d) for d in src.split("input=(", 1)[1].split(")", 1)[0].split(",")]
    outcomes = []
    for training in (True, False):
        torch.manual_seed(0)
        net = load(src).Net()
        net.train(training)
        try:
            with warnings.catch_warnings(), torch.set_grad_enabled(training):
                warnings.simplefilter("ignore")
                net(torch.randn(*dims))
            outcomes.append(True)
        except Exception:  # noqa: BLE001 - any exception is torch rejecting the mask
            outcomes.append(False)
    return tuple(outcomes)


@pytest.mark.torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_block_mask_is_an_error_exactly_when_torch_rejects_it_on_every_path(case):
    src = CASES[case]
    runs = torch_runs(src)
    kind = case.rsplit("_", 1)[1]
    assert runs == {"ok": (True, True), "bad": (False, False)}.get(kind, runs), runs
    assert kind != "lenient" or runs.count(True) == 1, runs
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    if kind == "bad":
        assert [f.code for f in errors] == ["SHP006"], [(f.code, f.message) for f in errors]
        assert errors[0].line == next(i for i, ln in enumerate(src.splitlines(), 1) if "self.net(x" in ln)
        assert "mask" in errors[0].message and "but torch needs" in errors[0].message
    else:
        assert errors == [], [(f.code, f.message) for f in errors]


MESSAGE_CASES = {
    "encoder_mask_bad": "mask is (5, 4), but torch needs (5, 5)",
    "transformer_src_mask_bad": "src_mask is (4, 4), but torch needs (5, 5)",
    "transformer_memory_mask_bad": "memory_mask is (5, 4), but torch needs (4, 5)",
    "enc_layer_batch_only_mask_bad": "src_mask is (2, 5, 5), but torch needs (4, 5, 5), (N * num_heads, L, S)",
    "decoder_memory_padding_bad": "memory_key_padding_mask is (2, 5), but torch needs (2, 4)",
    "enc_layer_unbatched_padding_bad": "src_key_padding_mask is (4), but torch needs (5), (S,)",
    "enc_layer_4d_mask_bad": "src_mask is (2, 2, 5, 5), but torch needs (5, 5), (L, S) or (N * num_heads, L, S)",
}


@pytest.mark.parametrize("case", sorted(MESSAGE_CASES))
def test_the_finding_names_the_mask_as_the_caller_passed_it_with_both_shapes(case):
    (f,) = [f for f in check_source("m.py", CASES[case]).findings if f.severity == "error"]
    assert MESSAGE_CASES[case] in f.message, f.message
