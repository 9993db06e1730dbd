"""Elementwise ops the main tables lack: torch.*, and the tensor methods of the same name.

- unary, the input's shape: log1p, expm1, reciprocal, erf, trunc, frac, sinh, ..., clamp_min /
  clamp_max (a bound of any broadcastable shape is not modelled: only a Python number);
- unary to a bool tensor of the input's shape: isnan, isinf, isfinite, logical_not, signbit;
- binary of two tensors, broadcast (torch raises TypeError for a Python number as `other`:
  unknown here): logaddexp, fmax, fmin, hypot, logical_and / or / xor (bool);
- binary of a tensor and a tensor or number, broadcast: floor_divide, xlogy, copysign;
- lerp(input, end, weight): the three broadcast together.
Only names no other table holds are registered (tests/test_sequence_model_ops.py checks each
against torch).
"""

from __future__ import annotations

from ..core.values import UNKNOWN, FloatUnknown, Tensor
from ..core.symbolic import Expr
from .functions import METHODS, TORCH
from .kernels import binary

UNARY = ("log1p", "expm1", "reciprocal", "erf", "erfc", "erfinv", "trunc", "frac", "sinh", "cosh", "tan", "asin",
         "acos", "atan", "asinh", "acosh", "atanh", "log2", "log10", "exp2", "logit", "sgn", "deg2rad", "rad2deg",
         "lgamma", "digamma", "i0", "positive")
UNARY_BOOL = ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not", "signbit")
TENSOR_PAIRS = ("logaddexp", "logaddexp2", "fmax", "fmin", "hypot")
TENSOR_PAIRS_BOOL = ("logical_and", "logical_or", "logical_xor")
MIXED_PAIRS = ("floor_divide", "xlogy", "copysign")


def _number(v) -> bool:
    return isinstance(v, (int, float, FloatUnknown)) or (isinstance(v, Expr) and not v.is_opaque())


def _unary(ctx, site, args, kwargs):
    return args[0] if len(args) == 1 and not kwargs and isinstance(args[0], Tensor) else UNKNOWN


def _unary_bool(ctx, site, args, kwargs):
    x = _unary(ctx, site, args, kwargs)
    return x.fresh("bool") if isinstance(x, Tensor) else x


def _clamp_bound(ctx, site, args, kwargs):
    """clamp_min(x, min) / clamp_max(x, max) by a Python number: x's shape."""
    bound = list(args[1:]) + list(kwargs.values())
    if len(args) < 1 or not isinstance(args[0], Tensor) or len(bound) != 1 or not _number(bound[0]):
        return UNKNOWN
    return args[0]


def _pair(both_tensors: bool, result_dtype=None):
    def op(ctx, site, args, kwargs):
        if len(args) != 2 or kwargs or not isinstance(args[0], Tensor):
            return UNKNOWN
        other = args[1]
        if not (isinstance(other, Tensor) or (not both_tensors and _number(other))):
            return UNKNOWN
        out = binary(ctx, site, args[0], other, site.label())
        return out.fresh(result_dtype) if isinstance(out, Tensor) and result_dtype else out

    return op


def _lerp(ctx, site, args, kwargs):
    if len(args) != 3 or kwargs or not all(isinstance(a, Tensor) for a in args[:2]):
        return UNKNOWN
    if not (isinstance(args[2], Tensor) or _number(args[2])):
        return UNKNOWN
    ends = binary(ctx, site, args[0], args[1], site.label())
    return binary(ctx, site, ends, args[2], site.label()) if isinstance(ends, Tensor) else ends


def _register(name, op, methods=True):
    if name not in TORCH:
        TORCH[name] = op
    if methods and name not in METHODS:
        METHODS[name] = op


for _name in UNARY:
    _register(_name, _unary)
for _name in UNARY_BOOL:
    _register(_name, _unary_bool)
for _name in ("clamp_min", "clamp_max"):
    _register(_name, _clamp_bound)
    METHODS.setdefault(_name + "_", _clamp_bound)
for _name in TENSOR_PAIRS:
    _register(_name, _pair(True))
for _name in TENSOR_PAIRS_BOOL:
    _register(_name, _pair(True, "bool"))
for _name in MIXED_PAIRS:
    _register(_name, _pair(False))
_register("lerp", _lerp)
for _name in ("log1p_", "expm1_", "reciprocal_", "trunc_", "frac_", "erf_"):
    METHODS.setdefault(_name, _unary)  # in place: the tensor's own shape
