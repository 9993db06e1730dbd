"""PackedSequence: `pack_padded_sequence`, an RNN run on it, `pad_packed_sequence` (torch.nn.utils.rnn).

torch's PackedSequence is a namedtuple (data, batch_sizes, sorted_indices, unsorted_indices);
`data` is (sum(lengths), *features), a count that depends on the lengths' values, so it is one
opaque size. What is known statically is the batch (the padded input's batch dim, where the
lengths have that many entries), the padded length T (an upper bound of every length) and the
trailing feature dims; those give what the RNN and the unpacking return:

- pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True): input (T, B, *)
  or (B, T, *); torch packs only len(lengths) sequences, so B is known only where the lengths
  certainly have B entries;
- an nn.RNN / LSTM / GRU called on one: torch runs the layer on the 2-D data without checking
  input_size (LSTM(5, h) on data (10, 4) runs on 8 rows of 5; on (11, 4) it raises), so only
  features that are certainly input_size are followed: the output is packed again with
  dirs * hidden features, the state (layers * dirs, B, H); other features are unknown, no finding;
- pad_packed_sequence(seq, batch_first=False, padding_value=0.0, total_length=None): (padded,
  lengths), padded (T', B, *) or (B, T', *) where T' is total_length when given (torch raises
  when it is below the longest length, so where it runs T' is total_length), else max(lengths):
  opaque; lengths is a long tensor (B,).

`pack_sequence` and `pad_sequence` of lists: torch/sequence_lists.py. Anything else (a packed
sequence given to another layer or op) stays unknown.
"""

from __future__ import annotations

from ..core.symbolic import Expr, is_known
from ..core.values import UNKNOWN, Tensor, Unknown
from .sequence_ops import concrete

RNN_KINDS = ("RNN", "LSTM", "GRU")
FIELDS = ("data", "batch_sizes", "sorted_indices", "unsorted_indices")


class PackedSequenceValue(tuple):
    """A PackedSequence: the namedtuple's four fields, plus the batch, padded length and features
    it was packed from."""

    batch = None
    length = None
    longest = None  # max(lengths) where it is certain (pack_sequence of known lengths), else None
    features: tuple = ()


def packed(batch, length, features: tuple) -> PackedSequenceValue:
    data = Tensor((Expr.opaque("packed"),) + tuple(features))
    value = PackedSequenceValue((data, Unknown("batch_sizes"), Unknown("sorted_indices"), Unknown("unsorted_indices")))
    value.batch, value.length, value.features = batch, length, tuple(features)
    return value


def attribute(value: PackedSequenceValue, name: str):
    return value[FIELDS.index(name)] if name in FIELDS else Unknown(f"PackedSequence.{name}")


def _bool_arg(args, kwargs, i, name, default):
    return args[i] if len(args) > i else kwargs.get(name, default)


def _lengths_count(lengths):
    """How many lengths there are, where known: a 1-D tensor's size or a list's length."""
    if isinstance(lengths, Tensor) and lengths.shape is not None and len(lengths.shape) == 1:
        return lengths.shape[0]
    if isinstance(lengths, (list, tuple)) and not any(isinstance(v, Unknown) for v in lengths):
        return len(lengths)
    return None


def _same(ctx, a, b) -> bool:
    """Sizes that are certainly equal: one expression, or one number (the declared batch counts)."""
    return a == b or concrete(ctx, a) is not None and concrete(ctx, a) == concrete(ctx, b)


def _pack_padded(ctx, site, args, kwargs):
    names = ("input", "lengths", "batch_first", "enforce_sorted")
    if len(args) > 4 or any(k not in names for k in kwargs):
        return UNKNOWN
    x = args[0] if args else kwargs.get("input")
    lengths = args[1] if len(args) > 1 else kwargs.get("lengths")
    batch_first = _bool_arg(args, kwargs, 2, "batch_first", False)
    if not isinstance(x, Tensor) or x.shape is None or len(x.shape) < 2 or type(batch_first) is not bool:
        return UNKNOWN
    length, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    count = _lengths_count(lengths)
    if count is None or not _same(ctx, count, batch):
        return UNKNOWN  # torch packs len(lengths) sequences: the batch is B only where they are B
    return packed(batch, length, x.shape[2:])


def _pad_packed(ctx, site, args, kwargs):
    names = ("sequence", "batch_first", "padding_value", "total_length")
    if len(args) > 4 or any(k not in names for k in kwargs):
        return UNKNOWN
    seq = args[0] if args else kwargs.get("sequence")
    batch_first = _bool_arg(args, kwargs, 1, "batch_first", False)
    total = args[3] if len(args) > 3 else kwargs.get("total_length")
    if not isinstance(seq, PackedSequenceValue) or type(batch_first) is not bool:
        return UNKNOWN
    if total is None:
        # max(lengths): the values decide, unless the sequences' own lengths were known
        total = seq.longest if seq.longest is not None else Expr.opaque("max_length")
    elif not (is_known(total) or isinstance(total, Expr)) or isinstance(total, bool):
        return UNKNOWN
    time_batch = (seq.batch, total) if batch_first else (total, seq.batch)
    return Tensor(time_batch + seq.features), Tensor((seq.batch,), dtype="long")


FUNCTIONS = {
    "torch.nn.utils.rnn.pack_padded_sequence": _pack_padded,
    "torch.nn.utils.rnn.pad_packed_sequence": _pad_packed,
}


def layer_forward(ctx, m, args, kwargs, node, x: PackedSequenceValue, after):
    """An RNN layer called on a packed sequence: its rule on the padded (T, B, F) form, repacked."""
    if m.kind not in RNN_KINDS or len(x.features) != 1 or not isinstance(m.params.get("batch_first", False), bool):
        return Unknown("a packed sequence given to a layer shapelint does not run on one")
    if not _same(ctx, x.features[0], m.params.get("input_size")):
        # torch does not check input_size on packed data: it reads the (sum(lengths) * F) values as
        # rows of input_size, which runs or raises by the lengths' values; no finding, unknown
        return Unknown("packed features that may differ from input_size")
    padded = Tensor((x.length, x.batch) + x.features)
    saved = m.params.get("batch_first", False)
    m.params["batch_first"] = False  # torch ignores batch_first for packed input
    try:
        out = m.spec.forward(ctx, m, padded)
    finally:
        m.params["batch_first"] = saved
    if not isinstance(out, tuple):
        return out
    out = after(ctx, m, args, kwargs, node, out) if after is not None else out
    if not isinstance(out, tuple) or not isinstance(out[0], Tensor) or out[0].shape is None:
        return out
    repacked = packed(x.batch, x.length, tuple(out[0].shape[2:]))
    repacked.longest = x.longest  # the same lengths
    return (repacked, out[1])
