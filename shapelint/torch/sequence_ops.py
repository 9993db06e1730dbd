"""Tensor ops of attention and sequence models, with torch's exact shape rules (issue 11.1).

Registered into the tables of `functions` (METHODS, TORCH, FUNCTIONAL) when imported
(`engine.torch_calls` imports it). Every op returns `Unknown` for a case it does not
cover; a finding only where torch certainly raises (both sizes known and different).
"""

from __future__ import annotations

import math
from typing import Optional

from ..core import rules as R
from ..core.symbolic import BATCH_NAME, Expr, add, is_known, mul, product, shape_text, substitute
from ..core.values import UNKNOWN, Tensor, Unknown
from .advanced_indexing import arange_dtype
from .index_dtype import index_dtype_report
from .mask_refusals import call_argument, masked_fill_dtype_report
from .functions import FUNCTIONAL, METHODS, OPERATORS, TORCH, ValuesIndices, _same
from .kernels import binary, bind, dim_error, normalize_dim, op_text, sizes_from
from .spec import Site

MAX_PIECES = 256  # split/unbind into more pieces than this: unknown (a tuple that long is not a model's)


def _tensor(x) -> bool:
    return isinstance(x, Tensor) and x.shape is not None


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _mismatch(ctx, site, detail) -> Unknown:
    ctx.report(R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=detail))
    return Unknown("shape mismatch")


def _dim(ctx, site, x, dim):
    """The normalized dim, or an Unknown (reported when dim is an int out of range)."""
    d = normalize_dim(dim, max(len(x.shape), 1))
    if d is None:
        return dim_error(ctx, site, site.label(), dim, x) if _int(dim) else Unknown("dim")
    return d


def _replace(x: Tensor, d: int, size) -> Tensor:
    return Tensor(x.shape[:d] + (size,) + x.shape[d + 1:], x.prov[:d] + (None,) + x.prov[d + 1:])


# ---------------------------------------------------------------------------- creation


def _arange(ctx, site, args, kwargs):
    """torch.arange(end), (start, end), (start, end, step): ceil((end - start) / step) values."""
    bounds = _arange_bounds(args, kwargs)
    if bounds is None:
        return UNKNOWN
    start, end, step = bounds
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, end, step)):
        if step == 0:
            return UNKNOWN
        n = math.ceil((end - start) / step)
        if n < 0:
            return UNKNOWN  # torch rejects a negative count
        out = Tensor((n,), dtype=arange_dtype((start, end, step), kwargs))
        if all(_int(v) for v in (start, end, step)) and start >= 0 and step > 0 and n > 0 and out.dtype in ("long", "int"):
            out.values_below = (start + (n - 1) * step + 1, site.node)  # the largest value, plus one
        return out
    if _int(start) and step == 1 and isinstance(end, Expr) and not end.is_opaque():
        return Tensor((add(end, -start),), dtype=arange_dtype((start, end, step), kwargs))
    return UNKNOWN


def _arange_bounds(args, kwargs):
    """(start, end, step) as torch binds them: one positional argument alone is end; with a keyword
    bound the positional ones are start, end, step in that order (arange(5, step=2) and
    arange(5, start=1) are rejected by torch: None, unknown)."""
    names = ("start", "end", "step")
    if not any(k in kwargs for k in names):
        if not 1 <= len(args) <= 3:
            return None
        return (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
    given = dict(zip(names, args))
    if len(args) > 3 or any(k in given for k in kwargs if k in names):
        return None
    given.update((k, kwargs[k]) for k in names if k in kwargs)
    if "end" not in given:
        return None
    return given.get("start", 0), given["end"], given.get("step", 1)


def _linspace(ctx, site, args, kwargs):
    b = bind(list(args)[:3], {k: v for k, v in kwargs.items() if k == "steps"}, ["start", "end", "steps"], {})
    steps = None if b is None else b["steps"]
    if isinstance(steps, Expr) and not steps.is_opaque():
        return Tensor((steps,))  # a size read from a tensor (`torch.linspace(-1, 1, h)`, CoordConv): never negative
    if not _int(steps) or steps < 0:
        return UNKNOWN
    return Tensor((steps,))


def _meshgrid(ctx, site, args, kwargs):
    """torch.meshgrid(a, b, ..., indexing="ij"|"xy") of 0-d or 1-d tensors: one tensor per input,
    each of shape (len(a), len(b), ...), the first two swapped for "xy"; the inputs' dtype."""
    tensors = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    indexing = kwargs.get("indexing", "ij")
    if not tensors or indexing not in ("ij", "xy") or set(kwargs) - {"indexing"}:
        return UNKNOWN
    if not all(_tensor(t) and len(t.shape) <= 1 for t in tensors) or len({t.dtype for t in tensors}) != 1:
        return UNKNOWN
    shape = [t.shape[0] if t.shape else 1 for t in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    return tuple(Tensor(tuple(shape), dtype=tensors[0].dtype) for _ in tensors)


TORCH["arange"] = _arange
TORCH["meshgrid"] = _meshgrid
TORCH["roll"] = _same
# in-place random fills and roundings keep the tensor's shape (drop-path masks: `x.new_empty(shape).bernoulli_(keep)`,
# `(keep + torch.rand(shape)).floor_()`)
for _name in ("bernoulli_", "bernoulli", "random_", "exponential_", "geometric_", "cauchy_", "log_normal_", "floor_", "ceil_",
              "round_", "trunc_"):
    METHODS[_name] = _same
TORCH["bernoulli"] = _same
TORCH["linspace"] = _linspace
TORCH["logspace"] = _linspace


def _new(ctx, site, args, kwargs):
    """x.new_zeros(size), x.new_ones(2, 3), x.new_full(size, value), x.new_empty(size)."""
    rest = list(args[1:])
    if site.label() == ".new_full()":
        size = rest[0] if rest else kwargs.get("size")
        rest = [size] if isinstance(size, (tuple, list)) else []
    sizes = sizes_from(rest) if rest else list(kwargs.get("size", ()) or ())
    if not sizes or not all((_int(d) and d >= 0) or (isinstance(d, Expr) and not d.is_opaque()) for d in sizes):
        return UNKNOWN
    return Tensor(tuple(sizes))


for _name in ("new_zeros", "new_ones", "new_empty", "new_full"):
    METHODS[_name] = _new
for _name in ("ones_like", "zeros_like", "empty_like", "rand_like", "randn_like", "full_like", "randint_like"):
    TORCH[_name] = _same
for _name in ("tril", "triu"):
    TORCH[_name] = lambda ctx, site, args, kwargs: args[0] if args and _tensor(args[0]) and len(args[0].shape) >= 2 else UNKNOWN
    METHODS[_name] = TORCH[_name]
    METHODS[_name + "_"] = TORCH[_name]


# ---------------------------------------------------------------------------- splitting


def _split(ctx, site, args, kwargs):
    """torch.split / x.split: pieces of `size` along dim (the last smaller), or the listed sizes."""
    b = bind(list(args), dict(kwargs), ["tensor", "split_size_or_sections", "dim"], {"dim": 0})
    if b is None and "split_size" in kwargs:
        kw = dict(kwargs)
        kw["split_size_or_sections"] = kw.pop("split_size")
        b = bind(list(args), kw, ["tensor", "split_size_or_sections", "dim"], {"dim": 0})
    if b is None or not _tensor(b["tensor"]):
        return UNKNOWN
    x, s = b["tensor"], b["split_size_or_sections"]
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    n = concrete(ctx, x.shape[d]) or x.shape[d]
    if isinstance(s, (list, tuple)):
        if not all(_int(v) and v >= 0 for v in s) or len(s) > MAX_PIECES:
            return UNKNOWN
        if is_known(n) and sum(s) != n:
            return _mismatch(ctx, site, f"the sizes {list(s)} add up to {sum(s)}, but dimension {d} of {shape_text(x.shape)} is {n}")
        if not is_known(n) and ctx.check_equal(n, sum(s), site.label()) == "bad":
            return Unknown("split sizes")
        return tuple(_replace(x, d, v) for v in s)
    if not _int(s) or s < 0 or not is_known(n):
        return UNKNOWN
    if s == 0:
        return (x,) if n == 0 else UNKNOWN
    sizes = [min(s, n - i) for i in range(0, n, s)] if n else [0]
    if len(sizes) > MAX_PIECES:
        return UNKNOWN
    return tuple(_replace(x, d, v) for v in sizes)


def _unbind(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim"], {"dim": 0})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    x = b["input"]
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    n = concrete(ctx, x.shape[d])
    if n is None or n > MAX_PIECES:
        return UNKNOWN
    return tuple(Tensor(x.shape[:d] + x.shape[d + 1:], x.prov[:d] + x.prov[d + 1:]) for _ in range(n))


for _t in (TORCH, METHODS):
    _t["split"] = _split
    _t["unbind"] = _unbind


def _narrow(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "start", "length"], {})
    if b is None or not _tensor(b["input"]) or not _int(b["length"]) or not _int(b["start"]):
        return UNKNOWN
    x = b["input"]
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    n, start, length = x.shape[d], b["start"], b["length"]
    if is_known(n):
        begin = start + n if start < 0 else start
        if length < 0 or not 0 <= begin <= n or begin + length > n:
            return _mismatch(ctx, site, f"start {start} + length {length} exceeds dimension {d} of size {n}")
    return _replace(x, d, length)


TORCH["narrow"] = _narrow
METHODS["narrow"] = _narrow


# ---------------------------------------------------------------------------- gathering


def _index_select(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "index"], {})
    if b is not None and index_dtype_report(ctx, site.node, "index_select", b["index"], site.label()):
        return Unknown("torch rejects the index's dtype")
    if b is None or not _tensor(b["input"]) or not _tensor(b["index"]) or len(b["index"].shape) > 1:
        return UNKNOWN
    x = b["input"]
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    return _replace(x, d, product(b["index"].shape))


def _gather(ctx, site, args, kwargs):
    """torch.gather(input, dim, index): the index's shape (same rank as input)."""
    b = bind(list(args), dict(kwargs), ["input", "dim", "index", "sparse_grad"], {"sparse_grad": False})
    if b is not None and index_dtype_report(ctx, site.node, "gather", b["index"], site.label()):
        return Unknown("torch rejects the index's dtype")
    if b is None or not _tensor(b["input"]) or not _tensor(b["index"]):
        return UNKNOWN
    x, idx = b["input"], b["index"]
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    if len(idx.shape) != len(x.shape):
        if x.shape and idx.shape:
            return _mismatch(ctx, site, f"the index {shape_text(idx.shape)} must have as many dimensions as the input {shape_text(x.shape)}")
        return UNKNOWN
    for i, (a, c) in enumerate(zip(idx.shape, x.shape)):
        if i != d and is_known(a) and is_known(c) and a > c:
            return _mismatch(ctx, site, f"index {shape_text(idx.shape)} is larger than input {shape_text(x.shape)} in dimension {i}")
    return Tensor(idx.shape)


for _t in (TORCH, METHODS):
    _t["index_select"] = _index_select
    _t["gather"] = _gather


def _repeat_interleave(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "repeats", "dim", "output_size"], {"dim": None, "output_size": None})
    if b is None or not _tensor(b["input"]) or not _int(b["repeats"]) or b["repeats"] < 0:
        return UNKNOWN
    x, r = b["input"], b["repeats"]
    if b["dim"] is None:
        return Tensor((mul(product(x.shape), r),))
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    return _replace(x, d, mul(x.shape[d], r))


TORCH["repeat_interleave"] = _repeat_interleave
METHODS["repeat_interleave"] = _repeat_interleave


# ---------------------------------------------------------------------------- broadcasting


def concrete(ctx, d):
    """An int for a known size, or for a size of the batch symbol alone (`B`, `8*B`) when the
    batch is declared."""
    if is_known(d):
        return d
    if d == ctx.batch and ctx.declared_batch is not None:
        return ctx.declared_batch
    if isinstance(d, Expr) and getattr(ctx, "declared_batch", None) is not None:
        s = substitute(d, {BATCH_NAME: ctx.declared_batch})
        return s if is_known(s) else None
    return None


def differ(ctx, a, b) -> bool:
    """Sizes that certainly differ: known (the declared batch counts as known) and unequal,
    or proved unequal by the solver."""
    ca, cb = concrete(ctx, a), concrete(ctx, b)
    if ca is not None and cb is not None:
        return ca != cb
    if isinstance(a, Expr) and isinstance(b, Expr) and ctx.declared_batch is not None:
        env = {BATCH_NAME: ctx.declared_batch}
        sa, sb = substitute(a, env), substitute(b, env)
        if is_known(sa) and is_known(sb):
            return sa != sb
    if ctx.declared_batch is not None and (isinstance(a, Expr) or isinstance(b, Expr)):
        env = {BATCH_NAME: ctx.declared_batch}
        sa, sb = substitute(a, env) if isinstance(a, Expr) else a, substitute(b, env) if isinstance(b, Expr) else b
        if is_known(sa) and is_known(sb):
            return sa != sb
    return a != b and ctx.check_equal(a, b, "sizes") == "bad"


def broadcast_dims(ctx, site, shapes, what: str = "") -> Optional[tuple]:
    """torch's broadcast of several shapes; None when unknown, Unknown after a report (`what`
    names the shapes in it, e.g. the batch dims of a matmul)."""
    n = max(len(s) for s in shapes)
    padded = [(1,) * (n - len(s)) + tuple(s) for s in shapes]
    out = []
    for i in range(n):
        sizes = [p[i] for p in padded]
        known = {concrete(ctx, s) for s in sizes if concrete(ctx, s) not in (None, 1)}
        symbolic = {s for s in sizes if concrete(ctx, s) is None}
        if len(known) > 1:
            texts = " and ".join(shape_text(s) for s in shapes)
            return _mismatch(ctx, site, f"{what}shapes {texts} cannot be broadcast: dimension {i - n} is {' vs '.join(map(str, sorted(known)))}")
        if known:
            # a symbolic size there is 1 or the same, else torch raises; the batch keeps its symbol
            value = next(iter(known))
            out.append(next((s for s in sizes if not is_known(s) and concrete(ctx, s) == value), value))
        elif len(symbolic) == 1:
            out.append(next(iter(symbolic)))  # with 1s: the symbol (1 or not, it is what torch gives)
        elif not symbolic:
            out.append(1)
        else:
            return None
    return tuple(out)


def _where(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["condition", "input", "other"], {})
    if b is None or not all(_tensor(v) or isinstance(v, (int, float)) for v in b.values()) or not _tensor(b["condition"]):
        return UNKNOWN
    shapes = [v.shape for v in b.values() if isinstance(v, Tensor)]
    out = broadcast_dims(ctx, site, shapes)
    return Tensor(out) if isinstance(out, tuple) else (out if isinstance(out, Unknown) else UNKNOWN)


TORCH["where"] = lambda ctx, site, args, kwargs: _where(ctx, site, args, kwargs) if len(args) + len(kwargs) == 3 else UNKNOWN
METHODS["where"] = TORCH["where"]


def _masked_fill(ctx, site, args, kwargs):
    """x.masked_fill(mask, value): x's shape; the mask must broadcast to it."""
    b = bind(list(args), dict(kwargs), ["input", "mask", "value"], {})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    x, mask = b["input"], b["mask"]
    if masked_fill_dtype_report(ctx, site, mask, call_argument(site.node, "mask", 0 if site.label().startswith(".") else 1)):
        return Unknown("torch rejects the mask's dtype")
    if not _tensor(mask):
        return x  # where torch runs, the output has x's shape whatever the mask
    out = broadcast_dims(ctx, site, [x.shape, mask.shape])
    if isinstance(out, Unknown):
        return out
    if out is None or len(out) != len(x.shape) or any(is_known(o) and is_known(s) and o != s for o, s in zip(out, x.shape)):
        return Unknown("masked_fill of a larger mask")
    return x


METHODS["masked_fill"] = _masked_fill
METHODS["masked_fill_"] = _masked_fill
TORCH["masked_fill"] = _masked_fill


# ---------------------------------------------------------------------------- selection


def _topk(ctx, site, args, kwargs):
    """torch.topk(input, k, dim=-1): (values, indices), dim cut to k; torch raises unless 0 <= k <= size."""
    b = bind(list(args), dict(kwargs), ["input", "k", "dim", "largest", "sorted"], {"dim": -1, "largest": True, "sorted": True})
    if b is None or not _tensor(b["input"]) or not (_int(b["k"]) or isinstance(b["k"], Expr)):
        return UNKNOWN
    x, k = b["input"], b["k"]
    if not x.shape:
        return Unknown("topk of a 0-d tensor")
    d = _dim(ctx, site, x, b["dim"])
    if isinstance(d, Unknown):
        return d
    n = concrete(ctx, x.shape[d])
    if not _int(k):  # a symbolic k (a capacity computed from the batch): decided with the declared batch
        kc = concrete(ctx, k)
        if kc is None or n is None:
            return Unknown("topk with a symbolic k") if k != x.shape[d] else ValuesIndices((x, Tensor(x.shape, dtype="long")))
        if not 0 <= kc <= n:
            return _mismatch(ctx, site, f"k={kc} is out of range for dimension {d} of size {n}: "
                                        f"torch raises 'selected index k out of range'")
        values = _replace(x, d, k)
        return ValuesIndices((values, Tensor(values.shape, dtype="long")))
    if k < 0 or (n is not None and k > n):
        return _mismatch(ctx, site, f"k={k} is out of range for dimension {d} of {shape_text(x.shape)}: "
                                    f"torch raises 'selected index k out of range'")
    if n is None:
        return Unknown("topk along a symbolic size")
    values = _replace(x, d, k)
    return ValuesIndices((values, Tensor(values.shape, dtype="long")))


def _sort(ctx, site, args, kwargs):
    """torch.sort / x.sort: (values, indices) of the input's shape."""
    b = bind(list(args), dict(kwargs), ["input", "dim", "descending", "stable"], {"dim": -1, "descending": False, "stable": False})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    x = b["input"]
    if x.shape and isinstance(_dim(ctx, site, x, b["dim"]), Unknown):
        return UNKNOWN
    return ValuesIndices((x, Tensor(x.shape, dtype="long")))


TORCH["topk"] = METHODS["topk"] = _topk
TORCH["sort"] = METHODS["sort"] = _sort
# writes into a tensor by index: the result (and `self`, in place) keeps self's shape (the
# shapes torch requires of index and source are not checked here: a raise, never a wrong shape)
for _name in ("index_add", "index_copy", "index_fill", "scatter", "scatter_add", "scatter_reduce", "masked_scatter",
              "index_put"):
    METHODS[_name] = METHODS[_name + "_"] = _same
for _name in ("index_add", "index_copy", "index_fill", "scatter", "scatter_add", "scatter_reduce"):
    TORCH[_name] = _same
for _name in ("cumsum", "cumprod", "flip", "roll", "logcumsumexp"):
    TORCH[_name] = _same


def _pow(ctx, site, args, kwargs):
    """torch.pow(input, exponent) / x.pow(exponent): elementwise, the two broadcast (a number keeps the shape)."""
    b = bind(list(args), dict(kwargs), ["input", "exponent"], {})
    return UNKNOWN if b is None else binary(ctx, site, b["input"], b["exponent"], site.label())


for _name in ("pow", "float_power"):
    TORCH[_name] = METHODS[_name] = _pow


# comparisons (`a < b`, `mask == 0` with a tensor on either side) are bool tensors of the
# broadcast shape: torch/result_dtypes.py registers them
