"""What torch's attention refuses of a mask whatever its shape (issue 11): an integer dtype, and no
mask at all under the is_causal hint. Facts read from torch/nn/functional.py and modules/activation.py,
transformer.py, and confirmed on CPU in both modes by tests/test_transformer_masks.py:

- nn.MultiheadAttention.forward, TransformerEncoderLayer.forward and TransformerEncoder.forward pass
  every mask through `F._canonical_mask` first, which raises on a mask neither bool nor floating
  (`only bool and floating types of attn_mask are supported`): on every path, in training and in eval.
  (A decoder's masks reach its MultiheadAttention layers unchanged, so they meet the same check.)
- the reference path, `F.multi_head_attention_forward`, raises `Need attn_mask if specifying the
  is_causal hint` when is_causal is True and attn_mask is None; only the fused eval path (which
  ignores the hint) runs such a call, so it is an error only where that path cannot be taken.

- masked_fill (method, in place or torch.masked_fill) raises on any mask not bool (float, integer);
- F.scaled_dot_product_attention raises on an integer attn_mask (`Expected attn_mask dtype to be bool
  or float or to match query dtype`), with grad or without.

Only a dtype shapelint knows (the code made the mask) and an is_causal that is certainly True are judged.
"""

from __future__ import annotations

import libcst as cst

from ..core import rules as R
from ..core.findings import Code
from ..core.symbolic import Expr, is_known
from ..core.values import Tensor
from .kernels import op_text

INTEGER_TEXT = {"long": "a long (int64)", "int": "an int (int32)"}
MASKED_FILL_REFUSED = dict(INTEGER_TEXT, float="a float")


def mask_dtype_report(ctx, m, node, masks) -> bool:
    """SHP017 for the first mask of an integer dtype; True when reported."""
    for mask in (masks.attn, masks.padding):
        if _integer(mask.value):
            _report_dtype(ctx, node, m.name, m.label(), mask.name, mask.value,
                          "`AssertionError: only bool and floating types of masks are supported`",
                          "True where attention is not allowed")
            return True
    return False


def sdpa_mask_dtype_report(ctx, site, mask) -> bool:
    """F.scaled_dot_product_attention's attn_mask: an integer one is refused whatever the query's dtype
    (an integer query is refused too); True when reported."""
    if not _integer(mask):
        return False
    _report_dtype(ctx, site.node, site.name, op_text(site), "attn_mask", mask,
                  "`RuntimeError: Expected attn_mask dtype to be bool or float or to match query dtype`",
                  "True where attention is allowed, unlike nn.MultiheadAttention's masks")
    return True


def masked_fill_dtype_report(ctx, site, mask, mask_node) -> bool:
    """x.masked_fill(mask, v): any mask not bool is refused (float, integer); True when reported."""
    if not isinstance(mask, Tensor) or mask.dtype not in MASKED_FILL_REFUSED:
        return False
    shown = Code(mask_node) if mask_node is not None else "the mask"
    ctx.report(R.MaskDtype.finding(
        site.node, module=site.name, op=op_text(site), mask=shown, dtype=MASKED_FILL_REFUSED[mask.dtype],
        taker="masked_fill", accepted="bool", raises="`RuntimeError: masked_fill_ only supports boolean masks`",
        hint=("compare it: `", shown, " == 0` fills where it is 0, `", shown, ".bool()` where it is not")))
    return True


def _integer(value) -> bool:
    return isinstance(value, Tensor) and value.dtype in INTEGER_TEXT


def _report_dtype(ctx, node, module, op, name, value, raises, bool_means):
    ctx.report(R.MaskDtype.finding(
        node, module=module, op=op, mask=name, dtype=INTEGER_TEXT[value.dtype], taker="torch's attention",
        accepted="bool or float", raises=raises,
        hint=f"use {name}.bool() ({bool_means}) or a float mask (0 where attention is allowed, float('-inf') where not)"))


def causal_hint_report(ctx, m, node, masks, call) -> bool:
    """SHP018 when is_causal is True, no attn_mask is given and the fused path cannot run; True when reported."""
    if masks.is_causal is not True or masks.attn.value is not None or call.fused_path:
        return False
    queries, keys = _size_text(ctx, call.queries, "L"), _size_text(ctx, call.keys, "S")
    if call.queries == call.keys:
        fix_value = f"nn.Transformer.generate_square_subsequent_mask({queries})"
    else:
        fix_value = f"torch.ones({queries}, {keys}, dtype=torch.bool).triu(1)"
    if "L" in (queries, keys) or "S" in (queries, keys):
        fix_value += " (L: the query's length, S: the keys')"
    path = "the input is unbatched, so " if call.batch is None else "torch's fused eval path cannot run this call, so "
    ctx.report(R.CausalHintWithoutMask.finding(node, module=m.name, op=m.label(), mask=masks.attn.name, path=path,
                                                 fix_value=fix_value))
    return True


def _size_text(ctx, size, name: str) -> str:
    """A size as the fix can write it: its value, or `name` where it is not known."""
    return ctx.show(size) if is_known(size) or (isinstance(size, Expr) and not size.is_opaque()) else name


def call_argument(call, keyword: str, position: int):
    """The expression a call passes as `keyword` (or at `position`); None when not plain."""
    if not isinstance(call, cst.Call) or any(a.star for a in call.args):
        return None
    for a in call.args:
        if a.keyword is not None and a.keyword.value == keyword:
            return a.value
    positional = [a for a in call.args if a.keyword is None]
    return positional[position].value if position < len(positional) else None
