"""The legacy tensor constructors older model code calls: `torch.Tensor(4, 3)` (an uninitialised
tensor of those sizes, like torch.empty) and `torch.Tensor([0.4, 0.5])` / `torch.FloatTensor(rgb_std)`
(the data, as a float tensor: EDSR's MeanShift). Any other argument (a tensor, a storage, a size
shapelint does not know) is unknown. Registered into `functions.TORCH` when imported
(`engine.torch_calls` imports it).
"""

from __future__ import annotations

from ..core.values import UNKNOWN, Tensor
from .functions import TORCH
from .result_dtypes import FLOAT_DEFAULT, data_shape_and_kinds, MAX_ELEMENTS

_CLASSES = {"Tensor": FLOAT_DEFAULT, "FloatTensor": "float", "LongTensor": "long"}


def _sizes(args) -> bool:
    return all(isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in args)


def _legacy(dtype: str):
    def construct(ctx, site, args, kwargs):
        if kwargs:
            return UNKNOWN
        if not args:
            return Tensor((0,), dtype=dtype)
        if _sizes(args):
            return Tensor(tuple(args), dtype=dtype)
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            shape = data_shape_and_kinds(args[0], set(), [MAX_ELEMENTS])
            return Tensor(shape, dtype=dtype) if shape is not None else UNKNOWN
        return UNKNOWN

    return construct


for _name, _dtype in _CLASSES.items():
    TORCH[_name] = _legacy(_dtype)
