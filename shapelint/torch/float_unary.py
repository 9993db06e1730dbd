"""Elementwise functions whose result is floating point whatever the input's dtype (SwinV2's
log-spaced coordinate table: `torch.sign(t) * torch.log2(torch.abs(t) + 1.0)`): the input's shape,
dtype "float" for a real input (torch promotes integer and bool inputs to the default float
dtype), unknown for a dtype shapelint does not name. Registered as torch.<name> and x.<name>()."""

from __future__ import annotations

from ..core.values import UNKNOWN, Tensor
from .functions import METHODS, TORCH

FLOAT_RESULT = (
    "log2", "log10", "log1p", "expm1", "exp2", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
    "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "reciprocal", "erfc",
    "erfinv", "lgamma", "digamma", "deg2rad", "rad2deg", "sinc", "logit", "i0",
)
_REAL_KINDS = ("float", "long", "int", "bool")


def _float_result(ctx, site, args, kwargs):
    x = args[0] if args else None
    if not isinstance(x, Tensor) or x.shape is None or len(args) > 2 or set(kwargs) - {"eps"}:
        return UNKNOWN  # `out=` and the rest are not modelled
    return Tensor(x.shape, x.prov, dtype="float" if x.dtype in _REAL_KINDS else None)


for _name in FLOAT_RESULT:
    TORCH.setdefault(_name, _float_result)
    METHODS.setdefault(_name, _float_result)
