"""The values of a small 1-D tensor whose values torch's formula makes certain (issue 10).

Vision code picks a layer by a drop-path rate read out of a tensor: `dpr = [x.item() for x in
torch.linspace(0, rate, depth)]`, then `DropPath(dpr[i]) if dpr[i] > 0.0 else nn.Identity()`
(Swin, ConvNeXt, ViT), or `torch.linspace(0, rate, n).split(depths)` and `.tolist()` per stage
(timm). With the values known the choice is decided, so the block's submodules are known.

Only `torch.linspace(0, end, steps)` of float32 (the default dtype) is given values: torch's
kernel computes `step = end / (steps - 1)` in float32, the first half as `step * i` and the
second as `end - step * (steps - 1 - i)`, each rounded once to float32 (checked element by
element against torch in tests/test_vision_ops_vs_torch.py). Any other start, dtype or op gives
a plain Tensor: the values are unknown. Every op that makes a new tensor drops them (its result
is a plain Tensor); iterating, indexing by an int, `.item()`, `.tolist()` and `split` read them.
"""

from __future__ import annotations

import struct
from typing import Optional

from ..core.values import UNKNOWN, Tensor
from . import sequence_ops  # noqa: F401 - registers linspace and split, which this module extends
from .functions import METHODS, TORCH

MAX_VALUES = 256


class ValuedTensor(Tensor):
    """A 0-d or 1-d float tensor whose values are known (Python floats, float32-exact)."""

    __slots__ = ("values",)

    def __init__(self, values: tuple, vector: bool = True):
        super().__init__((len(values),) if vector else (), dtype="float")
        self.values = tuple(values)


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def linspace_values(start, end, steps) -> Optional[tuple]:
    """torch.linspace(start, end, steps)'s float32 values, where the formula is the kernel's."""
    if start != 0 or isinstance(start, bool) or not isinstance(end, (int, float)) or isinstance(end, bool):
        return None
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_VALUES:
        return None
    e = _f32(float(end))
    if steps == 1:
        return (0.0,)
    step = _f32(e / (steps - 1))
    half = steps // 2
    return tuple(_f32(step * i) if i < half else _f32(e - step * (steps - 1 - i)) for i in range(steps))


def forget(t: Tensor) -> None:
    """`t[0] = 5`, `t.mul_(2)`: what was known of t's values (arange's bound, linspace's values) no longer holds."""
    t.values_below = None
    if isinstance(t, ValuedTensor):
        t.values = None


def known_values(t) -> Optional[tuple]:
    return t.values if isinstance(t, ValuedTensor) else None


def elements(t: Tensor) -> Optional[list]:
    """What `for x in t` visits: 0-d tensors holding each value; None when the values are unknown."""
    if known_values(t) is not None and len(t.shape) == 1:
        return [ValuedTensor((v,), vector=False) for v in t.values]
    return None


def rows(t: Tensor, limit: int) -> Optional[list]:
    """`for row in t` of values shapelint does not know: one tensor of shape t.shape[1:] per
    index of the first dimension, when that is a known int (torch iterates `t[0], t[1], ...`; a
    0-d tensor cannot be iterated)."""
    shape = t.shape
    if not shape or type(shape[0]) is not int or not 0 <= shape[0] <= limit:
        return None
    return [Tensor(shape[1:], t.prov[1:], dtype=t.dtype) for _ in range(shape[0])]


def element(t: Tensor, key):
    """t[i] of a 1-D valued tensor: a 0-d tensor holding that value; None when not modelled here."""
    if known_values(t) is not None and len(t.shape) == 1 and type(key) is int and -len(t.values) <= key < len(t.values):
        return ValuedTensor((t.values[key],), vector=False)
    return None


def _linspace_with_values(plain):
    def linspace(ctx, site, args, kwargs):
        out = plain(ctx, site, args, kwargs)
        if len(args) == 3 and not kwargs and isinstance(out, Tensor):
            values = linspace_values(*args)
            if values is not None:
                return ValuedTensor(values)
        return out

    return linspace


def _item(ctx, site, args, kwargs):
    t = args[0]
    if known_values(t) is not None and len(t.values) == 1 and len(args) == 1 and not kwargs:
        return t.values[0]
    return UNKNOWN


def _tolist(ctx, site, args, kwargs):
    t = args[0]
    if known_values(t) is not None and len(args) == 1 and not kwargs:
        return list(t.values) if len(t.shape) == 1 else t.values[0]
    return UNKNOWN


def _split_with_values(plain):
    """split of a 1-D valued tensor: pieces holding their values (timm's per-stage rates)."""
    def split(ctx, site, args, kwargs):
        out = plain(ctx, site, args, kwargs)
        t = args[0] if args else None
        if not (known_values(t) is not None and len(t.shape) == 1 and isinstance(out, tuple)):
            return out
        if kwargs.get("dim", args[2] if len(args) > 2 else 0) not in (0, -1):
            return out
        pieces, at = [], 0
        for piece in out:
            n = piece.shape[0] if isinstance(piece, Tensor) and piece.shape else None
            if type(n) is not int:
                return out
            pieces.append(ValuedTensor(t.values[at:at + n]))
            at += n
        return tuple(pieces) if at == len(t.values) else out

    return split


TORCH["linspace"] = _linspace_with_values(TORCH["linspace"])
METHODS["item"] = _item
METHODS["tolist"] = _tolist
METHODS["split"] = _split_with_values(METHODS["split"])
TORCH["split"] = _split_with_values(TORCH["split"])
