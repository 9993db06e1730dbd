"""The masks attention checks (issue 11): nn.MultiheadAttention's attn_mask and key_padding_mask,
and the masks nn.Transformer and its encoder and decoder (layers and stacks) hand to theirs.

torch checks them in two places (facts read from torch/nn/functional.py and modules/transformer.py,
and confirmed on CPU by tests/test_transformer_masks.py):

- the reference path (training, or grad enabled) checks attn_mask to be exactly (L, S) or
  (N * num_heads, L, S) ((num_heads, L, S) unbatched) and key_padding_mask (N, S) ((S,)
  unbatched), except that with the is_causal hint, no key_padding_mask and need_weights=False it
  drops attn_mask unread (a 3-D unbatched mask is still checked);
- the fused path (eval under no_grad, batch-first self-attention, an even head count, biases)
  ignores is_causal and only views attn_mask as (1, 1, L, L) or (N, -1, L, L): any mask with that
  many elements runs; its key_padding_mask must be exactly (N, S), unless an attn_mask is given too:
  then the two are added as views (N, 1, 1, S) and (N, -1, L, L), so (N, L, L) runs as well.

A mask is an error only when every path torch may take raises on it. A mask of unknown shape, or
passed as an unknown value, is not judged. One of another rank is rejected by the reference path
before anything else (the fused path views it like the 2-D mask or the padding mask it stands for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..core import rules as R
from ..core.symbolic import BATCH_NAME, Dim, Expr, add, is_known, mul, product, shape_text, substitute
from ..core.values import Tensor
from .mask_refusals import causal_hint_report, mask_dtype_report


@dataclass(frozen=True)
class Mask:
    """A mask with the name the user passed it by (src_mask, mask, tgt_key_padding_mask, ...)."""
    name: str
    value: object = None


@dataclass(frozen=True)
class MaskSet:
    """The masks of one attention call and its is_causal hint (True, False or an unknown value)."""
    attn: Mask
    padding: Mask
    is_causal: object = False


@dataclass(frozen=True)
class AttentionCall:
    """What the masks are checked against: the batch N (None unbatched), heads, the query's length L,
    the keys' length S, need_weights, and whether torch may take its fused path here."""
    batch: Optional[Dim]
    heads: Dim
    queries: Dim
    keys: Dim
    need_weights: object = True
    fused_path: bool = False


def named(value, name: str) -> Mask:
    """A mask argument as a block gets it: from the user (a value) or from its container (a Mask)."""
    return value if isinstance(value, Mask) else Mask(name, value)


def masks_fit(ctx, m, node, masks: MaskSet, call: AttentionCall) -> bool:
    """Report the first mask torch rejects (SHP017 for its dtype, SHP006 for its shape, SHP018 for none
    under the is_causal hint: in torch's order) at the call and say False; True otherwise."""
    if mask_dtype_report(ctx, m, node, masks):
        return False
    for mask, need, form in (_padding_wanted(ctx, masks, call), _attn_wanted(ctx, masks, call)):
        if need is None:
            continue
        have = mask.value.shape
        ctx.report(R.ShapeMismatch.finding(
            node, module=m.name, op=m.label(),
            detail=f"{mask.name} is {_text(ctx, have)}, but torch needs {_text(ctx, need)}, {form}; build the mask "
                   f"from the query and keys that reach this call"))
        return False
    return not causal_hint_report(ctx, m, node, masks, call)


def _text(ctx, shape) -> str:
    return shape_text(tuple(ctx.show(d) for d in shape))


def _shape(mask: Mask):
    return mask.value.shape if isinstance(mask.value, Tensor) and mask.value.shape is not None else None


def _padding_wanted(ctx, masks: MaskSet, call: AttentionCall):
    have = _shape(masks.padding)
    if have is None:
        return masks.padding, None, ""
    unbatched = call.batch is None
    need = (call.keys,) if unbatched else (call.batch, call.keys)
    form = "(S,): the keys' length" if unbatched else "(N, S): batch and keys' length"
    if len(have) == len(need) and not _differs(ctx, have, need, masks.padding.name, call.fused_path):
        return masks.padding, None, form
    # merged with an attn_mask (or of another rank), the fused path only views it as (N, 1, 1, S)
    viewed = masks.attn.value is not None or len(have) != len(need)
    if call.fused_path and viewed and not _certainly_unequal(ctx, product(have), product(need)):
        return masks.padding, None, form
    return masks.padding, need, form


def _attn_wanted(ctx, masks: MaskSet, call: AttentionCall):
    """The shape torch's reference path needs of attn_mask, when both paths certainly reject it.
    A mask of another rank than 2 or 3 is rejected before the is_causal hint is read; the fused
    path views it as a 2-D one."""
    have = _shape(masks.attn)
    if have is None:
        return masks.attn, None, ""
    if len(have) not in (2, 3):
        need, form = (call.queries, call.keys), "(L, S) or (N * num_heads, L, S): a 2-D or 3-D mask"
        if call.fused_path and not _fused_path_rejects(ctx, have, call, False, as_rank=2):
            return masks.attn, None, form
        return masks.attn, need, form
    if len(have) == 2:
        need, form = (call.queries, call.keys), "(L, S): the query's and the keys' lengths"
    elif call.batch is None:
        need, form = (call.heads, call.queries, call.keys), "(num_heads, L, S)"
    else:
        need, form = (mul(call.batch, call.heads), call.queries, call.keys), "(N * num_heads, L, S)"
    if _dropped_by_causal_hint(masks, call, len(have)) or not _differs(ctx, have, need, masks.attn.name, call.fused_path):
        return masks.attn, None, form
    if call.fused_path and not _fused_path_rejects(ctx, have, call, masks.padding.value is not None):
        return masks.attn, None, form
    return masks.attn, need, form


def _differs(ctx, have, need, name: str, fused_path: bool) -> bool:
    """Certainly unequal in some dim. Where the fused path may run, nothing is recorded as a
    requirement of the input sizes (that path may take another shape): a pure comparison."""
    if fused_path:
        return any(_certainly_unequal(ctx, a, b) for a, b in zip(have, need))
    return any(ctx.check_equal(a, b, f"{name} of attention") == "bad" for a, b in zip(have, need))


def _certainly_unequal(ctx, a, b) -> bool:
    if a == b or not all(is_known(d) or isinstance(d, Expr) for d in (a, b)):
        return False
    diff = add(a, mul(b, -1))
    if not isinstance(diff, int) and getattr(ctx, "declared_batch", None) is not None:
        diff = substitute(diff, {BATCH_NAME: ctx.declared_batch})
    return isinstance(diff, int) and diff != 0


def _dropped_by_causal_hint(masks: MaskSet, call: AttentionCall, rank: int) -> bool:
    """is_causal (maybe True), no key_padding_mask (maybe) and need_weights=False (maybe): torch's
    reference path drops attn_mask unread; only an unbatched 3-D mask was checked before that."""
    if call.batch is None and rank == 3:
        return False
    return masks.is_causal is not False and not isinstance(masks.padding.value, Tensor) and call.need_weights is not True


def _fused_path_rejects(ctx, have, call: AttentionCall, padded: bool, as_rank=None) -> bool:
    """The fused path views a 2-D mask as (1, 1, L, L) and a 3-D one as (N, num_heads, L, L) (it
    rejects any other head count; merged with a padding mask, (N, 1, L, L) broadcasts over the
    heads too): it runs any mask with that many elements."""
    if (as_rank or len(have)) == 2:
        wants = [(call.queries, call.queries)]
    else:
        wants = [(call.batch, call.heads, call.queries, call.queries)] + ([(call.batch, call.queries, call.queries)] if padded else [])
    for want in wants:
        if not (all(is_known(d) or isinstance(d, Expr) for d in have + want) and _certainly_unequal(ctx, product(have), product(want))):
            return False
    return True


ATTENTION_FORWARD = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask", "average_attn_weights", "is_causal")
ENCODER_LAYER_FORWARD = ("src", "src_mask", "src_key_padding_mask", "is_causal")
DECODER_LAYER_FORWARD = ("tgt", "memory", "tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask",
                         "tgt_is_causal", "memory_is_causal")
ENCODER_FORWARD = ("src", "mask", "src_key_padding_mask", "is_causal")
DECODER_FORWARD = DECODER_LAYER_FORWARD


def bound(names, args, kwargs) -> dict:
    return dict(zip(names, args), **kwargs)


def self_and_cross_masks(kind: str, b: dict):
    """A block's masks, named as its caller passed them: the self-attention's and the decoder's
    cross-attention's (is_causal defaults as in the block's forward: False; a stack's None means
    'detect', which only ever says True of a mask of the right shape, so it is False here too)."""
    if kind in ("TransformerEncoderLayer", "TransformerEncoder"):
        attn_name = "src_mask" if kind == "TransformerEncoderLayer" else "mask"
        own = MaskSet(named(b.get(attn_name), attn_name), named(b.get("src_key_padding_mask"), "src_key_padding_mask"),
                      _hint(b.get("is_causal", False)))
        return own, None
    own = MaskSet(named(b.get("tgt_mask"), "tgt_mask"), named(b.get("tgt_key_padding_mask"), "tgt_key_padding_mask"),
                  _hint(b.get("tgt_is_causal", False)))
    cross = MaskSet(named(b.get("memory_mask"), "memory_mask"), named(b.get("memory_key_padding_mask"), "memory_key_padding_mask"),
                    _hint(b.get("memory_is_causal", False)))
    return own, cross


def _hint(value):
    return False if value is None else value


def layer_kwargs(kind: str, own: MaskSet, cross: Optional[MaskSet]) -> dict:
    """What a stack passes each of its layers (torch's own keywords), keeping the caller's names."""
    if kind == "TransformerEncoderLayer":
        return {"src_mask": own.attn, "src_key_padding_mask": own.padding, "is_causal": own.is_causal}
    return {"tgt_mask": own.attn, "tgt_key_padding_mask": own.padding, "tgt_is_causal": own.is_causal,
            "memory_mask": cross.attn, "memory_key_padding_mask": cross.padding, "memory_is_causal": cross.is_causal}


def batch_of(x: Tensor, batch_first) -> tuple:
    """(judged, N, length) of a block's input: N None unbatched; not judged when batch_first is unknown."""
    if len(x.shape) == 2:
        return True, None, x.shape[0]
    if batch_first is not True and batch_first is not False:
        return False, None, None
    return True, x.shape[0 if batch_first else 1], x.shape[1 if batch_first else 0]


def _maybe(value, *excluded) -> bool:
    return not any(value is e for e in excluded)


def _even_maybe(h) -> bool:
    return not (is_known(h) and h % 2)


def fused_attention_possible(m, q: Tensor, k: Tensor, v: Tensor, masks: MaskSet) -> bool:
    """Whether nn.MultiheadAttention may take its fused path (eval under no_grad, when query, key and
    value are one tensor, batch-first, an even head count, packed biased projections, no float mask)."""
    p = m.params
    if len(q.shape) != 3 or len(k.shape) != 3 or len(v.shape) != 3 or not _maybe(p.get("batch_first"), False):
        return False
    if any(_certainly_unequal(None, a, b) for t in (k, v) for a, b in zip(q.shape, t.shape)):  # not one tensor
        return False
    if not _even_maybe(p.get("num_heads")) or not _maybe(p.get("bias"), False):
        return False
    if not _maybe(p.get("add_bias_kv"), True) or not _maybe(p.get("add_zero_attn"), True):
        return False
    if any(p.get(d) not in (None, p.get("embed_dim")) for d in ("kdim", "vdim")):
        return False
    return not any(isinstance(mk.value, Tensor) and mk.value.dtype == "float" for mk in (masks.attn, masks.padding))


def fused_encoder_layer_possible(m, x: Tensor) -> bool:
    """Whether nn.TransformerEncoderLayer may take its fused path (eval under no_grad, batched,
    batch-first, an even head count, biases); its activation is not examined (it may be relu or gelu)."""
    p = m.params
    return len(x.shape) == 3 and _maybe(p.get("batch_first"), False) and _even_maybe(p.get("nhead")) and _maybe(p.get("bias"), False)


def block_masks_fit(ctx, m, node, x: Tensor, memory, own: MaskSet, cross: Optional[MaskSet]) -> bool:
    """A Transformer layer's masks: its self-attention's (L = S = x's length) and a decoder's
    cross-attention's (S = memory's length), as its attention layers check them (need_weights=False)."""
    judged, n, length = batch_of(x, m.params.get("batch_first"))
    if not judged:
        return True
    heads = m.params.get("nhead")
    if m.kind == "TransformerEncoderLayer":
        fused = fused_encoder_layer_possible(m, x)  # the layer's own; its masks reach attention as float
    else:
        fused = fused_attention_possible(m.children["self_attn"], x, x, x, own)
    if not masks_fit(ctx, m, node, own, AttentionCall(n, heads, length, length, False, fused)):
        return False
    if cross is None or not isinstance(memory, Tensor) or memory.shape is None or len(memory.shape) != len(x.shape):
        return True
    _, _, keys = batch_of(memory, m.params.get("batch_first"))
    return masks_fit(ctx, m, node, cross, AttentionCall(n, heads, length, keys, False, False))


def runs_torch_forward(m, kind: str) -> bool:
    """Whether calling `m` runs torch's `kind` forward (not a user class's own), so it may be handed
    Mask values: a user's forward gets no masks from a stack (it never did; unknown is safe)."""
    return (getattr(m, "spec", None) is not None and m.spec.name == kind
            and (m.cls is None or m.cls.find_method("forward")[1] is None))


def transformer_parts_kwargs(b: dict):
    """The keywords nn.Transformer.forward passes its encoder and its decoder, with the user's names."""
    enc = {"mask": named(b.get("src_mask"), "src_mask"), "src_key_padding_mask": named(b.get("src_key_padding_mask"), "src_key_padding_mask"),
           "is_causal": b.get("src_is_causal")}
    dec = {k: named(b.get(k), k) for k in ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")}
    dec.update(tgt_is_causal=b.get("tgt_is_causal"), memory_is_causal=b.get("memory_is_causal", False))
    return enc, dec
