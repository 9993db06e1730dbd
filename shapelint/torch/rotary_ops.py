"""The ops of rotary position embeddings (RoPE) in LLM code, with torch's exact shape rules:
complex views (view_as_complex, view_as_real), torch.polar, torch.outer, and the
axis-stacking helpers (hstack, vstack, dstack, column_stack, row_stack) used to pad
causal masks, and unflatten (`torch.unflatten(xq, -1, (-1, 2))` pairs a head's features). Registered into the tables of `functions` when imported.

A finding only where torch certainly raises (a known last size that is not 2 for
view_as_complex, a known rank that is not 1 for outer); anything else not covered is
unknown. Strides and dtypes are not modelled: view_as_complex of a non-contiguous last
dimension, or view_as_real of a real tensor, are raises shapelint does not report.
"""

from __future__ import annotations

from ..core.symbolic import is_known, shape_text
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import METHODS, TORCH, _cat
from .kernels import bind
from .modules import unflatten_forward
from .spec import Site
from .sequence_ops import _mismatch, _tensor, broadcast_dims


def _view_as_complex(ctx, site, args, kwargs):
    """(..., 2) real -> (...) complex: the pair of the last dim becomes one complex number."""
    b = bind(list(args), dict(kwargs), ["input"], {})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    shape = tuple(b["input"].shape)
    if not shape:
        return _mismatch(ctx, site, "view_as_complex needs a last dimension of size 2, got a 0-d tensor")
    last = shape[-1]
    if is_known(last) and last != 2:
        return _mismatch(ctx, site, f"view_as_complex needs a last dimension of size 2, got {shape_text(shape)}")
    if not is_known(last):
        return Unknown("view_as_complex of a symbolic last dimension")
    return Tensor(shape[:-1], dtype="complex")


def _view_as_real(ctx, site, args, kwargs):
    """(...) complex -> (..., 2) real."""
    b = bind(list(args), dict(kwargs), ["input"], {})
    if b is None or not _tensor(b["input"]) or b["input"].dtype in ("float", "long", "int", "bool"):
        return UNKNOWN  # of a tensor certainly real, torch raises
    return Tensor(tuple(b["input"].shape) + (2,))


def _polar(ctx, site, args, kwargs):
    """torch.polar(abs, angle): the two broadcast together, as elementwise ops do."""
    b = bind(list(args), dict(kwargs), ["abs", "angle", "out"], {"out": None})
    if b is None or b["out"] is not None or not (_tensor(b["abs"]) and _tensor(b["angle"])):
        return UNKNOWN
    out = broadcast_dims(ctx, site, [b["abs"].shape, b["angle"].shape])
    if not isinstance(out, tuple):
        return out if isinstance(out, Unknown) else Unknown("polar broadcast")
    return Tensor(out, dtype="complex")


def _outer(ctx, site, args, kwargs):
    """torch.outer(a, b) of two 1-D tensors: (len(a), len(b)); any other rank raises."""
    b = bind(list(args), dict(kwargs), ["input", "vec2"], {})
    if b is None or not (_tensor(b["input"]) and _tensor(b["vec2"])):
        return UNKNOWN
    x, y = tuple(b["input"].shape), tuple(b["vec2"].shape)
    for name, s in (("input", x), ("vec2", y)):
        if len(s) != 1:
            return _mismatch(ctx, site, f"outer expects 1-D arguments, but {name} is {len(s)}-D {shape_text(s)}")
    return Tensor(x + y)


# ---------------------------------------------------------------------------- stacking along an axis


def _at_least(shape: tuple, rank: int) -> tuple:
    """torch.atleast_1d/2d/3d: () -> (1,)/(1, 1)/(1, 1, 1); (n,) -> (n,)/(1, n)/(1, n, 1); (a, b) -> (a, b, 1)."""
    if len(shape) >= rank:
        return shape
    if rank == 1:
        return (1,)
    if rank == 2:
        return (1,) * (2 - len(shape)) + shape
    return {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]


def _tensors(args, kwargs):
    b = bind(list(args), dict(kwargs), ["tensors", "out"], {"out": None})
    if b is None or b["out"] is not None or not isinstance(b["tensors"], (list, tuple)) or not b["tensors"]:
        return None
    ts = list(b["tensors"])
    return ts if all(_tensor(t) for t in ts) else None


def _stack_along(kind: str):
    def fn(ctx, site, args, kwargs):
        ts = _tensors(args, kwargs)
        if ts is None:
            return UNKNOWN
        if kind == "column_stack":  # 0-d and 1-D become columns (n, 1); then cat along dim 1
            shapes = [tuple(t.shape) if len(t.shape) > 1 else (_at_least(tuple(t.shape), 1) + (1,)) for t in ts]
            dim = 1
        else:
            rank = {"hstack": 1, "vstack": 2, "row_stack": 2, "dstack": 3}[kind]
            shapes = [_at_least(tuple(t.shape), rank) for t in ts]
            dim = {"hstack": 0 if len(shapes[0]) == 1 else 1, "vstack": 0, "row_stack": 0, "dstack": 2}[kind]
        return _cat(ctx, site, ([Tensor(s) for s in shapes], dim), {})

    return fn


def _unflatten(ctx, site, args, kwargs):
    """x.unflatten(dim, sizes) / torch.unflatten(x, dim, sizes): nn.Unflatten's rule (one -1 allowed)."""
    b = bind(list(args), dict(kwargs), ["input", "dim", "sizes"], {})
    if b is None or not _tensor(b["input"]) or not isinstance(b["sizes"], (tuple, list)):
        return UNKNOWN
    layer = Site(site.label(), site.node, params={"dim": b["dim"], "unflattened_size": tuple(b["sizes"])})
    return unflatten_forward(ctx, layer, b["input"])


TORCH["unflatten"] = METHODS["unflatten"] = _unflatten
TORCH["view_as_complex"] = _view_as_complex
TORCH["view_as_real"] = _view_as_real
TORCH["polar"] = _polar
TORCH["outer"] = TORCH["ger"] = METHODS["outer"] = METHODS["ger"] = _outer
for _kind in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
    TORCH[_kind] = _stack_along(_kind)
