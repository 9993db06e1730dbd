"""pad_sequence and pack_sequence (torch.nn.utils.rnn): a list of (L_i, *) tensors to one batch.

- pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"): (T, B, *),
  or (B, T, *) with batch_first, where B is the list's length, T the longest L_i and * the first
  sequence's trailing dims (torch raises where another's differ). A tensor (B, L, *) is its B rows.
- pack_sequence(sequences, enforce_sorted=True): a PackedSequence of those B sequences, padded
  to T; with enforce_sorted torch raises for lengths that are not in decreasing order.
T is a number where every L_i is known, the one expression where all are that expression, else
one opaque size. Trailing dims that certainly differ, ranks that differ, a 0-d tensor, an empty
list or a list shapelint does not know in full: unknown, no finding.
"""

from __future__ import annotations

from typing import Optional

from ..core.symbolic import Expr, is_known
from ..core.values import UNKNOWN, Tensor, Unknown
from .kernels import bind
from .packed_sequence import FUNCTIONS, packed


def _rows(sequences) -> Optional[list]:
    """The sequences as a list of tensors with known shapes, or None."""
    if not isinstance(sequences, (list, tuple)) or not sequences:
        return None
    if not all(isinstance(t, Tensor) and t.shape is not None and len(t.shape) >= 1 for t in sequences):
        return None
    return list(sequences)


def _certainly_differ(a, b) -> bool:
    return is_known(a) and is_known(b) and a != b


def _longest(lengths):
    if all(is_known(n) for n in lengths):
        return max(lengths)
    if all(n == lengths[0] for n in lengths) and isinstance(lengths[0], Expr):
        return lengths[0]
    return Expr.opaque("max_length")


def _common(sequences) -> Optional[tuple]:
    """(count, longest length, trailing dims, dtype) where torch can batch them, else None."""
    if isinstance(sequences, Tensor):  # its rows: (B, L, *) is B sequences of length L
        shape = sequences.shape
        if shape is None or len(shape) < 2:
            return None
        return shape[0], shape[1], tuple(shape[2:]), sequences.dtype
    rows = _rows(sequences)
    if rows is None:
        return None
    trailing = rows[0].shape[1:]
    for t in rows[1:]:
        if len(t.shape) != len(rows[0].shape) or any(_certainly_differ(a, b) for a, b in zip(t.shape[1:], trailing)):
            return None  # torch raises: the sizes must match
    dtypes = {t.dtype for t in rows}
    lengths = [t.shape[0] for t in rows]
    return len(lengths), _longest(lengths), tuple(trailing), dtypes.pop() if len(dtypes) == 1 else None


def _pad_sequence(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["sequences", "batch_first", "padding_value", "padding_side"],
             {"batch_first": False, "padding_value": 0.0, "padding_side": "right"})
    if b is None or type(b["batch_first"]) is not bool or b["padding_side"] not in ("right", "left"):
        return UNKNOWN
    common = _common(b["sequences"])
    if common is None:
        return Unknown("pad_sequence of sequences shapelint does not know in full")
    count, longest, trailing, dtype = common
    time_batch = (count, longest) if b["batch_first"] else (longest, count)
    return Tensor(time_batch + trailing, dtype=dtype)


def _pack_sequence(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["sequences", "enforce_sorted"], {"enforce_sorted": True})
    if b is None or type(b["enforce_sorted"]) is not bool or isinstance(b["sequences"], Tensor):
        return UNKNOWN
    common = _common(b["sequences"])
    if common is None:
        return Unknown("pack_sequence of sequences shapelint does not know in full")
    lengths = [t.shape[0] for t in b["sequences"]]
    if b["enforce_sorted"] and all(is_known(n) for n in lengths) and lengths != sorted(lengths, reverse=True):
        return Unknown("pack_sequence of unsorted lengths")  # torch raises: not in decreasing order
    count, longest, trailing, _ = common
    value = packed(count, longest, trailing)
    value.longest = longest if is_known(longest) or not longest.is_opaque() else None
    return value


FUNCTIONS["torch.nn.utils.rnn.pad_sequence"] = _pad_sequence
FUNCTIONS["torch.nn.utils.rnn.pack_sequence"] = _pack_sequence
