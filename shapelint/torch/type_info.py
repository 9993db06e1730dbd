"""torch.finfo / torch.iinfo: the limits of a dtype, as numbers (HF-style masks use
`torch.finfo(dtype).min` as the additive "minus infinity"). The values are those of the
IEEE formats and two's-complement integers torch uses; tests/test_type_info.py checks
each against real torch. Of a dtype shapelint does not know, finfo's limits are floats of
unknown value (FloatUnknown), iinfo is unknown. torch.is_tensor, a question about a value's
type too, is answered here as well.
"""

from __future__ import annotations

from typing import Dict, Optional

from ..core.symbolic import Expr
from ..core.values import FloatUnknown, ModuleValue, Ref, Tensor, Unknown


def _floats(bits: int, eps: float, largest: float, tiny: float, resolution: float) -> Dict[str, object]:
    return {"bits": bits, "eps": eps, "max": largest, "min": -largest, "tiny": tiny, "smallest_normal": tiny,
            "resolution": resolution}


_F32 = _floats(32, 2.0 ** -23, (2 - 2.0 ** -23) * 2.0 ** 127, 2.0 ** -126, 1e-06)
_F64 = _floats(64, 2.0 ** -52, (2 - 2.0 ** -52) * 2.0 ** 1023, 2.0 ** -1022, 1e-15)
_F16 = _floats(16, 2.0 ** -10, (2 - 2.0 ** -10) * 2.0 ** 15, 2.0 ** -14, 0.001)
_BF16 = _floats(16, 2.0 ** -7, (2 - 2.0 ** -7) * 2.0 ** 127, 2.0 ** -126, 0.01)

FINFO = {"torch.float32": _F32, "torch.float": _F32, "torch.float64": _F64, "torch.double": _F64,
         "torch.float16": _F16, "torch.half": _F16, "torch.bfloat16": _BF16}


def _ints(bits: int, signed: bool) -> Dict[str, object]:
    low = -(2 ** (bits - 1)) if signed else 0
    return {"bits": bits, "min": low, "max": low + 2 ** bits - 1}


IINFO = {"torch.int8": _ints(8, True), "torch.uint8": _ints(8, False), "torch.int16": _ints(16, True),
         "torch.short": _ints(16, True), "torch.int32": _ints(32, True), "torch.int": _ints(32, True),
         "torch.int64": _ints(64, True), "torch.long": _ints(64, True)}

CONSTRUCTORS = ("torch.finfo", "torch.iinfo")


class TypeInfo:
    """The object torch.finfo(dtype) / torch.iinfo(dtype) returns: its attributes are numbers."""

    __slots__ = ("label", "values")

    def __init__(self, label: str, values: Dict[str, object]):
        self.label = label
        self.values = values

    def attribute(self, name: str):
        if name in self.values:
            return self.values[name]
        return Unknown(f"`{self.label}.{name}`")


# finfo of a dtype shapelint does not know (`torch.finfo(x.dtype)`, `torch.finfo()` after a
# possible set_default_dtype): floats of unknown value; a tensor combined with one keeps its shape
_FLOAT_LIMITS = ("eps", "max", "min", "tiny", "smallest_normal", "resolution")


def type_info(qualname: str, args, kwargs, node):
    """`torch.finfo(torch.float32)`, `torch.iinfo(torch.long)`, `torch.finfo(x.dtype)`, `torch.finfo()`."""
    table = FINFO if qualname == "torch.finfo" else IINFO
    dtype: Optional[object] = args[0] if args else kwargs.get("type")
    if len(args) + len(kwargs) > 1 or (kwargs and "type" not in kwargs) or (dtype is None and qualname == "torch.iinfo"):
        return Unknown(f"`{qualname}` arguments", node)
    name = dtype.qualname if isinstance(dtype, Ref) else None
    if name in table:
        return TypeInfo(f"{qualname}({name})", table[name])
    if qualname == "torch.finfo" and (dtype is None or (isinstance(dtype, Unknown) and not isinstance(dtype, FloatUnknown))):
        return TypeInfo(f"{qualname}(a float dtype)", {k: FloatUnknown(f"`torch.finfo(...).{k}`") for k in _FLOAT_LIMITS})
    return Unknown(f"`{qualname}` of a dtype shapelint does not know", node)


IS_TENSOR = "torch.is_tensor"


def is_tensor(args, kwargs, node):
    """`torch.is_tensor(obj)` (diffusers: `if not torch.is_tensor(timesteps)`): True for a tensor or
    a parameter, False for a number (a size, a float of unknown value), None, a string, a container
    or a module; unknown for a value shapelint does not know."""
    if len(args) != 1 or kwargs:
        return Unknown("`torch.is_tensor` arguments", node)
    v = args[0]
    if isinstance(v, Tensor):
        return True
    if v is None or isinstance(v, (bool, int, float, str, list, tuple, dict, Expr, FloatUnknown, ModuleValue)):
        return False
    return Unknown("`torch.is_tensor` of a value shapelint does not know", node)
