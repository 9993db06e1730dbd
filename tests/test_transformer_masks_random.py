"""Random combinations of attention masks (issue 11), against real torch: never a false alarm.

A fixed seed draws 80 calls of the six modules that take masks (nn.MultiheadAttention as self-
and cross-attention, the encoder and decoder layers and stacks, nn.Transformer), each with a few
masks of plausible shapes (right, transposed, flattened, per batch instead of per head, of another
rank), dtypes, is_causal and need_weights, batch_first both ways, batched or not, 1 or 2 heads.
Where torch runs the call in training mode with autograd or in eval mode under no_grad, shapelint
reports no error; where torch rejects both, shapelint may stay silent (a mask it cannot judge),
and the figures of both are checked so the test cannot pass vacuously.
"""

import random

import pytest

from shapelint.engine.check import check_source
from test_transformer_masks import ATTENTION, DEC_LAYER, DECODER, ENC_LAYER, ENCODER, TRANSFORMER, model, torch_runs

N, L, S = 2, 5, 4


def _zeros(rng, shape):
    dtype = rng.choice(["", ", dtype=torch.bool", ", dtype=torch.float"])
    return f"torch.zeros({', '.join(map(str, shape))}{dtype})"


def _attn(rng, lq, lk, heads):
    return rng.choice([(lq, lk), (lq, lq), (lk, lq), (1, lq * lk), (1, lq * lq), (N * heads, lq, lk), (N, lq, lk),
                       (heads, lq, lk), (1, lq, lk), (lq * lq,), (N, heads, lq, lk), (1, 1, lq, lq)])


def _padding(rng, lk):
    return rng.choice([(N, lk), (lk, N), (1, lk), (N, lk + 1), (lk,), (N * lk,), (lk + 1,)])


def _call(rng):
    kind = rng.choice(["enc_layer", "encoder", "dec_layer", "decoder", "transformer", "self_attention", "cross_attention"])
    heads = rng.choice([2, 2, 1])
    masks = []

    def maybe(p, text):
        if rng.random() < p:
            masks.append(text)

    if kind in ("enc_layer", "encoder"):
        layer, call = (ENC_LAYER if kind == "enc_layer" else ENCODER.replace("8, 2, 16", "8, {heads}, 16")), "x"
        maybe(0.7, f"{'src_mask' if kind == 'enc_layer' else 'mask'}={_zeros(rng, _attn(rng, L, L, heads))}")
        maybe(0.5, f"src_key_padding_mask={_zeros(rng, _padding(rng, L))}")
        maybe(0.3, f"is_causal={rng.choice([True, False])}")
    elif kind in ("dec_layer", "decoder"):
        layer, call = (DEC_LAYER if kind == "dec_layer" else DECODER).replace("8, 2, 16", "8, {heads}, 16"), "x, mem"
        maybe(0.5, f"tgt_mask={_zeros(rng, _attn(rng, L, L, heads))}")
        maybe(0.5, f"memory_mask={_zeros(rng, _attn(rng, L, S, heads))}")
        maybe(0.4, f"tgt_key_padding_mask={_zeros(rng, _padding(rng, L))}")
        maybe(0.4, f"memory_key_padding_mask={_zeros(rng, _padding(rng, S))}")
        maybe(0.3, f"tgt_is_causal={rng.choice([True, False])}")
        maybe(0.3, f"memory_is_causal={rng.choice([True, False])}")
    elif kind == "transformer":  # src = x (5 long), tgt = mem (4 long)
        layer, call = TRANSFORMER.replace("nhead=2", "nhead={heads}"), "x, mem"
        maybe(0.4, f"src_mask={_zeros(rng, _attn(rng, L, L, heads))}")
        maybe(0.4, f"tgt_mask={_zeros(rng, _attn(rng, S, S, heads))}")
        maybe(0.4, f"memory_mask={_zeros(rng, _attn(rng, S, L, heads))}")
        maybe(0.3, f"src_key_padding_mask={_zeros(rng, _padding(rng, L))}")
        maybe(0.3, f"memory_key_padding_mask={_zeros(rng, _padding(rng, L))}")
    else:
        own = kind == "self_attention"
        layer, call = ATTENTION.replace("8, 2", "8, {heads}"), ("x, x, x" if own else "x, mem, mem")
        maybe(0.7, f"attn_mask={_zeros(rng, _attn(rng, L, L if own else S, heads))}")
        maybe(0.5, f"key_padding_mask={_zeros(rng, _padding(rng, L if own else S))}")
        maybe(0.4, f"need_weights={rng.choice([True, False])}")
        maybe(0.4, f"is_causal={rng.choice([True, False])}")
    src = model(layer, ", ".join([call] + masks), bf=rng.choice([True, False]), heads=heads, unbatched=rng.random() < 0.2)
    return src.replace("{heads}", str(heads))


@pytest.mark.torch
def test_random_masks_are_never_an_error_where_torch_runs_them():
    rng = random.Random(11)
    alarms, flagged, accepted = [], 0, 0
    for _ in range(80):
        src = _call(rng)
        runs = torch_runs(src)
        errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
        flagged += bool(errors)
        accepted += any(runs)
        if errors and any(runs):
            alarms.append((src.splitlines()[-2].strip(), runs, errors[0].message))
    assert alarms == [], (len(alarms), alarms[:3])
    assert flagged >= 20 and accepted >= 20, (flagged, accepted)  # both halves are exercised
