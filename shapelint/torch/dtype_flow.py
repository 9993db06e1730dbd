"""What dtype a tensor op gives, where torch's type promotion makes it certain (issue 10).

Indexing by a tensor needs its dtype (integer indices vs a bool mask: advanced_indexing.py), and
index tensors are built in real code by arithmetic on `torch.arange` (Swin's relative position
index: meshgrid, stack, flatten, a difference, permute, in-place `+=`, `.sum(-1)`). Each op here
keeps the dtype shapelint knows, or names the one torch's promotion rules give; anything else is
None, unknown (an op of an integer and a floating tensor is float; one of two integer dtypes
that differ, or of a 0-d tensor, is not modelled).

Registered by wrapping the entries of `functions`' tables (OPERATORS, METHODS, TORCH) when
imported (`engine.torch_calls` imports it): the shape rules stay where they are.
"""

from __future__ import annotations

from typing import Optional

from ..core.symbolic import Expr
from ..core.values import Tensor
from .functions import METHODS, OPERATORS, TORCH

INTEGRAL = ("long", "int")

# ops whose output has the dtype of their (only) tensor input
_LAYOUT = ("view", "reshape", "permute", "flatten", "transpose", "swapaxes", "t", "squeeze", "unsqueeze",
           "expand", "expand_as", "repeat", "flip", "roll", "narrow", "select")
# elementwise ops with a result of the promoted dtype of their operands
_ARITHMETIC = ("add", "sub", "mul", "subtract", "multiply", "maximum", "minimum", "remainder", "fmod")
_COMPARISON = ("eq", "ne", "lt", "gt", "le", "ge")
_OPERATOR_NAMES = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "Divide": "div", "FloorDivide": "floor_divide",
                   "Modulo": "remainder", "Power": "pow", "BitAnd": "and", "BitOr": "or"}


def scalar_dtype(v) -> Optional[str]:
    """The dtype category of a Python number in torch's promotion: bool, long (any int), float."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int) or (isinstance(v, Expr) and not v.is_opaque()):
        return "long"
    if isinstance(v, float):
        return "float"
    return None


def _category(dtype: Optional[str]) -> int:
    return {"bool": 0, "long": 1, "int": 1, "float": 2}.get(dtype, -1)


def promoted(op: str, a, b) -> Optional[str]:
    """The dtype of `a op b` (at least one a tensor) where torch's promotion makes it certain."""
    da = a.dtype if isinstance(a, Tensor) else scalar_dtype(a)
    db = b.dtype if isinstance(b, Tensor) else scalar_dtype(b)
    if da is None or db is None:
        return None
    if op in _COMPARISON:
        return "bool"
    if isinstance(a, Tensor) and isinstance(b, Tensor) and (a.shape == () or b.shape == ()) and da != db:
        return None  # a 0-d tensor promotes like a scalar: not modelled
    if op in ("div", "true_divide", "atan2"):
        return "float"
    if op in ("and", "or"):
        return da if da == db and da in INTEGRAL + ("bool",) else None
    if op not in _ARITHMETIC + ("floor_divide", "pow"):
        return None
    ca, cb = _category(da), _category(db)
    if ca == 2 or cb == 2:
        return "float"
    if ca == 0 and cb == 0:
        return None  # bool arithmetic: logical for add/mul, an error for sub
    tensor_dtypes = {t.dtype for t in (a, b) if isinstance(t, Tensor) and t.dtype in INTEGRAL}
    if len(tensor_dtypes) == 1:
        return tensor_dtypes.pop()  # an int scalar or a bool never widens an integer tensor
    return None


def _with_dtype(out, dtype):
    """out with that dtype: a new tensor where it is known (the engine drops the dtype of a
    result that *is* an operand: `x + 0.5` returns x's own Tensor from the shape rule)."""
    if not isinstance(out, Tensor) or out.shape is None:
        return out
    return Tensor(out.shape, out.prov, dtype=dtype) if dtype is not None else out.with_dtype(None)


def _keeping_dtype(fn):
    def wrapped(ctx, site, args, kwargs):
        out = fn(ctx, site, args, kwargs)
        source = args[0] if args else kwargs.get("input")
        if isinstance(source, Tensor) and source.dtype is not None and isinstance(out, Tensor) and out.dtype is None:
            return _with_dtype(out, source.dtype)
        return out

    return wrapped


def _promoting(fn, op: str):
    def wrapped(ctx, site, args, kwargs):
        out = fn(ctx, site, args, kwargs)
        other = args[1] if len(args) > 1 else kwargs.get("other")
        if args and (isinstance(args[0], Tensor) or isinstance(other, Tensor)) and "out" not in kwargs:
            if op in ("div", "true_divide") and kwargs.get("rounding_mode") is not None:
                return _with_dtype(out, None)
            return _with_dtype(out, promoted(op, args[0], other))
        return out

    return wrapped


def _operator(fn, op: str):
    def wrapped(ctx, node, a, b):
        out = fn(ctx, node, a, b)
        return _with_dtype(out, promoted(op, a, b)) if isinstance(a, Tensor) or isinstance(b, Tensor) else out

    return wrapped


def _joined(fn):
    """cat/stack: the tensors' dtype when they all have the same one."""
    def wrapped(ctx, site, args, kwargs):
        out = fn(ctx, site, args, kwargs)
        tensors = args[0] if args else kwargs.get("tensors")
        if isinstance(tensors, (list, tuple)) and tensors and all(isinstance(t, Tensor) for t in tensors):
            dtypes = {t.dtype for t in tensors}
            return _with_dtype(out, dtypes.pop() if len(dtypes) == 1 else None)
        return out

    return wrapped


def _summing(fn, integral_result: bool):
    """sum/prod of an integer or bool tensor are long, amax/amin keep the dtype; a float stays float."""
    def wrapped(ctx, site, args, kwargs):
        out = fn(ctx, site, args, kwargs)
        x = args[0] if args else None
        if not isinstance(x, Tensor) or kwargs.get("dtype") is not None or len(args) > 3:
            return _with_dtype(out, None)
        if x.dtype == "float":
            return _with_dtype(out, "float")
        if x.dtype in INTEGRAL + ("bool",):
            return _with_dtype(out, "long" if integral_result else x.dtype)
        return _with_dtype(out, None)

    return wrapped


for _name in _LAYOUT:
    for _table in (METHODS, TORCH):
        if _name in _table:
            _table[_name] = _keeping_dtype(_table[_name])
for _name in _ARITHMETIC + _COMPARISON + ("div", "true_divide", "atan2"):
    for _table in (METHODS, TORCH):
        if _name in _table:
            _table[_name] = _promoting(_table[_name], _name)
for _symbol, _op in _OPERATOR_NAMES.items():
    OPERATORS[_symbol] = _operator(OPERATORS[_symbol], _op)
for _name in ("cat", "concat", "concatenate", "stack"):
    TORCH[_name] = _joined(TORCH[_name])
for _name, _integral in (("sum", True), ("prod", True), ("amax", False), ("amin", False)):
    for _table in (METHODS, TORCH):
        _table[_name] = _summing(_table[_name], _integral)
