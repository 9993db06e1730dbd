"""einops (issue 11.2): rearrange / repeat / reduce / pack / unpack / einsum and the Rearrange /
Reduce layers, by parsing their pattern strings; einops itself is never imported.

A pattern `b c (h p1) (w p2) -> b (h w) (p1 p2 c)` is two lists of groups; each group
is a list of axes (a name, `1`, or `...`). Sizes come from the input's dims and the
`b=`, `p1=` keywords; a dim the axes cannot fit is an error naming the axis, as einops
raises (EinopsError). Anything not understood is unknown.
"""

from __future__ import annotations

import string
from typing import Dict, List, Optional

from ..core import rules as R
from ..core.symbolic import Expr, add, exact_div, is_known, mul, product, shape_text
from ..core.values import UNKNOWN, ModuleValue, Tensor, Unknown
from .kernels import op_text
from .products import einsum_shape
from .sequence_ops import concrete, differ
from .spec import LayerSpec

ELLIPSIS = "..."


class Paren(list):
    """A parenthesized group: `(h w)`, `()`, `(...)`."""


class PatternError(Exception):
    """A pattern einops rejects whatever the input (message in einops' words)."""


def parse_side(text: str) -> Optional[List[List[str]]]:
    """`b c (h p1) ()` -> [["b"], ["c"], ["h", "p1"], []]; `1` is a unit axis; None if malformed."""
    groups, current = [], None
    for tok in text.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            if current is not None:
                return None
            current = []
        elif tok == ")":
            if current is None:
                return None
            groups.append(Paren(current))
            current = None
        elif tok == ELLIPSIS or tok.isidentifier() or tok.isdigit():
            if current is not None:
                current.append(tok)
            else:
                groups.append([tok])
        else:
            return None
    if current is not None:
        return None
    names = [a for g in groups for a in g if a.isidentifier()]
    if len(names) != len(set(names)) or sum(a == ELLIPSIS for g in groups for a in g) > 1:
        return None
    return groups


def _bare_ellipsis(g) -> bool:
    return g == [ELLIPSIS] and not isinstance(g, Paren)


def _axes(groups) -> set:
    return {a for g in groups for a in g if a.isidentifier() or a == ELLIPSIS}


def bind_axes(ctx, groups, shape, sizes: Dict[str, object]) -> Dict[str, object]:
    """Each axis's size from the input's dims (and the given sizes); raises PatternError."""
    n_fixed = sum(1 for g in groups if not _bare_ellipsis(g))
    has_ellipsis = any(ELLIPSIS in g for g in groups)
    if (len(shape) != n_fixed and not has_ellipsis) or len(shape) < n_fixed:
        raise PatternError(f"expected {n_fixed} dims. Received {len(shape)}-dim tensor")
    axes = dict(sizes)
    i = 0
    for g in groups:
        if _bare_ellipsis(g):
            k = len(shape) - n_fixed
            axes[ELLIPSIS] = tuple(shape[i:i + k])
            i += k
            continue
        if ELLIPSIS in g:
            raise PatternError("ellipsis inside parenthesis in the left side is not allowed")
        _bind_group(ctx, g, shape[i], axes)
        i += 1
    return axes


def _bind_group(ctx, group, dim, axes) -> None:
    known, unknown = 1, []
    for a in group:
        if a.isdigit():
            known = mul(known, int(a))
        elif a in axes:
            known = mul(known, axes[a])
        else:
            unknown.append(a)
    if len(unknown) > 1:
        raise PatternError(f"Could not infer sizes for {set(unknown)}")
    if unknown:
        size = exact_div(dim, known)
        if size is None:
            d, k = concrete(ctx, dim), concrete(ctx, known)
            if d is not None and k is not None:
                if k == 0 or d % k:
                    raise PatternError(f"can't divide axis of length {d} in chunks of {k} (axis {unknown[0]})")
                size = d // k
            else:
                size = Expr.opaque("einops")
        axes[unknown[0]] = size
    elif differ(ctx, known, dim):
        name = "*".join(group) or "()"
        raise PatternError(f"Shape mismatch, {concrete(ctx, dim) or dim} != {concrete(ctx, known) or known} (axis {name})")


def output_shape(groups, axes) -> tuple:
    out = []
    for g in groups:
        if _bare_ellipsis(g):
            out.extend(axes[ELLIPSIS])
            continue
        size = 1
        for a in g:
            size = mul(size, product(axes[ELLIPSIS]) if a == ELLIPSIS else int(a) if a.isdigit() else axes[a])
        out.append(size)
    return tuple(out)


def transform(ctx, op: str, x: Tensor, pattern, sizes: dict):
    """The output shape of rearrange/repeat/reduce; raises PatternError; None when unknown."""
    if not isinstance(pattern, str) or "->" not in pattern:
        return None
    left_text, right_text = pattern.split("->", 1)
    left, right = parse_side(left_text), parse_side(right_text)
    if left is None or right is None or not all((is_known(v) and v > 0) or isinstance(v, Expr) for v in sizes.values()):
        return None
    lset, rset = _axes(left), _axes(right)
    if op == "rearrange" and lset != rset:
        raise PatternError(f"Identifiers only on one side of expression (should be on both): {sorted(lset ^ rset)}")
    if op == "repeat":
        if not lset <= rset:
            raise PatternError(f"Unexpected identifiers on the left side of repeat: {sorted(lset - rset)}")
        new = {a for a in rset - lset if a != ELLIPSIS}
        if new - set(sizes):
            raise PatternError(f"Specify sizes for new axes in repeat: {sorted(new - set(sizes))}")
    if op == "reduce" and not rset <= lset:
        raise PatternError(f"Unexpected identifiers on the right side of reduce: {sorted(rset - lset)}")
    if any(a.isdigit() and a != "1" for g in left for a in g):
        return None  # anonymous axes other than 1 on the left: rare, not modelled
    axes = bind_axes(ctx, left, x.shape, {k: v for k, v in sizes.items()})
    return output_shape(right, axes)


def _report(ctx, site, detail: str, defect=None) -> Unknown:
    f = R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=detail)
    f.defect = defect  # q, k and v split by one pattern and the same sizes: engine/same_defect.py
    ctx.report(f)
    return Unknown("einops pattern")


def _apply(ctx, site, op, x, pattern, sizes):
    if not isinstance(x, Tensor) or x.shape is None:
        return UNKNOWN
    try:
        out = transform(ctx, op, x, pattern, sizes)
    except PatternError as e:
        key = ("einops", op, pattern, tuple(x.shape), tuple(sorted(sizes.items(), key=lambda kv: kv[0])))
        return _report(ctx, site, f"the pattern '{pattern}' does not fit {shape_text(x.shape)}: {e}", key)
    return Tensor(out) if out is not None else Unknown("einops pattern")


def _rearrange(ctx, site, args, kwargs):
    if len(args) != 2:
        return UNKNOWN
    x = args[0]
    if isinstance(x, (list, tuple)):
        return UNKNOWN  # a list of tensors stacked first: not modelled
    return _apply(ctx, site, "rearrange", x, args[1], kwargs)


def _repeat(ctx, site, args, kwargs):
    return _apply(ctx, site, "repeat", args[0], args[1], kwargs) if len(args) == 2 else UNKNOWN


def _reduce(ctx, site, args, kwargs):
    kw = dict(kwargs)
    reduction = args[2] if len(args) > 2 else kw.pop("reduction", None)
    if len(args) < 2 or not isinstance(reduction, str):
        return UNKNOWN
    return _apply(ctx, site, "reduce", args[0], args[1], kw)


# ---------------------------------------------------------------------------- pack / unpack


def _star(pattern) -> Optional[tuple]:
    """`b * d` -> (1, 1): the axes before and after the one `*`; None if malformed."""
    if not isinstance(pattern, str):
        return None
    parts = pattern.split()
    if parts.count("*") != 1 or not all(p == "*" or p.isidentifier() for p in parts) or len(set(parts)) != len(parts):
        return None
    i = parts.index("*")
    return i, len(parts) - i - 1


def _pack(ctx, site, args, kwargs):
    """einops.pack(tensors, 'b * d') -> (packed, packed_shapes)."""
    if len(args) != 2 or kwargs or not isinstance(args[0], (list, tuple)) or _star(args[1]) is None:
        return UNKNOWN
    before, after = _star(args[1])
    ts = list(args[0])
    if not ts or not all(isinstance(t, Tensor) and t.shape is not None for t in ts):
        return UNKNOWN
    for t in ts:
        if len(t.shape) < before + after:
            return _report(ctx, site, f"packed tensor {shape_text(t.shape)} has fewer dims than the pattern '{args[1]}'")
    first = ts[0].shape
    head, tail = first[:before], first[len(first) - after:]
    total, shapes = 0, []
    for t in ts:
        h, mid, tl = t.shape[:before], t.shape[before:len(t.shape) - after], t.shape[len(t.shape) - after:]
        for a, b in zip(h + tl, head + tail):
            if differ(ctx, a, b):
                return _report(ctx, site, f"Expected size {concrete(ctx, b) or b} but got size {concrete(ctx, a) or a}: "
                                          f"{shape_text(t.shape)} does not pack with {shape_text(first)} in '{args[1]}'")
        total = add(total, product(mid))
        shapes.append(tuple(mid))
    return (Tensor(tuple(head) + (total,) + tuple(tail)), shapes)


def _unpack(ctx, site, args, kwargs):
    """einops.unpack(packed, packed_shapes, 'b * d') -> the tensors, the `*` axis split by the shapes."""
    if len(args) != 3 or kwargs or _star(args[2]) is None:
        return UNKNOWN
    x, shapes = args[0], args[1]
    before, after = _star(args[2])
    if not isinstance(x, Tensor) or x.shape is None or not isinstance(shapes, (list, tuple)):
        return UNKNOWN
    if not all(isinstance(s, (list, tuple)) and all(is_known(d) for d in s) for s in shapes):
        return UNKNOWN
    if len(x.shape) != before + after + 1:
        return _report(ctx, site, f"the pattern '{args[2]}' expects {before + after + 1} dims, got {shape_text(x.shape)}")
    star = x.shape[before]
    total = sum(product(s) for s in shapes)
    if differ(ctx, star, total):
        return _report(ctx, site, f"could not split axis of size {concrete(ctx, star) or star} into {[list(s) for s in shapes]}")
    return [Tensor(x.shape[:before] + tuple(s) + x.shape[before + 1:]) for s in shapes]


def torch_equation(pattern: str) -> Optional[str]:
    """einops.einsum's pattern ('b h i d, b h j d -> b h i j': axis names of any length, spaces
    between them, `...`) as torch.einsum's equation of one letter per name; None for what einops
    refuses or shapelint does not follow (no `->`, parentheses, anonymous axes, over 52 names)."""
    lhs, arrow, rhs = pattern.partition("->")
    if not arrow or "->" in rhs or any(c in pattern for c in "()"):
        return None
    letters: Dict[str, str] = {}
    terms = []
    for term in lhs.split(",") + [rhs]:
        out = ""
        for name in term.split():
            if name == ELLIPSIS:
                out += ELLIPSIS
                continue
            if not name.isidentifier() or (name not in letters and len(letters) == len(string.ascii_letters)):
                return None
            out += letters.setdefault(name, string.ascii_letters[len(letters)])
        terms.append(out)
    return ",".join(terms[:-1]) + "->" + terms[-1]


def _einsum(ctx, site, args, kwargs):
    """einops.einsum(*tensors, pattern): torch.einsum of the translated equation."""
    if kwargs or len(args) < 2 or not isinstance(args[-1], str):
        return UNKNOWN
    tensors = args[:-1]
    eq = torch_equation(args[-1])
    if eq is None or not all(isinstance(t, Tensor) and t.shape is not None for t in tensors):
        return UNKNOWN
    return einsum_shape(ctx, site, eq, [tuple(t.shape) for t in tensors])


FUNCTIONS = {
    "einops.rearrange": _rearrange, "einops.repeat": _repeat, "einops.reduce": _reduce,
    "einops.pack": _pack, "einops.unpack": _unpack, "einops.einsum": _einsum,
}


# ---------------------------------------------------------------------------- layers


def _layer_forward(op: str):
    def forward(ctx, m, x):
        p = dict(m.params)
        pattern = p.pop("pattern", None)
        p.pop("reduction", None)
        return _apply(ctx, m, op, x, pattern, p)

    return forward


LAYERS = {
    "einops.layers.torch.Rearrange": LayerSpec("Rearrange", (), _layer_forward("rearrange"), extra_ok=True),
    "einops.layers.torch.Reduce": LayerSpec("Reduce", (), _layer_forward("reduce"), extra_ok=True),
}


def construct(qualname: str, args, kwargs, node) -> Optional[ModuleValue]:
    """`Rearrange('b c h w -> b (h w) c')`, `Reduce('b n d -> b d', 'mean')` as layers."""
    spec = LAYERS.get(qualname)
    if spec is None:
        return None
    m = ModuleValue(spec.name, node, spec=spec)
    names = ["pattern"] + (["reduction"] if spec.name == "Reduce" else [])
    m.params = {**dict(zip(names, args)), **kwargs}
    if len(args) > len(names) or not all(n in m.params for n in names):
        m.params = {"pattern": Unknown("einops layer arguments")}
    return m
    m.params = {**dict(zip(names, args)), **kwargs}
    return m
