"""`x.expand(*sizes)` and `x.expand_as(y)`, with torch's rule: each existing size stays (or is
given as -1) or, when it is 1, grows to the target; new leading dims may not be -1. A size that
is neither 1 nor the target is an error only where torch certainly raises (both sizes known, or
certainly different and neither possibly 1): `self.weight.unsqueeze(0)...expand_as(x)` of an
L2Norm built for 32 channels on a 64-channel map. `torch.broadcast_to(x, size)` / `x.broadcast_to(size)`
is `x.expand(size)` (Falcon's shared key broadcast to the query heads), keeping x's dtype. Registered
into `functions.METHODS` / `TORCH` when imported (`engine.torch_calls` imports it).
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import Expr, is_known, shape_text
from ..core.values import UNKNOWN, Origin, Tensor, Unknown
from .functions import METHODS, TORCH
from .kernels import _size_value, maybe_one, op_text, sizes_from


def _where(o) -> tuple:
    """` (where it came from)` for a size whose origin shapelint knows; nothing otherwise."""
    return (" (", *o.parts, ")") if isinstance(o, Origin) else ()


def _certainly_differs(ctx, d, s) -> bool:
    cd, cs = _size_value(ctx, d), _size_value(ctx, s)
    if cd is not None and cs is not None:
        return cd != cs and cd != 1
    return ctx.check_equal(d, s, "expand") == "bad" and not maybe_one(d)  # s of 1 fails as well


def _same_value(ctx, d, s) -> bool:
    cd, cs = _size_value(ctx, d), _size_value(ctx, s)
    return cd is not None and cd == cs


def expand_to(ctx, site, x: Tensor, sizes, target_prov=()):
    if not isinstance(x, Tensor) or x.shape is None or not sizes or len(sizes) < len(x.shape):
        return UNKNOWN
    if not all(is_known(s) or isinstance(s, Expr) for s in sizes):
        return UNKNOWN
    lead = len(sizes) - len(x.shape)
    out = list(sizes[:lead])
    for i, (d, s) in enumerate(zip(x.shape, sizes[lead:])):
        if s == -1 or s == d or _same_value(ctx, d, s):  # the declared batch B meets its number
            out.append(d)
        elif d == 1:
            out.append(s)
        elif s != -1 and _certainly_differs(ctx, d, s):
            tp = target_prov[lead + i] if len(target_prov) == len(sizes) else None
            ctx.report(R.ShapeMismatch.finding(
                site.node, module=site.name, op=op_text(site),
                detail=(f"cannot expand {shape_text(x.shape)} to {shape_text(tuple(sizes))}: dimension {i} is {d}",
                        *_where(x.origin(i)), f" but the target is {s}", *_where(tp),
                        f"; only a size of 1 can grow: make it {s} (or 1)"),
            ))
            return Unknown("expand mismatch")
        else:
            return Unknown("expand")  # torch may reject it; shapelint cannot tell
    if any(s == -1 for s in out):
        return UNKNOWN
    return Tensor(tuple(out))


def _expand(ctx, site, args, kwargs):
    sizes = sizes_from(args[1:]) if len(args) > 1 else list(kwargs.get("size", ()))
    return expand_to(ctx, site, args[0], sizes)


def _expand_as(ctx, site, args, kwargs):
    if len(args) < 2 or not isinstance(args[1], Tensor) or args[1].shape is None:
        return UNKNOWN
    return expand_to(ctx, site, args[0], list(args[1].shape), args[1].prov)


def _broadcast_to(ctx, site, args, kwargs):
    """torch.broadcast_to(input, size): input.expand(size), the same values (so the same dtype)."""
    x = args[0] if args else kwargs.get("input")
    size = args[1] if len(args) == 2 else tuple(args[1:]) if len(args) > 2 else kwargs.get("size")  # x.broadcast_to(3, 2, 4) too
    if not isinstance(size, (tuple, list)) or not isinstance(x, Tensor):
        return UNKNOWN
    out = expand_to(ctx, site, x, list(size))
    return Tensor(out.shape, out.prov, dtype=x.dtype) if isinstance(out, Tensor) else out


METHODS["expand"] = _expand
METHODS["expand_as"] = _expand_as
METHODS["broadcast_to"] = TORCH["broadcast_to"] = _broadcast_to
