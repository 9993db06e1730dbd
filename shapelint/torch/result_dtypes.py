"""The dtype of the tensors models make (issue 11): factories, `torch.tensor`, comparisons.

torch's rules (each checked in tests/test_result_dtypes.py against real torch):
- zeros / ones / empty / rand / randn / eye: the `dtype=` named, else the default float dtype;
  randint / randperm: the `dtype=` named, else int64;
- full: the `dtype=` named, else the fill value's: bool for a bool, int64 for an int (torch 2.x),
  the default float for a float;
- torch.tensor(data) (and torch.as_tensor of data that is not a tensor): bool when every element is a bool, int64 when they are ints (and bools),
  the default float when any is a float or there is none (`torch.tensor([])`);
- zeros_like / ones_like / empty_like / full_like / randint_like, x.new_*(...): the `dtype=` named,
  else the input's (`torch.full_like(idx, 1.5)` is int64); rand_like / randn_like only of a float
  input (torch raises on an integer one);
- tril / triu keep the input's dtype; `x == y`, `x > 0`, `x.eq(y)`, `torch.gt(x, y)`: bool;
- `x.device` is a device (DeviceUnknown): `.to(x.device)` keeps x's dtype (engine.torch_calls).

shapelint's dtypes are kinds ("float" for every floating dtype, "long", "int", "bool"); a dtype not
among them (`torch.uint8`), one passed as an unknown value (`dtype=x.dtype`), an `out=` tensor or a
value whose kind is not certain (a symbolic fill value of another type) leave the dtype unknown.
"""

from __future__ import annotations

from ..core.symbolic import Expr
from ..core.values import UNKNOWN, DeviceUnknown, FloatUnknown, Ref, Tensor, Unknown
from . import sequence_ops  # noqa: F401 - registers its ops first: this module wraps some of them
from .advanced_indexing import TORCH_DTYPES
from .functions import ATTRIBUTES, METHODS, OPERATORS, TORCH, _create
from .kernels import binary
from .spec import Site

FLOAT_DEFAULT = "float"  # torch.get_default_dtype() is float32 unless changed, and always a float
_NOT_GIVEN = object()


def named_dtype(kwargs: dict, default):
    """The kind `dtype=` names; `default` when it is not given (or None); None when not plainly one."""
    d = kwargs.get("dtype", _NOT_GIVEN)
    if d is _NOT_GIVEN or d is None:
        return default
    return TORCH_DTYPES.get(d.qualname) if isinstance(d, Ref) else None


def scalar_kind(v):
    """The dtype torch gives a Python scalar: bool, long (any int) or float; None when not certain."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int) or (isinstance(v, Expr) and not v.is_opaque()):
        return "long"
    if isinstance(v, (float, FloatUnknown)):
        return "float"
    return None


def _fresh(result, dtype):
    """`result` as a new tensor (new values) of `dtype`; Unknown stays Unknown."""
    return result.fresh(dtype) if isinstance(result, Tensor) else result


def _factory(create, default):
    def op(ctx, site, args, kwargs):
        if "out" in kwargs:
            return UNKNOWN
        plain = {k: v for k, v in kwargs.items() if k not in ("dtype", "layout", "device", "requires_grad", "pin_memory")}
        return _fresh(create(ctx, site, args, plain), named_dtype(kwargs, default))

    return op


def _random_factory(create):
    """rand / randn: a float dtype only (torch raises on `torch.rand(2, dtype=torch.long)`)."""
    def op(ctx, site, args, kwargs):
        out = _factory(create, FLOAT_DEFAULT)(ctx, site, args, kwargs)
        return out.fresh(None) if isinstance(out, Tensor) and out.dtype != FLOAT_DEFAULT else out

    return op


def _full(create):
    """torch.full(size, fill_value): `create` reads the size only."""
    def op(ctx, site, args, kwargs):
        fill = args[1] if len(args) > 1 else kwargs.get("fill_value")
        size = args[0] if args else kwargs.get("size")
        if "out" in kwargs:
            return UNKNOWN
        return _fresh(create(ctx, site, (size,), {}), named_dtype(kwargs, scalar_kind(fill)))

    return op


def _like(same, float_only=False):
    """`torch.zeros_like(x, dtype=...)`: x's shape, the dtype named or x's."""
    def op(ctx, site, args, kwargs):
        x = args[0] if args else kwargs.get("input")
        if not isinstance(x, Tensor):
            return UNKNOWN
        dtype = named_dtype(kwargs, x.dtype)
        if float_only and dtype != FLOAT_DEFAULT:
            dtype = None
        return _fresh(same(ctx, site, (x,), {}), dtype)

    return op


def _new(create):
    """x.new_zeros(...) / new_full(...): the dtype named or x's."""
    def op(ctx, site, args, kwargs):
        plain = {k: v for k, v in kwargs.items() if k not in ("dtype", "device", "requires_grad", "layout", "pin_memory")}
        return _fresh(create(ctx, site, args, plain), named_dtype(kwargs, args[0].dtype))

    return op


def _keeps_dtype(fn):
    """tril / triu: the input's values, some zeroed: its dtype."""
    def op(ctx, site, args, kwargs):
        out = fn(ctx, site, args, kwargs)
        return _fresh(out, args[0].dtype) if isinstance(out, Tensor) else out

    return op


def _randint(create):
    """torch.randint([low,] high, size): int64 unless named."""
    def op(ctx, site, args, kwargs):
        size = kwargs["size"] if "size" in kwargs else (args[-1] if args else None)
        if not isinstance(size, (tuple, list)) or len(args) > 3 or "out" in kwargs:
            return UNKNOWN
        return _fresh(create(ctx, site, (tuple(size),), {}), named_dtype(kwargs, "long"))

    return op


def _randperm(create):
    def op(ctx, site, args, kwargs):
        n = args[0] if args else kwargs.get("n")
        if len(args) > 1 or "out" in kwargs or n is None:
            return UNKNOWN
        return _fresh(create(ctx, site, (n,), {}), named_dtype(kwargs, "long"))

    return op


def _eye(create):
    """torch.eye(n, m=n): (n, m), the default float dtype unless named."""
    def op(ctx, site, args, kwargs):
        n = args[0] if args else kwargs.get("n")
        m = args[1] if len(args) > 1 else kwargs.get("m", n)
        if len(args) > 2 or "out" in kwargs or n is None or m is None:
            return UNKNOWN
        return _fresh(create(ctx, site, (n, m), {}), named_dtype(kwargs, FLOAT_DEFAULT))

    return op


MAX_ELEMENTS = 4096  # a torch.tensor literal longer than this is not read (unknown)


def data_shape_and_kinds(data, kinds: set, budget: list, one_element_tensors: bool = False):
    """The shape of torch.tensor's nested-list data, collecting its elements' kinds; None when it is
    not plainly a rectangular list of Python scalars (tensors inside, unknown or ragged: torch may
    raise, or shapelint cannot say). With `one_element_tensors`, a tensor of one element (0-d, or
    (1,), ...) counts as a scalar, as torch.tensor converts it (Llama 3's `torch.tensor(new_freqs)`);
    its kind is ("tensor", its dtype)."""
    if isinstance(data, (list, tuple)):
        budget[0] -= len(data)
        if budget[0] < 0:
            return None
        shapes = [data_shape_and_kinds(v, kinds, budget, one_element_tensors) for v in data]
        if any(s is None for s in shapes) or any(s != shapes[0] for s in shapes):
            return None
        return (len(data),) + (shapes[0] if shapes else ())
    if one_element_tensors and isinstance(data, Tensor):
        if data.shape is None or not all(type(d) is int for d in data.shape) or any(d != 1 for d in data.shape):
            return None  # more elements, or not known: torch raises, or shapelint cannot say
        kinds.add(("tensor", data.dtype))
        return ()
    kind = scalar_kind(data)
    if kind is None:
        return None
    kinds.add(kind)
    return ()


def _tensor_literal(ctx, site, args, kwargs):
    """torch.tensor([[1, 2], [3, 4]], dtype=...)."""
    data = args[0] if args else kwargs.get("data")
    kinds = set()
    shape = data_shape_and_kinds(data, kinds, [MAX_ELEMENTS], one_element_tensors=True)
    if shape is None or len(args) > 1:
        return UNKNOWN
    tensors = {k for k in kinds if isinstance(k, tuple)}
    if tensors:  # torch keeps the elements' dtype when all are tensors of one dtype; mixed: not modelled
        inferred = next(iter(tensors))[1] if len(tensors) == 1 and tensors == kinds else None
    else:
        inferred = "float" if "float" in kinds or not kinds else "long" if "long" in kinds else "bool"
    return Tensor(shape, dtype=named_dtype(kwargs, inferred))


def _as_tensor(ctx, site, args, kwargs):
    """torch.as_tensor(data, dtype=None, device=None): a tensor's own shape (its dtype unless one is
    named), or what torch.tensor makes of the same data."""
    data = args[0] if args else kwargs.get("data")
    if len(args) > 1 or set(kwargs) - {"data", "dtype", "device"}:
        return UNKNOWN
    if isinstance(data, Tensor):
        return Tensor(data.shape, data.prov, dtype=named_dtype(kwargs, data.dtype)) if data.shape is not None else UNKNOWN
    return _tensor_literal(ctx, site, [data], {k: v for k, v in kwargs.items() if k != "data"})


def _comparison(symbol: str):
    """`x == y`, `x > 0` (libcst's comparison names in OPERATORS): the broadcast shape, bool."""
    def fn(ctx, node, a, b):
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return UNKNOWN
        return _fresh(binary(ctx, Site(f"`{symbol}`", node), a, b, f"`{symbol}`"), "bool")

    return fn


def _comparison_fn(fn):
    def op(ctx, site, args, kwargs):
        return _fresh(fn(ctx, site, args, kwargs), "bool")

    return op


COMPARISONS = {"Equal": "==", "NotEqual": "!=", "LessThan": "<", "LessThanEqual": "<=", "GreaterThan": ">",
               "GreaterThanEqual": ">="}


def register():
    for name in ("zeros", "ones", "empty"):
        TORCH[name] = _factory(TORCH[name], FLOAT_DEFAULT)
    for name in ("rand", "randn"):
        TORCH[name] = _random_factory(TORCH[name])
    TORCH["full"] = _full(TORCH["full"])
    TORCH["randint"], TORCH["randperm"], TORCH["eye"] = _randint(_create), _randperm(_create), _eye(_create)
    for name in ("zeros_like", "ones_like", "empty_like", "full_like", "randint_like"):
        TORCH[name] = _like(TORCH[name])
    for name in ("rand_like", "randn_like"):
        TORCH[name] = _like(TORCH[name], float_only=True)
    for name in ("new_zeros", "new_ones", "new_empty", "new_full"):
        METHODS[name] = _new(METHODS[name])
    for name in ("tril", "triu"):
        TORCH[name] = _keeps_dtype(TORCH[name])
        METHODS[name] = _keeps_dtype(METHODS[name])
    TORCH["tensor"] = _tensor_literal
    TORCH["as_tensor"] = _as_tensor
    for name in ("eq", "ne", "lt", "gt", "le", "ge"):
        TORCH[name] = _comparison_fn(TORCH[name])
        METHODS[name] = _comparison_fn(METHODS[name])
    for op, symbol in COMPARISONS.items():
        OPERATORS[op] = _comparison(symbol)
    ATTRIBUTES["device"] = lambda ctx, x: DeviceUnknown("device")  # `.to(x.device)` keeps the dtype


register()
