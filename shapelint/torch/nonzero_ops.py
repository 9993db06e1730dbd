"""The indices of the nonzero elements (MoE routers: `torch.where(chosen == i)`,
`mask[:, i].nonzero(as_tuple=True)[0]`): how many there are depends on the values, so their
count is one opaque size, never a guess, shared by every index tensor of one call (they are the
same length). Registered into the tables of `functions` when imported.

- torch.where(cond) == torch.nonzero(cond, as_tuple=True): a tuple of cond.dim() long tensors of
  shape (N,) (a 0-d cond gives one, as torch treats it as 1-D);
- torch.nonzero(x) / x.nonzero(): a long tensor (N, x.dim()); `argwhere` the same.
"""

from __future__ import annotations

from ..core.symbolic import Expr
from ..core.values import UNKNOWN, Tensor
from .functions import METHODS, TORCH
from .sequence_ops import _tensor


def nonzero_indices(x: Tensor, as_tuple: bool):
    count = Expr.opaque("nonzero")
    if as_tuple:
        return tuple(Tensor((count,), dtype="long") for _ in range(max(len(x.shape), 1)))
    return Tensor((count, len(x.shape)), dtype="long")


def _nonzero(ctx, site, args, kwargs):
    x = args[0] if args else kwargs.get("input")
    as_tuple = kwargs.get("as_tuple", False)
    if len(args) != 1 or any(k not in ("input", "as_tuple") for k in kwargs) or type(as_tuple) is not bool:
        return UNKNOWN
    return nonzero_indices(x, as_tuple) if _tensor(x) else UNKNOWN


def _argwhere(ctx, site, args, kwargs):
    return _nonzero(ctx, site, args, {}) if len(args) == 1 and not kwargs else UNKNOWN


def _where_of(plain):
    """torch.where(cond) (one argument) is nonzero(cond, as_tuple=True); three go to `plain`."""
    def where(ctx, site, args, kwargs):
        if len(args) == 1 and not kwargs:
            return nonzero_indices(args[0], True) if _tensor(args[0]) else UNKNOWN
        return plain(ctx, site, args, kwargs)

    return where


TORCH["nonzero"] = METHODS["nonzero"] = _nonzero
TORCH["argwhere"] = METHODS["argwhere"] = _argwhere
TORCH["where"] = _where_of(TORCH["where"])


def _bincount(ctx, site, args, kwargs):
    """torch.bincount(input, weights=None, minlength=0): one count per value 0..max(input), so a 1-D
    tensor whose length (max(input) + 1, at least minlength) depends on the values: one opaque size.
    Its dtype is long without weights; with weights it is theirs (not followed). torch raises for an
    input that is not 1-D (unknown here, never an error)."""
    x = args[0] if args else kwargs.get("input")
    extra = list(args[1:]) + [kwargs[k] for k in kwargs if k != "input"]
    if len(args) > 3 or any(k not in ("input", "weights", "minlength") for k in kwargs) or not _tensor(x):
        return UNKNOWN
    weights = args[1] if len(args) > 1 else kwargs.get("weights")
    if len(x.shape) != 1 or not all(v is None or isinstance(v, (int, Tensor)) for v in extra):
        return UNKNOWN
    return Tensor((Expr.opaque("bincount"),), dtype="long" if weights is None else None)


TORCH["bincount"] = METHODS["bincount"] = _bincount
