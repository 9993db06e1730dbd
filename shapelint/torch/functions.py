"""Shape semantics of tensor methods, torch.* functions, torch.nn.functional, tensor
attributes and Python's operators on tensors.

Each op is a small function `(ctx, site, args, kwargs) -> value`; the interpreter
binds the tensor (`self` for methods) as the first positional argument. Ops that are
not listed here are unknown: no guess, no finding.
"""

from __future__ import annotations

from typing import Callable, Dict

from ..core import rules as R
from ..core.findings import At
from ..core.symbolic import Expr, add, is_known, mul, product, shape_text
from ..core.values import UNKNOWN, Origin, PendingShape, Tensor, Unknown
from .kernels import (
    adaptive_core, binary, bind, dim_error, flatten_core, normalize_dim, op_text, pool_core, rank_error, reshape_dims,
    sizes_from,
)
from .resampling import pad_core, upsample_core
from .spec import Site

Op = Callable
METHODS: Dict[str, Op] = {}  # x.name(...)
TORCH: Dict[str, Op] = {}  # torch.name(...)
FUNCTIONAL: Dict[str, Op] = {}  # F.name(...)
QUALIFIED: Dict[str, Op] = {}  # a function of a torch submodule, by its full name: torch.sparse.mm(...)
ATTRIBUTES: Dict[str, Callable] = {}  # x.name: (ctx, x) -> value; any other name is a method
OPERATORS: Dict[str, Callable] = {}  # Python operators on tensors, by libcst's name: (ctx, node, a, b) -> value

_MISSING = object()


def _tensor(x) -> bool:
    return isinstance(x, Tensor)


# ---------------------------------------------------------------------------- shape-preserving


def _same(ctx, site, args, kwargs):
    """An op whose output has its input's shape (activations, dropout, ...)."""
    return args[0] if args and _tensor(args[0]) else UNKNOWN

for _name in (
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh",
    "hardtanh", "hardswish", "hardsigmoid", "softplus", "softsign", "logsigmoid", "dropout",
    "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "normalize",
    "tanhshrink", "softshrink", "hardshrink", "threshold", "rrelu",
):
    FUNCTIONAL[_name] = _same
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "abs", "sqrt", "neg", "clone", "sin", "cos", "erf", "square", "rsqrt", "clamp", "clip", "dropout", "selu", "celu", "relu_", "sign", "floor", "ceil", "round", "nan_to_num"):
    TORCH[_name] = _same
for _name in (
    "relu", "relu_", "sigmoid", "tanh", "exp", "log", "abs", "sqrt", "neg", "clone", "contiguous",
    "float", "double", "half", "bfloat16", "int", "long", "bool", "to", "cpu", "cuda", "detach",
    "requires_grad_", "clamp", "clip", "sin", "cos", "pow", "square", "rsqrt", "sign", "floor",
    "ceil", "round", "type", "type_as", "abs_", "clamp_", "mul_", "add_", "div_", "sub_",
    "sigmoid_", "tanh_", "exp_", "zero_", "fill_", "normal_", "uniform_", "masked_fill", "masked_fill_",
    "nan_to_num", "pin_memory", "cumsum", "cumprod", "flip", "roll", "copy_",
):
    METHODS[_name] = _same


def _softmax_like(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "_stacklevel", "dtype"], {"dim": None, "_stacklevel": 3, "dtype": None})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    x, dim = b["input"], b["dim"]
    if x.shape is not None and isinstance(dim, int) and normalize_dim(dim, len(x.shape)) is None:
        return dim_error(ctx, site, site.label(), dim, x)
    return x


for _t in (FUNCTIONAL, TORCH, METHODS):
    for _name in ("softmax", "log_softmax", "softmin"):
        _t[_name] = _softmax_like


# ---------------------------------------------------------------------------- sizes


def size_of(ctx, x: Tensor, dim=None):
    shape = x.shape
    if shape is None:
        if x.pending and dim == 0:
            return ctx.batch  # by convention the model input is batch-first
        if x.pending and dim is None:
            return PendingShape(x)
        return Unknown("size of an input of unknown rank")
    if dim is None:
        return tuple(shape)
    d = normalize_dim(dim, len(shape))
    return shape[d] if d is not None else Unknown("dim")


METHODS["size"] = lambda ctx, site, args, kwargs: (
    size_of(ctx, args[0], args[1] if len(args) > 1 else kwargs.get("dim")) if _tensor(args[0]) else UNKNOWN
)
METHODS["dim"] = lambda ctx, site, args, kwargs: len(args[0].shape) if args[0].shape is not None else UNKNOWN
ATTRIBUTES["shape"] = size_of
ATTRIBUTES["ndim"] = lambda ctx, x: len(x.shape) if x.shape is not None else Unknown("rank")
ATTRIBUTES["T"] = lambda ctx, x: Tensor(tuple(reversed(x.shape))) if x.shape is not None else Unknown("attribute `T`")
ATTRIBUTES["data"] = lambda ctx, x: x
for _name in ("device", "dtype", "grad", "is_cuda", "requires_grad"):
    ATTRIBUTES[_name] = lambda ctx, x, _name=_name: Unknown(_name)
METHODS["ndimension"] = METHODS["dim"]
METHODS["numel"] = lambda ctx, site, args, kwargs: product(args[0].shape) if args[0].shape is not None else UNKNOWN


# ---------------------------------------------------------------------------- view / reshape / flatten


def _view(ctx, site, args, kwargs):
    x = args[0]
    if not _tensor(x):
        return UNKNOWN
    sizes = sizes_from(args[1:]) if len(args) > 1 else list(kwargs.get("shape", kwargs.get("size", ())))
    if len(sizes) == 1 and not isinstance(sizes[0], (int, Expr)):
        return Unknown("view by dtype or unknown sizes")
    return reshape_dims(ctx, site, x, sizes, site.label())


METHODS["view"] = _view
METHODS["reshape"] = _view
TORCH["reshape"] = _view


def _view_as(ctx, site, args, kwargs):
    x, other = args[0], args[1] if len(args) > 1 else None
    if not (_tensor(x) and _tensor(other) and other.shape is not None):
        return UNKNOWN
    return reshape_dims(ctx, site, x, list(other.shape), site.label(), batch_check=False)


METHODS["view_as"] = _view_as
METHODS["reshape_as"] = _view_as


def _flatten(default_start: int):
    def fn(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), ["input", "start_dim", "end_dim"], {"start_dim": default_start, "end_dim": -1})
        if b is None or not _tensor(b["input"]):
            return UNKNOWN
        return flatten_core(ctx, site, b["input"], b["start_dim"], b["end_dim"], site.label())

    return fn


TORCH["flatten"] = _flatten(0)
METHODS["flatten"] = _flatten(0)


# ---------------------------------------------------------------------------- dims


def _permute(ctx, site, args, kwargs):
    x = args[0]
    if not _tensor(x) or x.shape is None:
        return UNKNOWN
    dims = sizes_from(args[1:]) if len(args) > 1 else list(kwargs.get("dims", ()))
    rank = len(x.shape)
    norm = [normalize_dim(d, rank) for d in dims]
    if len(dims) != rank or None in norm or len(set(norm)) != rank:
        bad = next((d for d, n in zip(dims, norm) if n is None and isinstance(d, int)), None)
        if bad is not None:
            return dim_error(ctx, site, site.label(), bad, x)
        return Unknown("permute")
    return Tensor(tuple(x.shape[i] for i in norm), tuple(x.prov[i] for i in norm))


METHODS["permute"] = _permute
TORCH["permute"] = _permute


def _transpose(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim0", "dim1"], {})
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    x = b["input"]
    rank = len(x.shape)
    d0, d1 = normalize_dim(b["dim0"], max(rank, 1)), normalize_dim(b["dim1"], max(rank, 1))
    for raw, d in ((b["dim0"], d0), (b["dim1"], d1)):
        if d is None:
            return dim_error(ctx, site, site.label(), raw, x) if isinstance(raw, int) else UNKNOWN
    shape, prov = list(x.shape), list(x.prov)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    prov[d0], prov[d1] = prov[d1], prov[d0]
    return Tensor(tuple(shape), tuple(prov))


METHODS["transpose"] = _transpose
TORCH["transpose"] = _transpose
METHODS["swapaxes"] = _transpose


def _t(ctx, site, args, kwargs):
    x = args[0]
    if not _tensor(x) or x.shape is None or len(x.shape) > 2:
        return UNKNOWN
    return Tensor(tuple(reversed(x.shape)), tuple(reversed(x.prov)))


METHODS["t"] = _t


def _squeeze(ctx, site, args, kwargs):
    x = args[0]
    if not _tensor(x) or x.shape is None:
        return UNKNOWN
    dim = args[1] if len(args) > 1 else kwargs.get("dim", _MISSING)
    shape = x.shape
    if dim is _MISSING:
        if any(not is_known(d) for d in shape):
            return Unknown("squeeze of symbolic sizes")
        keep = [i for i, d in enumerate(shape) if d != 1]
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        norm = [normalize_dim(d, max(len(shape), 1)) for d in dims]
        if None in norm:
            bad = next(d for d, n in zip(dims, norm) if n is None)
            return dim_error(ctx, site, site.label(), bad, x) if isinstance(bad, int) else UNKNOWN
        for i in norm:
            if i < len(shape) and not is_known(shape[i]) and not isinstance(shape[i], int):
                return Unknown("squeeze of a symbolic size")
        keep = [i for i in range(len(shape)) if not (i in norm and shape[i] == 1)]
    return Tensor(tuple(shape[i] for i in keep), tuple(x.prov[i] for i in keep))


METHODS["squeeze"] = _squeeze
TORCH["squeeze"] = _squeeze


def _unsqueeze(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim"], {})
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    x, dim = b["input"], b["dim"]
    d = normalize_dim(dim, len(x.shape) + 1)
    if d is None:
        return dim_error(ctx, site, site.label(), dim, x) if isinstance(dim, int) else UNKNOWN
    return Tensor(x.shape[:d] + (1,) + x.shape[d:], x.prov[:d] + (None,) + x.prov[d:])


METHODS["unsqueeze"] = _unsqueeze
TORCH["unsqueeze"] = _unsqueeze


_REDUCE_SIGNATURES = {
    # torch's positional order differs: norm(p, dim, keepdim), std/var(dim, unbiased, keepdim)
    "norm": (["input", "p", "dim", "keepdim", "dtype"], {"p": "fro", "dim": None, "keepdim": False, "dtype": None}),
    "std": (["input", "dim", "unbiased", "keepdim", "correction"], {"dim": None, "unbiased": True, "keepdim": False, "correction": None}),
}
_REDUCE_SIGNATURES["var"] = _REDUCE_SIGNATURES["std"]


def _reduce(ctx, site, args, kwargs):
    names, defaults = _REDUCE_SIGNATURES.get(
        site.label().strip(".()").rsplit(".", 1)[-1],
        (["input", "dim", "keepdim", "dtype"], {"dim": None, "keepdim": False, "dtype": None}),
    )
    b = bind(list(args), dict(kwargs), names, defaults)
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    if isinstance(b["dim"], bool):
        return UNKNOWN  # x.std(True): the unbiased overload
    x, dim, keep = b["input"], b["dim"], b["keepdim"]
    if not isinstance(keep, bool):
        return UNKNOWN
    if dim is None:
        return Tensor(())
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    norm = [normalize_dim(d, max(len(x.shape), 1)) for d in dims]
    if None in norm:
        bad = next(d for d, n in zip(dims, norm) if n is None)
        return dim_error(ctx, site, site.label(), bad, x) if isinstance(bad, int) else UNKNOWN
    shape, prov = [], []
    for i, d in enumerate(x.shape):
        if i in norm:
            if keep:
                shape.append(1)
                prov.append(None)
        else:
            shape.append(d)
            prov.append(x.prov[i])
    return Tensor(tuple(shape), tuple(prov))


for _name in ("mean", "sum", "prod", "amax", "amin", "std", "var", "logsumexp", "norm"):
    METHODS[_name] = _reduce
    TORCH[_name] = _reduce


# ---------------------------------------------------------------------------- combining tensors


def _binary_fn(name):
    def fn(ctx, site, args, kwargs):
        if len(args) < 2:
            other = kwargs.get("other", _MISSING)
            if other is _MISSING or not args:
                return UNKNOWN
            args = (args[0], other)
        return binary(ctx, site, args[0], args[1], site.label())

    return fn


for _name in ("add", "sub", "mul", "div", "maximum", "minimum", "true_divide", "subtract", "multiply", "atan2", "fmod", "remainder", "eq", "ne", "lt", "gt", "le", "ge"):
    TORCH[_name] = _binary_fn(_name)
    METHODS[_name] = _binary_fn(_name)


def _cat(ctx, site, args, kwargs, stack: bool = False):
    b = bind(list(args), dict(kwargs), ["tensors", "dim", "out"], {"dim": 0, "out": None})
    if b is None or not isinstance(b["tensors"], (list, tuple)):
        return UNKNOWN
    ts, dim = list(b["tensors"]), b["dim"]
    if not ts or not all(_tensor(t) and t.shape is not None for t in ts):
        return Unknown("cat of tensors with unknown shapes")
    first = ts[0].shape
    rank = len(first) + (1 if stack else 0)
    d = normalize_dim(dim, rank)
    if d is None:
        return dim_error(ctx, site, site.label(), dim, ts[0]) if isinstance(dim, int) else UNKNOWN
    for k, t in enumerate(ts[1:], start=1):
        if len(t.shape) != len(first):
            detail = f"tensor 0 has {len(first)} dimensions {shape_text(first)} but tensor {k} has {len(t.shape)} {shape_text(t.shape)}"
            ctx.report(R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=detail))
            return Unknown("cat mismatch")
        for i, (x, y) in enumerate(zip(first, t.shape)):
            if (stack or i != d) and ctx.check_equal(x, y, site.label()) == "bad":
                what = "stacked tensors must have equal shapes" if stack else f"sizes must match except in dimension {d}"
                detail = f"{what}, but tensor 0 is {shape_text(first)} and tensor {k} is {shape_text(t.shape)} (dimension {i})"
                ctx.report(R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=detail))
                return Unknown("cat mismatch")
    if stack:
        shape = first[:d] + (len(ts),) + first[d:]
        return Tensor(shape)
    total = 0
    for t in ts:
        total = add(total, t.shape[d])
    prov = list(ts[0].prov)
    prov[d] = Origin(f"{site.label()} at ", At(site.node))
    return Tensor(first[:d] + (total,) + first[d + 1:], tuple(prov))


TORCH["cat"] = _cat
TORCH["concat"] = _cat
TORCH["concatenate"] = _cat
TORCH["stack"] = lambda ctx, site, args, kwargs: _cat(ctx, site, args, kwargs, stack=True)


def _matmul(ctx, site, args, kwargs):
    if len(args) != 2 or not all(_tensor(a) and a.shape is not None for a in args):
        return UNKNOWN
    a, b = args[0].shape, args[1].shape
    if len(a) < 1 or len(b) < 1:
        return UNKNOWN
    k1 = a[-1]
    k2 = b[-2] if len(b) >= 2 else b[0]
    if ctx.check_equal(k1, k2, site.label()) == "bad":
        ctx.report(R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=f"cannot multiply {shape_text(a)} by {shape_text(b)}: {k1} != {k2}"))
        return Unknown("matmul mismatch")
    if len(a) == 2 and len(b) == 2:
        return Tensor((a[0], b[1]))
    if len(a) >= 2 and len(b) == 1:
        return Tensor(a[:-1])
    if len(a) >= 3 and len(b) == 2:
        return Tensor(a[:-1] + (b[1],))
    if len(a) == len(b) and len(a) >= 3:
        return Tensor(a[:-1] + (b[-1],))
    return Unknown("matmul broadcast")


TORCH["matmul"] = _matmul
METHODS["matmul"] = _matmul
TORCH["bmm"] = _matmul
TORCH["mm"] = _matmul


# ---------------------------------------------------------------------------- functional layers


def _fpool(n: int, kind: str):
    def fn(ctx, site, args, kwargs):
        if kind == "max":
            names = ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]
            defaults = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}
        else:
            names = ["input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"]
            defaults = {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None}
        b = bind(list(args), dict(kwargs), names, defaults)
        if b is None or not _tensor(b["input"]):
            return UNKNOWN
        out = pool_core(
            ctx, site, b["input"], n, b["kernel_size"], b["stride"], b["padding"], b.get("dilation", 1),
            b["ceil_mode"], f"{kind}_pool{n}d",
        )
        if b.get("return_indices") is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape))
        return out

    return fn


def _fadaptive(n: int):
    def fn(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), ["input", "output_size", "return_indices"], {"return_indices": False})
        if b is None or not _tensor(b["input"]):
            return UNKNOWN
        out = adaptive_core(ctx, site, b["input"], n, b["output_size"], f"adaptive_pool{n}d")
        if b["return_indices"] is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape))
        return out

    return fn


for _n in (1, 2, 3):
    FUNCTIONAL[f"max_pool{_n}d"] = _fpool(_n, "max")
    FUNCTIONAL[f"avg_pool{_n}d"] = _fpool(_n, "avg")
    FUNCTIONAL[f"adaptive_avg_pool{_n}d"] = _fadaptive(_n)
    FUNCTIONAL[f"adaptive_max_pool{_n}d"] = _fadaptive(_n)
    TORCH[f"max_pool{_n}d"] = _fpool(_n, "max")
    TORCH[f"avg_pool{_n}d"] = _fpool(_n, "avg")
    TORCH[f"adaptive_avg_pool{_n}d"] = _fadaptive(_n)


def _interpolate(ctx, site, args, kwargs):
    b = bind(
        list(args), dict(kwargs),
        ["input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"],
        {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None, "recompute_scale_factor": None, "antialias": False},
    )
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    return upsample_core(ctx, site, b["input"], b["size"], b["scale_factor"])


FUNCTIONAL["interpolate"] = _interpolate
FUNCTIONAL["upsample"] = _interpolate


def _fpad(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "pad", "mode", "value"], {"mode": "constant", "value": None})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    return pad_core(ctx, site, b["input"], b["pad"])


FUNCTIONAL["pad"] = _fpad


FUNCTIONAL["flatten"] = _flatten(0)


# ---------------------------------------------------------------------------- max/min, expand, repeat


class NamedResult(tuple):
    """A named tuple torch returns (torch.return_types.*): its fields read by name, `.values`."""

    fields: tuple = ()

    @classmethod
    def of(cls, fields: tuple, values: tuple) -> "NamedResult":
        out = cls(values)
        out.fields = fields
        return out


class ValuesIndices(NamedResult):
    """torch's (values, indices) named tuple: `.values` and `.indices` work on it."""

    fields = ("values", "indices")


def _max_min(ctx, site, args, kwargs):
    """max/min: the whole tensor (a 0-D tensor), along a dim ((values, indices)), or elementwise."""
    if len(args) >= 2 and _tensor(args[1]):
        return binary(ctx, site, args[0], args[1], site.label())
    if "other" in kwargs:
        return binary(ctx, site, args[0], kwargs["other"], site.label())
    b = bind(list(args), dict(kwargs), ["input", "dim", "keepdim"], {"dim": None, "keepdim": False})
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    if b["dim"] is None:
        return Tensor(())
    if not isinstance(b["dim"], int) or isinstance(b["dim"], bool):
        return UNKNOWN
    out = _reduce(ctx, site, (b["input"], b["dim"], b["keepdim"]), {})
    return ValuesIndices((out, Tensor(out.shape, out.prov, dtype="long"))) if _tensor(out) else out  # indices: int64


def _arg_reduce(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim", "keepdim"], {"dim": None, "keepdim": False})
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    if b["dim"] is None:
        return Tensor((1,) * len(b["input"].shape), dtype="long") if b["keepdim"] is True else Tensor((), dtype="long")
    out = _reduce(ctx, site, (b["input"], b["dim"], b["keepdim"]), {})
    return out.fresh("long") if _tensor(out) else out  # positions, int64 whatever the input's dtype


for _name in ("max", "min"):
    METHODS[_name] = _max_min
    TORCH[_name] = _max_min
for _name in ("argmax", "argmin"):
    METHODS[_name] = _arg_reduce
    TORCH[_name] = _arg_reduce


def _repeat(ctx, site, args, kwargs):
    x = args[0]
    sizes = sizes_from(args[1:])
    if not _tensor(x) or x.shape is None or kwargs:
        return UNKNOWN
    if 0 < len(sizes) < len(x.shape):
        # torch raises for fewer counts than dims, but only counts that are all certain sizes
        # prove how many were given (an unknown tuple may hold more)
        if all(is_known(s) or isinstance(s, Expr) for s in sizes):
            return rank_error(ctx, site, x, f"{len(sizes)}-D or lower-rank",
                              "torch raises `Number of dimensions of repeat dims can not be smaller than number of "
                              f"dimensions of tensor`: give {len(x.shape)} counts, one per dim (1 keeps a dim)")
        return UNKNOWN
    # a symbolic count (`repeat(x.size(0), 1)`: the batch) is a size, so never negative;
    # a negative number makes torch raise: unknown
    if not all((is_known(s) and s >= 0) or isinstance(s, Expr) for s in sizes):
        return UNKNOWN
    lead = len(sizes) - len(x.shape)
    return Tensor(tuple(sizes[:lead]) + tuple(mul(d, s) for d, s in zip(x.shape, sizes[lead:])))


# expand and expand_as: torch/expand_ops.py
METHODS["repeat"] = _repeat

for _name in ("zeros_like", "ones_like", "rand_like", "randn_like", "full_like", "empty_like"):
    TORCH[_name] = _same


def _create(ctx, site, args, kwargs):
    """torch.zeros(2, 3), torch.ones((n, c)), torch.randn(size=...): a new tensor of those sizes."""
    sizes = sizes_from(args) if args else list(kwargs.get("size", ()) or ())
    if not all((is_known(d) and d >= 0) or (isinstance(d, Expr) and not d.is_opaque()) for d in sizes):
        return UNKNOWN
    return Tensor(tuple(sizes))


def _full(ctx, site, args, kwargs):
    size = args[0] if args else kwargs.get("size")
    return _create(ctx, site, (tuple(size),), {}) if isinstance(size, (tuple, list)) else UNKNOWN


for _name in ("zeros", "ones", "empty", "rand", "randn"):
    TORCH[_name] = _create
TORCH["full"] = _full


def _chunk(ctx, site, args, kwargs):
    """torch.chunk / x.chunk: pieces of ceil(n / chunks) along dim, the last one smaller."""
    b = bind(list(args), dict(kwargs), ["input", "chunks", "dim"], {"dim": 0})
    if b is None or not _tensor(b["input"]) or b["input"].shape is None:
        return UNKNOWN
    x, chunks, dim = b["input"], b["chunks"], b["dim"]
    if not is_known(chunks) or chunks < 1 or not isinstance(dim, int) or isinstance(dim, bool):
        return UNKNOWN
    d = normalize_dim(dim, max(len(x.shape), 1))
    if d is None:
        return dim_error(ctx, site, site.label(), dim, x)
    n = x.shape[d]
    if not is_known(n):
        return UNKNOWN
    step = -(-n // chunks) if n else 0
    sizes = [min(step, n - i) for i in range(0, n, step)] if step else [0]
    return tuple(Tensor(x.shape[:d] + (k,) + x.shape[d + 1:]) for k in sizes)


METHODS["chunk"] = _chunk
TORCH["chunk"] = _chunk


# ---------------------------------------------------------------------------- operators


def _operator(symbol: str):
    def fn(ctx, node, a, b):
        return binary(ctx, Site(f"`{symbol}`", node), a, b, f"`{symbol}`")

    return fn


for _op, _symbol in (
    ("Add", "+"), ("Subtract", "-"), ("Multiply", "*"), ("Divide", "/"), ("FloorDivide", "//"), ("Modulo", "%"),
    ("Power", "**"), ("BitAnd", "&"), ("BitOr", "|"),
):
    OPERATORS[_op] = _operator(_symbol)
OPERATORS["MatrixMultiply"] = lambda ctx, node, a, b: TORCH["matmul"](ctx, Site("`@`", node), (a, b), {})
