"""torch.triu_indices / torch.tril_indices(row, col, offset=0, *, dtype=torch.long, ...).

The (2, N) coordinates of a row x col matrix's upper (j - i >= offset) or lower (j - i <= offset)
triangle: DLRM-style models pick the pairwise dots `Z[:, li, lj]` with them. N is counted row by
row from known ints; a symbolic or negative size (torch raises), a dtype other than long/int
(torch: `not implemented for 'Float'`) or a matrix too large to count is unknown.
"""

from __future__ import annotations

from ..core.values import UNKNOWN, Tensor
from .advanced_indexing import TORCH_DTYPES
from .functions import TORCH
from .kernels import bind

_MAX_ROWS = 1 << 20  # counting is one step per row


def _int(v) -> bool:
    return type(v) is int


def triangle_count(row: int, col: int, offset: int, upper: bool) -> int:
    """How many (i, j), 0 <= i < row, 0 <= j < col, have j - i >= offset (upper) or <= offset (lower)."""
    total = 0
    for i in range(row):
        if upper:
            total += max(0, col - max(0, i + offset))
        else:
            total += max(0, min(col, i + offset + 1))
    return total


def _triangle(upper: bool):
    def op(ctx, site, args, kwargs):
        shape_kwargs = {k: v for k, v in kwargs.items() if k in ("row", "col", "offset")}
        if set(kwargs) - {"row", "col", "offset", "dtype", "device", "layout"}:
            return UNKNOWN
        b = bind(list(args), shape_kwargs, ["row", "col", "offset"], {"offset": 0})
        if b is None or not all(_int(b[k]) for k in ("row", "col", "offset")):
            return UNKNOWN
        if b["row"] < 0 or b["col"] < 0 or b["row"] > _MAX_ROWS:
            return UNKNOWN
        dtype = "long"
        if kwargs.get("dtype") is not None:
            dtype = TORCH_DTYPES.get(getattr(kwargs["dtype"], "qualname", None))
        if dtype not in ("long", "int"):
            return UNKNOWN
        return Tensor((2, triangle_count(b["row"], b["col"], b["offset"], upper)), dtype=dtype)

    return op


TORCH["triu_indices"] = _triangle(True)
TORCH["tril_indices"] = _triangle(False)
