"""Ops that remove, move or resize dims, as sequence models use them (torch 2.13 semantics).

- any / all(input, dim=None, keepdim=False): a reduction to bool; count_nonzero(input, dim=None)
  the same without keepdim, to long;
- argsort(input, dim=-1, descending=False): the input's shape, long;
- diff(input, n=1, dim=-1): dim shrinks by n (0 where n exceeds it); torch raises for n < 0;
  prepend / append are not modelled;
- movedim(source, destination): ints or tuples of ints, a permutation (repeated dims: torch raises);
- select(dim, index): that dim removed (an index out of range: torch raises, unknown here);
- diagonal(offset=0, dim1=0, dim2=1): both dims removed, the diagonal's length appended;
- tile(dims): `repeat` after padding the shorter of dims and shape with leading ones;
- cosine_similarity(x1, x2, dim=1): broadcast, then dim removed; pairwise_distance(x1, x2,
  p, eps, keepdim=False): broadcast, then the last dim removed (kept as 1 with keepdim);
- take_along_dim(input, indices, dim): equal ranks, broadcast except along dim, which is indices';
- x.mT: the last two dims swapped (rank >= 2).
"""

from __future__ import annotations

from ..core.symbolic import Expr, is_known
from ..core.values import UNKNOWN, Tensor
from .functions import ATTRIBUTES, FUNCTIONAL, METHODS, TORCH, _reduce
from .kernels import bind, broadcast, dim_error, normalize_dim

_MISSING = object()


def _int(v) -> bool:
    return type(v) is int


def _shaped(x) -> bool:
    return isinstance(x, Tensor) and x.shape is not None


def _bool_reduce(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "keepdim"], {"dim": None, "keepdim": False})
    if b is None:
        return UNKNOWN
    out = _reduce(ctx, site, (b["input"],), {"dim": b["dim"], "keepdim": b["keepdim"]})
    return out.fresh("bool") if isinstance(out, Tensor) else out


def _count_nonzero(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim"], {"dim": None})
    if b is None:
        return UNKNOWN
    out = _reduce(ctx, site, (b["input"],), {"dim": b["dim"], "keepdim": False})
    return out.fresh("long") if isinstance(out, Tensor) else out


def _dim_of(ctx, site, x, dim):
    """dim normalized, _MISSING after a reported out-of-range int, None when not an int."""
    if not _int(dim):
        return None
    d = normalize_dim(dim, max(len(x.shape), 1))
    if d is None:
        dim_error(ctx, site, site.label(), dim, x)
        return _MISSING
    return d


def _argsort(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "descending", "stable"], {"dim": -1, "descending": False, "stable": False})
    if b is None or not _shaped(b["input"]):
        return UNKNOWN
    d = _dim_of(ctx, site, b["input"], b["dim"])
    return UNKNOWN if d is None or d is _MISSING else b["input"].fresh("long")


def _diff(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "n", "dim", "prepend", "append"], {"n": 1, "dim": -1, "prepend": None, "append": None})
    if b is None or not _shaped(b["input"]) or b["prepend"] is not None or b["append"] is not None:
        return UNKNOWN
    x, n = b["input"], b["n"]
    if not _int(n) or n < 0 or not x.shape:
        return UNKNOWN
    d = _dim_of(ctx, site, x, b["dim"])
    if d is None or d is _MISSING:
        return UNKNOWN
    size = x.shape[d]
    if n == 0:
        return Tensor(x.shape, x.prov)
    if not is_known(size):
        return Tensor(x.shape[:d] + (Expr.opaque("diff"),) + x.shape[d + 1:])
    return Tensor(x.shape[:d] + (max(size - n, 0),) + x.shape[d + 1:])


def _dims_list(v):
    return list(v) if isinstance(v, (tuple, list)) else [v]


def _movedim(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "source", "destination"], {})
    if b is None or not _shaped(b["input"]):
        return UNKNOWN
    x = b["input"]
    rank = len(x.shape)
    src, dst = _dims_list(b["source"]), _dims_list(b["destination"])
    if len(src) != len(dst) or not all(_int(d) for d in src + dst):
        return UNKNOWN
    norm_src, norm_dst = [normalize_dim(d, max(rank, 1)) for d in src], [normalize_dim(d, max(rank, 1)) for d in dst]
    if None in norm_src + norm_dst:
        bad = next(d for d, n in zip(src + dst, norm_src + norm_dst) if n is None)
        return dim_error(ctx, site, site.label(), bad, x)
    if len(set(norm_src)) != len(src) or len(set(norm_dst)) != len(dst) or rank == 0:
        return UNKNOWN  # torch raises for a repeated dim
    order = [None] * rank
    for s, t in zip(norm_src, norm_dst):
        order[t] = s
    rest = iter(i for i in range(rank) if i not in norm_src)
    order = [o if o is not None else next(rest) for o in order]
    return Tensor(tuple(x.shape[i] for i in order), tuple(x.prov[i] for i in order))


def _select(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "index"], {})
    if b is None or not _shaped(b["input"]) or not b["input"].shape or not _int(b["index"]):
        return UNKNOWN
    x = b["input"]
    d = _dim_of(ctx, site, x, b["dim"])
    if d is None or d is _MISSING:
        return UNKNOWN
    size = x.shape[d]
    if not is_known(size) or not -size <= b["index"] < size:
        return UNKNOWN  # an index out of range: torch raises IndexError
    return Tensor(x.shape[:d] + x.shape[d + 1:], x.prov[:d] + x.prov[d + 1:])


def _diagonal(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "offset", "dim1", "dim2"], {"offset": 0, "dim1": 0, "dim2": 1})
    if b is None or not _shaped(b["input"]) or len(b["input"].shape) < 2 or not _int(b["offset"]):
        return UNKNOWN
    x, offset = b["input"], b["offset"]
    d1, d2 = _dim_of(ctx, site, x, b["dim1"]), _dim_of(ctx, site, x, b["dim2"])
    if d1 is None or d2 is None or _MISSING in (d1, d2) or d1 == d2:
        return UNKNOWN
    s1, s2 = x.shape[d1], x.shape[d2]
    if is_known(s1) and is_known(s2):
        length = max(0, min(s1, s2 - offset)) if offset >= 0 else max(0, min(s1 + offset, s2))
    elif offset == 0 and s1 == s2:
        length = s1
    else:
        length = Expr.opaque("diagonal")
    keep = [i for i in range(len(x.shape)) if i not in (d1, d2)]
    return Tensor(tuple(x.shape[i] for i in keep) + (length,), tuple(x.prov[i] for i in keep) + (None,))


def _tile(ctx, site, args, kwargs):
    if kwargs or len(args) < 2 or not _shaped(args[0]):
        return UNKNOWN
    x = args[0]
    counts = list(args[1]) if len(args) == 2 and isinstance(args[1], (tuple, list)) else list(args[1:])
    if not all((is_known(c) and c >= 0) or (isinstance(c, Expr) and not c.is_opaque()) for c in counts):
        return UNKNOWN
    rank = len(x.shape)
    counts = [1] * (rank - len(counts)) + counts  # fewer counts than dims: leading ones
    return METHODS["repeat"](ctx, site, (x, *counts), {})


def _cosine_similarity(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["x1", "x2", "dim", "eps"], {"dim": 1, "eps": 1e-8})
    if b is None or not (_shaped(b["x1"]) and _shaped(b["x2"])):
        return UNKNOWN
    joint = broadcast(ctx, site, b["x1"], b["x2"], site.label())
    if not _shaped(joint) or not joint.shape:
        return UNKNOWN
    return _reduce(ctx, site, (joint,), {"dim": b["dim"], "keepdim": False}) if _int(b["dim"]) else UNKNOWN


def _pairwise_distance(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["x1", "x2", "p", "eps", "keepdim"], {"p": 2.0, "eps": 1e-6, "keepdim": False})
    if b is None or not (_shaped(b["x1"]) and _shaped(b["x2"])) or type(b["keepdim"]) is not bool:
        return UNKNOWN
    if not b["x1"].shape or not b["x2"].shape:
        return UNKNOWN
    joint = broadcast(ctx, site, b["x1"], b["x2"], site.label())
    if not _shaped(joint):
        return UNKNOWN
    return _reduce(ctx, site, (joint,), {"dim": -1, "keepdim": b["keepdim"]})


def _take_along_dim(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "indices", "dim"], {"dim": None})
    if b is None or not (_shaped(b["input"]) and _shaped(b["indices"])) or not _int(b["dim"]):
        return UNKNOWN
    x, idx = b["input"], b["indices"]
    if len(x.shape) != len(idx.shape) or not x.shape:
        return UNKNOWN  # torch raises for ranks that differ
    d = _dim_of(ctx, site, x, b["dim"])
    if d is None or d is _MISSING:
        return UNKNOWN
    rest = broadcast(ctx, site, Tensor(x.shape[:d] + x.shape[d + 1:]), Tensor(idx.shape[:d] + idx.shape[d + 1:]), site.label())
    if not _shaped(rest):
        return UNKNOWN
    return Tensor(rest.shape[:d] + (idx.shape[d],) + rest.shape[d:])


def _matrix_transpose(ctx, x):
    if x.shape is None or len(x.shape) < 2:
        return UNKNOWN
    return Tensor(x.shape[:-2] + (x.shape[-1], x.shape[-2]), x.prov[:-2] + (x.prov[-1], x.prov[-2]))


ATTRIBUTES.setdefault("mT", _matrix_transpose)
for _name, _op in (("any", _bool_reduce), ("all", _bool_reduce), ("count_nonzero", _count_nonzero), ("argsort", _argsort),
                   ("diff", _diff), ("movedim", _movedim), ("moveaxis", _movedim), ("select", _select),
                   ("diagonal", _diagonal), ("tile", _tile)):
    TORCH.setdefault(_name, _op)
    METHODS.setdefault(_name, _op)
TORCH.setdefault("take_along_dim", _take_along_dim)
METHODS.setdefault("take_along_dim", _take_along_dim)
for _name, _op in (("cosine_similarity", _cosine_similarity), ("pairwise_distance", _pairwise_distance)):
    TORCH.setdefault(_name, _op)
    FUNCTIONAL.setdefault(_name, _op)
