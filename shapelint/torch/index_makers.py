"""Ops that make index tensors from values, and the CTC loss of speech recognisers (torch 2.13).

- bucketize(input, boundaries, *, out_int32=False, right=False): input's shape (0-d for a Python
  number), long (int with out_int32); boundaries must be 1-D;
- searchsorted(sorted_sequence, input, ...): input's shape, where sorted_sequence is 1-D or has
  input's leading dims (torch raises where they certainly differ: unknown here);
- cartesian_prod(*tensors) of 1-D tensors: (n,) for one, (n1 * n2 * ..., k) for k of them;
- F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", ...):
  0-d for "mean" / "sum"; for "none", (N,) of a (T, N, C) input, 0-d of an unbatched (T, C) one.
"""

from __future__ import annotations

from ..core.symbolic import is_known, product
from ..core.values import UNKNOWN, Tensor
from .functions import FUNCTIONAL, TORCH
from .kernels import bind
from .sequence_ops import differ


def _one_dim(t) -> bool:
    return isinstance(t, Tensor) and t.shape is not None and len(t.shape) == 1


def _index_dtype(kwargs) -> str:
    return "int" if kwargs.get("out_int32") is True else "long"


def _bucketize(ctx, site, args, kwargs):
    if set(kwargs) - {"out_int32", "right"} or len(args) != 2 or not _one_dim(args[1]):
        return UNKNOWN
    x = args[0]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Tensor((), dtype=_index_dtype(kwargs))
    if not isinstance(x, Tensor) or x.shape is None:
        return UNKNOWN
    return Tensor(x.shape, x.prov, dtype=_index_dtype(kwargs))


def _searchsorted(ctx, site, args, kwargs):
    if set(kwargs) - {"out_int32", "right", "side", "sorter"} or len(args) != 2:
        return UNKNOWN
    seq, x = args
    if not (isinstance(seq, Tensor) and seq.shape and isinstance(x, Tensor) and x.shape is not None):
        return UNKNOWN
    if len(seq.shape) > 1:
        lead, have = tuple(seq.shape[:-1]), tuple(x.shape[:-1])
        if len(x.shape) != len(seq.shape) or any(differ(ctx, a, b) for a, b in zip(lead, have)):
            return UNKNOWN  # torch raises: the leading dims must be the input's
    return Tensor(x.shape, x.prov, dtype=_index_dtype(kwargs))


def _cartesian_prod(ctx, site, args, kwargs):
    if kwargs or not args or not all(_one_dim(t) for t in args):
        return UNKNOWN
    dtypes = {t.dtype for t in args}
    dtype = dtypes.pop() if len(dtypes) == 1 else None
    if len(args) == 1:
        return Tensor(args[0].shape, dtype=dtype)
    return Tensor((product(t.shape[0] for t in args), len(args)), dtype=dtype)


def _ctc_loss(ctx, site, args, kwargs):
    names = ["log_probs", "targets", "input_lengths", "target_lengths", "blank", "reduction", "zero_infinity"]
    b = bind(list(args), dict(kwargs), names, {"blank": 0, "reduction": "mean", "zero_infinity": False})
    if b is None or not isinstance(b["log_probs"], Tensor) or b["log_probs"].shape is None:
        return UNKNOWN
    rank = len(b["log_probs"].shape)
    if rank not in (2, 3) or b["reduction"] not in ("mean", "sum", "none"):
        return UNKNOWN
    if b["reduction"] != "none" or rank == 2:
        return Tensor(())
    batch = b["log_probs"].shape[1]
    return Tensor((batch,)) if is_known(batch) or not getattr(batch, "is_opaque", lambda: True)() else UNKNOWN


TORCH.setdefault("bucketize", _bucketize)
TORCH.setdefault("searchsorted", _searchsorted)
TORCH.setdefault("cartesian_prod", _cartesian_prod)
FUNCTIONAL.setdefault("ctc_loss", _ctc_loss)
