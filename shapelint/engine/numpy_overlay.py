"""numpy in size arithmetic, as a table (library knowledge outside the interpreter).

`int(np.prod(img_shape))`, `np.sqrt(n)`, `np.log2(size)`, `np.array(widths) * 2`, `np.arange(d) * w + w0`,
`(...).astype(int).tolist()`: numpy's answers on known numbers. An int64 result is a Python int
(`NpInt`, so `isinstance(v, int)`, False for numpy, stays undecided); a float64 result is a Python
float (np.float64 is one; torch rejects either as a size). A 1-D array of known numbers is an
`NdArray`. What the table does not list, what numpy would overflow (int64 wraps) and a
transcendental result within rounding error of an integer or a half (numpy's and libm's last bit
may differ there, and `round`/`int` would tell them apart) are unknown.
"""

from __future__ import annotations

import math
import operator
from typing import Callable, Dict

from ..core.values import Unknown

NOT_IN_TABLE = object()
_INT64 = 2 ** 63
MAX_ELEMENTS = 10_000


class NpInt(int):
    """A numpy integer scalar (np.int64): torch takes it as a size; it is not a Python int."""


class NdArray:
    """A 1-D numpy array of known Python numbers; `floating`: its dtype is float64, else int64."""

    __slots__ = ("items", "floating")
    __hash__ = None

    def __init__(self, items, floating: bool):
        self.items = tuple(float(v) if floating else int(v) for v in items)
        self.floating = floating

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        if len(self.items) != 1:
            raise ValueError("the truth value of an array is ambiguous")
        return bool(self.items[0])

    def __eq__(self, other):  # numpy compares elementwise: not a truth value shapelint decides
        raise TypeError("elementwise comparison")

    def index(self, key):
        if isinstance(key, bool) or not isinstance(key, (int, slice)):
            return Unknown("numpy indexing")
        if isinstance(key, slice):
            return NdArray(self.items[key], self.floating)
        if not -len(self.items) <= key < len(self.items):
            return Unknown("index out of range")
        return _scalar(self.items[key], self.floating)


def _scalar(v, floating: bool):
    if floating:
        return float(v)
    return NpInt(v) if -_INT64 <= v < _INT64 else Unknown("int64 overflow")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_array(v):
    """np.asarray(v) for a number, a flat list/tuple of numbers or an NdArray; else None."""
    if isinstance(v, NdArray):
        return v
    if _number(v):
        return None  # a scalar: callers handle it
    if isinstance(v, (list, tuple)) and len(v) <= MAX_ELEMENTS and all(_number(x) for x in v):
        if any(abs(x) >= _INT64 for x in v if isinstance(x, int)):
            return None
        return NdArray(v, any(isinstance(x, float) for x in v))
    return None


def _elementwise(op: Callable, a, b, floating=None):
    """a <op> b with numpy's broadcasting of a scalar or equal-length 1-D arrays."""
    xs = a.items if isinstance(a, NdArray) else None
    ys = b.items if isinstance(b, NdArray) else None
    if xs is None and not _number(a) or ys is None and not _number(b):
        return NotImplemented
    n = len(xs) if xs is not None else len(ys)
    if xs is not None and ys is not None and len(xs) != len(ys):
        return Unknown("arrays that do not broadcast")
    xs = xs if xs is not None else (a,) * n
    ys = ys if ys is not None else (b,) * n
    flt = floating if floating is not None else (
        (a.floating if isinstance(a, NdArray) else isinstance(a, float)) or (b.floating if isinstance(b, NdArray) else isinstance(b, float)))
    if op is operator.pow and any(not _number(y) or abs(y) > 1024 or (not flt and y < 0) for y in ys):
        return Unknown("a numpy power shapelint does not evaluate")  # int ** negative int raises in numpy
    try:
        out = [op(x, y) for x, y in zip(xs, ys)]
    except (ArithmeticError, ValueError, TypeError):
        return Unknown("numpy arithmetic error")  # numpy warns and gives inf/nan/0 where Python raises
    if not flt and any(not isinstance(v, int) or abs(v) >= _INT64 for v in out):
        return Unknown("int64 overflow")
    if flt and any(isinstance(v, complex) or not math.isfinite(v) for v in out):
        return Unknown("numpy would give nan or inf")
    return NdArray(out, flt)


def _binary(op, floating=None):
    return (lambda self, other: _elementwise(op, self, other, floating),
            lambda self, other: _elementwise(op, other, self, floating))


for _name, _op, _flt in (("add", operator.add, None), ("sub", operator.sub, None), ("mul", operator.mul, None),
                         ("truediv", operator.truediv, True), ("floordiv", operator.floordiv, None),
                         ("mod", operator.mod, None), ("pow", operator.pow, None)):
    _fwd, _rev = _binary(_op, _flt)
    setattr(NdArray, f"__{_name}__", _fwd)
    setattr(NdArray, f"__r{_name}__", _rev)


def _neg(self):
    return NdArray([-v for v in self.items], self.floating)


NdArray.__neg__ = _neg


# ---------------------------------------------------------------------------- functions


def _near_half(r: float) -> bool:
    """Within rounding error of an integer or a half: where libm's and numpy's last bit could differ."""
    if not math.isfinite(r):
        return True
    nearest = round(r * 2) / 2
    return r != nearest and abs(r - nearest) <= 1e-9 * max(1.0, abs(r))


def _transcendental(fn, exact=lambda x, r: False):
    """A float64 ufunc computed with libm; unknown near a rounding boundary, exact where IEEE says so."""

    def one(x):
        try:
            r = fn(x)
        except (ValueError, OverflowError):
            return Unknown("numpy would give nan or inf")
        if _near_half(r) or (r == round(r * 2) / 2 and not exact(x, r)):
            return Unknown("a transcendental result at a rounding boundary")
        return r

    return _map_float(one)


def _map_float(one):
    def ufunc(args, kwargs):
        if len(args) != 1 or kwargs:
            return NOT_IN_TABLE
        x = args[0]
        if _number(x):
            return one(x)
        arr = as_array(x)
        if arr is None:
            return Unknown("numpy function of values shapelint does not know")
        out = [one(v) for v in arr.items]
        return next((v for v in out if isinstance(v, Unknown)), None) or NdArray(out, True)

    return ufunc


def _rounding(fn, keeps_ints=False, ints_vary=False):
    """rint gives float64 even for ints; round/around keep an int's dtype (and value); ceil/floor/
    trunc of ints give float64 before numpy 2 and int64 since (`ints_vary`: unknown)."""
    as_float = _map_float(lambda x: Unknown("rounding a value within rounding error of the boundary")
                          if isinstance(x, float) and (_near_half(x) or _near_half(x + 0.5)) else float(fn(x)))

    def rounding(args, kwargs):
        x = args[0] if len(args) == 1 and not kwargs else None
        if keeps_ints and isinstance(x, int) and not isinstance(x, bool):
            return _scalar(x, False)
        if keeps_ints and isinstance(x, NdArray) and not x.floating:
            return x
        if ints_vary and (isinstance(x, int) or isinstance(x, NdArray) and not x.floating):
            return Unknown("np.ceil/floor/trunc of ints: float64 or int64 depending on the numpy version")
        return as_float(args, kwargs)

    return rounding


def _reduce(name):
    def reduce(args, kwargs):
        if len(args) != 1 or kwargs:
            return NOT_IN_TABLE
        arr = as_array(args[0]) if not _number(args[0]) else NdArray([args[0]], isinstance(args[0], float))
        if arr is None:
            return Unknown(f"np.{name} of values shapelint does not know")
        if not arr.items:
            return {"prod": 1.0, "sum": 0.0}.get(name, Unknown(f"np.{name} of an empty array raises"))
        r = {"prod": math.prod, "sum": sum, "max": max, "min": min}[name](arr.items)
        return _scalar(r, arr.floating)

    return reduce


def _array(args, kwargs):
    if len(args) != 1 or any(k != "dtype" for k in kwargs):
        return NOT_IN_TABLE
    arr = as_array(args[0])
    if arr is None:
        return Unknown("np.array of values shapelint does not know")
    return _astype(arr, kwargs["dtype"]) if "dtype" in kwargs else arr


def _arange(args, kwargs):
    if kwargs or not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return NOT_IN_TABLE  # float ranges: their length depends on rounding
    r = range(*args)
    return NdArray(r, False) if len(r) <= MAX_ELEMENTS else Unknown("a large np.arange")


def _diff(args, kwargs):
    arr = as_array(args[0]) if len(args) == 1 and not kwargs else None
    if arr is None:
        return NOT_IN_TABLE if kwargs or len(args) != 1 else Unknown("np.diff of values shapelint does not know")
    return NdArray([b - a for a, b in zip(arr.items, arr.items[1:])], arr.floating)


def _binary_function(op, floating=None):
    def fn(args, kwargs):
        if len(args) != 2 or kwargs:
            return NOT_IN_TABLE
        a, b = (as_array(v) if not _number(v) else v for v in args)
        if a is None or b is None:
            return Unknown("numpy function of values shapelint does not know")
        if _number(a) and _number(b):
            r = _elementwise(op, NdArray([a], isinstance(a, float)), b, floating)
            return r.index(0) if isinstance(r, NdArray) else r
        return _elementwise(op, a, b, floating)

    return fn


def _power(args, kwargs):
    """np.power: a float result is kept where it is exact (a small integer exponent whose exact
    result is representable) or far from a rounding boundary."""
    from fractions import Fraction  # on first use: it imports decimal, a cold start's worth

    out = _binary_function(operator.pow)(args, kwargs)
    if not (isinstance(out, float) or isinstance(out, NdArray) and out.floating):
        return out
    bases, exps = (a.items if isinstance(a, NdArray) else None for a in args)
    n = len(out) if isinstance(out, NdArray) else 1
    bases = bases or (args[0],) * n
    exps = exps or (args[1],) * n
    for x, y, r in zip(bases, exps, out.items if isinstance(out, NdArray) else (out,)):
        exact = float(y).is_integer() and 0 <= y <= 64 and Fraction(x) ** int(y) == Fraction(r)
        if not exact and (_near_half(r) or r == round(r * 2) / 2):
            return Unknown("a float power at a rounding boundary")
    return out


def _cast(kind):
    def cast(args, kwargs):
        if len(args) != 1 or kwargs or not _number(args[0]):
            return NOT_IN_TABLE
        return _scalar(int(args[0]), False) if kind == "int" else float(args[0])

    return cast


FUNCTIONS: Dict[str, Callable] = {
    "prod": _reduce("prod"), "sum": _reduce("sum"), "max": _reduce("max"), "min": _reduce("min"),
    "amax": _reduce("max"), "amin": _reduce("min"),
    "sqrt": _map_float(lambda x: math.sqrt(x) if x >= 0 else Unknown("np.sqrt of a negative number is nan")),
    "log2": _transcendental(math.log2, lambda x, r: x > 0 and (x & (x - 1) == 0 if isinstance(x, int) else False)),
    "log": _transcendental(math.log, lambda x, r: x == 1), "log10": _transcendental(math.log10, lambda x, r: x == 1),
    "exp": _transcendental(math.exp, lambda x, r: x == 0),
    "ceil": _rounding(math.ceil, ints_vary=True), "floor": _rounding(math.floor, ints_vary=True), "round": _rounding(round, True), "around": _rounding(round, True),
    "rint": _rounding(round), "trunc": _rounding(math.trunc, ints_vary=True),
    "array": _array, "asarray": _array, "arange": _arange, "diff": _diff,
    "add": _binary_function(operator.add), "subtract": _binary_function(operator.sub),
    "multiply": _binary_function(operator.mul), "divide": _binary_function(operator.truediv, True),
    "true_divide": _binary_function(operator.truediv, True), "floor_divide": _binary_function(operator.floordiv),
    "power": _power, "int64": _cast("int"), "int_": _cast("int"), "float64": _cast("float"),
}
# module constants read as attributes (`np.pi`, and `math.pi` as in GELU's sqrt(2 / math.pi))
CONSTANTS = {"numpy.pi": math.pi, "numpy.e": math.e, "math.pi": math.pi, "math.e": math.e, "math.tau": math.tau,
             "math.inf": math.inf, "numpy.newaxis": None}  # np.newaxis is None: x[:, np.newaxis] adds a dim


def call(name: str, args, kwargs):
    """`np.<name>(...)`: the table's answer, or NOT_IN_TABLE (the caller makes it unknown)."""
    fn = FUNCTIONS.get(name)
    if fn is None:
        return NOT_IN_TABLE
    if any(isinstance(a, Unknown) for a in list(args) + list(kwargs.values())):
        return Unknown(f"np.{name} of unknown values")
    return fn(list(args), dict(kwargs))


# ---------------------------------------------------------------------------- array methods


def _astype(arr: NdArray, dtype):
    from ..core.values import Builtin, Ref

    kind = dtype.name if isinstance(dtype, Builtin) else dtype.qualname if isinstance(dtype, Ref) else None
    if kind in ("int", "numpy.int64", "numpy.int_"):
        if any(not math.isfinite(v) for v in arr.items):
            return Unknown("astype(int) of nan or inf")
        return NdArray([int(v) for v in arr.items], False)  # C truncation toward zero, as int() does
    if kind in ("float", "numpy.float64"):
        return NdArray(arr.items, True)
    return Unknown("astype to a dtype shapelint does not model")


def attribute(arr: NdArray, name: str):
    """`arr.size` / `arr.shape` / `arr.ndim`; None for a method name (a BoundMethod)."""
    if name == "size":
        return len(arr.items)
    if name == "shape":
        return (len(arr.items),)
    if name == "ndim":
        return 1
    return None if name in _METHODS else Unknown(f"ndarray attribute `{name}`")


def method(arr: NdArray, name: str, args, kwargs):
    if name in ("prod", "sum", "max", "min"):
        return FUNCTIONS[name]([arr] + list(args), dict(kwargs)) if not args and not kwargs else Unknown(f"{name} with an axis")
    if name == "tolist" and not args and not kwargs:
        return [(float(v) if arr.floating else int(v)) for v in arr.items]
    if name == "astype" and len(args) == 1 and not kwargs:
        return _astype(arr, args[0])
    if name == "item" and not args and not kwargs and len(arr.items) == 1:
        return arr.items[0]
    return Unknown(f"ndarray.{name}")


_METHODS = ("prod", "sum", "max", "min", "tolist", "astype", "item")
