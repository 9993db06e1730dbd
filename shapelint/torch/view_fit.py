"""What a view/reshape that does not keep the samples apart is, and the advice that fits its cause.

`kernels.reshape_dims` computes the result; this module decides what is wrong when it is wrong:

- a view that cannot hold the values is SHP003 (torch raises `shape '[...]' is invalid for input
  of size N`), also when a `-1` is involved: with a declared batch of 2, `x.view(-1, 64)` on
  samples of 100 values cannot fit 200 values into rows of 64;
- a view that runs but moves values between samples is SHP004 (`x.view(-1, 50)` on 4 samples of
  100 values gives 8 rows);
- the advice follows the cause: a 2-D view of whole samples is a flatten (`x.flatten(1)`); a
  view that keeps the leading dims and splits the last one (`x.view(B, N, 3, heads, C // heads)`
  after a Linear) needs the layer before it to give the product of the sizes
  (`Linear(dim, 3 * dim)`), never a flatten.
"""

from __future__ import annotations

from math import gcd

from ..core import rules as R
from ..core.findings import Code, Edit
from ..core.symbolic import Expr, exact_div, is_known, mul, product, shape_text, substitute
from ..core.values import LayerOrigin, dims_related
from .spec import Site


def merges_leading_dims(shape, out) -> bool:
    """`out` is `shape` with its first k+1 dims merged into one and the rest unchanged
    (`(B, T, V) -> (B*T, V)`, `(B, H, W, D) -> (B*H*W, D)`, `(B, T) -> (B*T,)`), up to dims
    of size 1 added or dropped after the merged one (`(B, C, H, W) -> (B*C, 1, H, W)` or
    `(B*C, H, W, 1)`, StyleGAN's blur): each row stays inside one sample, so the batch is not
    mixed (DECISIONS.md, SHP004)."""
    if not out:
        return False
    rest = _without_ones(out[1:])
    return any(out[0] == product(shape[: k + 1]) and rest == _without_ones(shape[k + 1:]) for k in range(1, len(shape)))


def _without_ones(dims) -> tuple:
    return tuple(d for d in dims if not (d == 1 and not isinstance(d, bool)))


def _ones_then_merged(shape, sizes) -> bool:
    """`sizes` is leading 1s, then `shape` with its first dims merged (`(B, C, H, W) -> (1, B*C, H, W)`,
    or `(1, -1, H, W)`: one -1 stands for what the other sizes leave): the batch moves into one dim
    whole, each sample's values side by side, none mixed."""
    k = 0
    while k < len(sizes) and sizes[k] == 1 and not isinstance(sizes[k], bool):
        k += 1
    rest = tuple(sizes[k:])
    if list(rest).count(-1) == 1:  # StyleGAN2-ada's x.reshape(1, -1, *x.shape[2:]): the -1 is B*C
        rest = tuple(exact_div(product(shape), product(s for s in rest if s != -1)) if s == -1 else s for s in rest)
    return 0 < k and -1 not in rest and None not in rest and merges_leading_dims(tuple(shape), rest)


def _op(site, op):
    """As kernels.op_text: a call's source text, a layer's name."""
    return Code(site.node) if isinstance(site, Site) and site.node is not None else (op or site.label())


def _target(sizes) -> str:
    return "(" + ", ".join(str(s) for s in sizes) + ")"


def _cannot_fit(ctx, site, op, x, sizes, per_sample, given, advice: str, edits) -> bool:
    """A `-1` view whose other sizes do not divide the values raises in torch: SHP003 with both
    numbers; with the batch not declared, where they divide only some batch sizes (and then
    mix samples). True when reported."""
    b = ctx.declared_batch
    if not is_known(per_sample) or not is_known(given) or given <= 0:
        return False
    if isinstance(b, int):
        numel = b * per_sample
        if numel % given == 0:
            return False
        why = f"{numel} values ({b} samples of {per_sample}) are not divisible by {given}"
    else:  # any batch: it fits only when B is a multiple of `every`, and then mixes samples
        every = given // gcd(per_sample, given)
        if every == 1:
            return False
        numel = ctx.show(mul(ctx.batch, per_sample))
        why = f"{numel} values fit rows of {given} only when B is a multiple of {every} (and then samples get mixed)"
    f = R.ViewSizeMismatch.finding(
        site.node, module=site.name, op=_op(site, op), shape=shape_text(x.shape), numel=numel, target=_target(sizes),
        hint=f"{why}; {advice}", edits=edits, fix="Flatten per sample with .flatten(1)" if edits else None,
    )
    f.related += dims_related(x)
    ctx.report(f)
    return True


def fold_report(ctx, site, op, x, per_sample, given, sizes):
    """`view(-1, given)` on samples of `per_sample` values: SHP004 where it runs, SHP003 where it cannot fit."""
    rest = sizes[1:]
    edits = []
    if len(rest) == 1:
        hint = f"use x.view(x.size(0), -1) or x.flatten(1) (each sample has {per_sample} values, not {given})"
        edits = flatten_edit(site, sizes)
    else:
        hint = f"use x.view(x.size(0), {', '.join(str(s) for s in rest)}) only if each sample has {given} values; it has {per_sample}"
    advice = "use x.view(x.size(0), -1) or x.flatten(1)" if len(rest) == 1 else f"each sample has {per_sample} values, not {given}"
    if _cannot_fit(ctx, site, op, x, sizes, per_sample, given, advice, edits):
        return
    new_batch = exact_div(mul(ctx.batch, per_sample), given)
    if new_batch is None:
        b = ctx.declared_batch
        if isinstance(b, int) and is_known(per_sample) and is_known(given) and given and (b * per_sample) % given == 0:
            new_batch = b * per_sample // given  # the declared batch: say the number torch gives
        else:
            new_batch = f"B*{per_sample}/{given}"
    ctx.report(
        R.BatchFolded.finding(
            site.node, module=site.name, op=_op(site, op), per_sample=per_sample, new_batch=ctx.show(new_batch), batch=ctx.show(ctx.batch), hint=hint,
            edits=edits, fix="Flatten per sample with .flatten(1)" if edits else None,
        )
    )


def leading_size_report(ctx, site, op, x, sizes, per_sample) -> bool:
    """`x.view(x.size(1), -1)` on a batch: a leading size that is a number, not the batch, and
    differs from the declared batch changes the batch torch gives (SHP004), or cannot fit the
    values at all (SHP003). True when reported."""
    first, batch = sizes[0] if sizes else None, ctx.declared_batch
    if per_sample is None or not is_known(first) or first < 0 or not isinstance(batch, int) or first == batch:
        return False
    if _ones_then_merged(x.shape, sizes):
        return False  # StyleGAN's x.view(1, B * C, H, W) for a conv with groups=B: each sample stays whole
    hint = "start the sizes with x.size(0), the batch"
    if len(sizes) == 2:
        hint = "use x.view(x.size(0), -1) or x.flatten(1)"
    edits = flatten_edit(site, sizes)
    given = product(s for s in sizes if s != -1)
    if -1 in sizes and _cannot_fit(ctx, site, op, x, sizes, per_sample, given, hint, edits if len(sizes) == 2 else []):
        return True
    ctx.report(
        R.BatchFolded.finding(
            site.node, module=site.name, op=_op(site, op), per_sample=ctx.show(per_sample), new_batch=first,
            batch=ctx.show(ctx.batch), hint=hint, edits=edits,
            fix="Flatten per sample with .flatten(1)" if len(sizes) == 2 else None,
        )
    )
    return True


def mismatch_advice(ctx, site, x, sizes, per_sample):
    """(hint, edits) for a view whose sizes do not multiply to the tensor's values."""
    shape = x.shape
    k = 0
    while k < min(len(shape), len(sizes)) - 1 and shape[k] == sizes[k]:
        k += 1
    if len(sizes) == 2 and per_sample is not None and is_known(per_sample):
        return f"each sample has {per_sample} values: use x.view(x.size(0), -1) or x.flatten(1)", flatten_edit(site, sizes)
    if k == 0 or k >= len(shape):
        return "the sizes must multiply to the number of values", []
    have, need = product(shape[k:]), product(sizes[k:])
    if not is_known(have) or not is_known(need):
        # sizes the model's layers force (a Linear's in_features fixes the input's C): unless the
        # input has them torch raises before this view, so the view's sizes are these
        forced = ctx.forced_sizes()
        have, need = substitute(have, forced), substitute(need, forced)
    if not is_known(have) or not is_known(need):
        return "the sizes must multiply to the number of values", []
    lead = shape_text([ctx.show(d) for d in shape[:k]])
    layer = _linear_before(x) if k == len(shape) - 1 else None
    if layer is not None:
        return _linear_advice(layer, have, need, lead), []
    hint = f"the sizes after {lead} multiply to {need}, but {shape_text(shape[k:])} holds {have} values"
    if len(sizes) == k + 1:
        hint += f": use {have} as the last size"
    return hint, []


def _linear_before(x):
    o = x.origin(-1)
    layer = o.layer if isinstance(o, LayerOrigin) else None
    return layer if getattr(layer, "kind", None) == "Linear" else None


def _linear_advice(layer, have, need, lead) -> str:
    import libcst as cst

    text = f"{layer.label()} gives {have} features, but the sizes after {lead} need {need}"
    fin = layer.params.get("in_features")
    node = layer.param_nodes.get("in_features")
    if is_known(fin) and fin > 0 and need % fin == 0 and node is not None:
        arg = cst.Module([]).code_for_node(node)
        q = need // fin
        out = arg if q == 1 else f"{q} * {arg}"
        return f"{text}: build it as Linear({arg}, {out})"
    return f"{text}: use out_features={need}"


def flatten_edit(site, sizes) -> list:
    """Replace a 2-D view/reshape call by `<tensor>.flatten(1)` (keeps the batch)."""
    import libcst as cst

    node = site.node
    if len(sizes) != 2 or not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return []
    if site.label().startswith("."):
        recv = node.func.value
    elif node.args and node.args[0].keyword is None and node.args[0].star == "":
        recv = node.args[0].value
    else:
        return []
    if not isinstance(recv, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
        return []
    return [Edit(node, cst.Module([]).code_for_node(recv) + ".flatten(1)")]


def never_divides(numel, given) -> bool:
    """`numel / given` is one non-integer number whatever the symbols are (`view(B, T, 8, -1)` of
    (B, T, 36): 36*B*T / (8*B*T) = 4.5), so torch rejects the view's -1 on every input (with a
    size 0, torch refuses an ambiguous -1 too)."""
    if is_known(given) or not isinstance(given, Expr) or len(given.terms) != 1:
        return False
    (_monomial, coeff), = given.terms
    ratio = exact_div(mul(numel, abs(coeff)), given) if coeff else None
    return is_known(ratio) and ratio % abs(coeff) != 0
