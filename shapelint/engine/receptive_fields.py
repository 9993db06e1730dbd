"""The receptive field and jump of each explain row, along the tensors forward passes on.

A row's field is known only when its input is the model's input, or a tensor whose field is
known, and the row is a window (`torch.receptive.layer_window`) or keeps positions. Rows are
read in execution order; a tensor is followed by identity (the engine's values, which the rows
and merges keep alive). A merge (`a + b`, `a * b`, `torch.cat([a, b], 1)`: ExplainRecorder.merges)
has the span of its operands' fields where `torch.receptive.merged_field` proves it exact,
computed when a row first reads it (its operands were made before it). Unknown is absorbing:

- a tensor that no row or merge made (an op without a row, a broadcast `x * gate`) is unknown;
  `x * 2` is the engine's `x` itself (kernels.binary), rightly: it reads one position;
- a row or merge on one side of an undecided branch, or of one mode only, is unknown, and so
  is what it returns (after the branch, a name both sides bound to equal shapes holds one
  side's tensor, whose field may be the other side's wrong);
- a call made in both training and eval mode is known only when both runs give the same field;
- a tensor given two different fields is unknown from then on;
- `a += b` changes `a` itself in torch: every other read of that tensor (an alias, before or
  after) is unknown; the in-place merge itself reads it as it was.

A block (a container, the user's module) has the field of the tensor it returns.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ..core.values import Tensor
from ..torch.receptive import (KEEPS_POSITIONS, Field, first_field, is_merge_row, keeps_positions_op, layer_window,
                               merged_field, op_window, shown, widen)
from .context import LayerCall, Merge, shape_of

_CONFLICT = None  # a tensor whose field is not known (kept, so that no later row makes it known again)
_MAX_CHAIN = 200  # merges of merges followed at one read (`a + b + c + ...`); deeper is unknown


class _Fields:
    """The field of each tensor seen: learned from rows in order, computed from merges on first read."""

    def __init__(self, merges: List[Merge]):
        self.known: Dict[int, Optional[Field]] = {}
        self.made: Dict[int, Merge] = {}
        self.changed: Dict[int, int] = {}  # id(tensor) -> how many `+=` changed it in place
        for m in merges:
            if any(t is m.out for t in m.operands):
                self.known[id(m.out)] = _CONFLICT  # an operand the engine returned as the result: not followed
                continue
            self.made[id(m.out)] = m
            if m.in_place:
                key = id(m.operands[0])
                self.changed[key] = self.changed.get(key, 0) + 1

    def learn(self, tensor: Tensor, field: Optional[Field]) -> None:
        key = id(tensor)
        if key in self.known and self.known[key] != field:
            self.known[key] = _CONFLICT
        else:
            self.known[key] = field

    def read(self, tensor, by: Optional[Merge] = None, depth: int = 0) -> Optional[Field]:
        """The field of `tensor` where a row or the merge `by` reads it."""
        if not isinstance(tensor, Tensor):
            return None
        changes = self.changed.get(id(tensor), 0)
        own = by is not None and by.in_place and by.operands[0] is tensor
        if changes > (1 if own else 0):
            return None  # torch changed this tensor in place: which value a read sees is not followed
        key = id(tensor)
        if key in self.known:
            return self.known[key]
        m = self.made.get(key)
        if m is None or m.out is not tensor:
            return None
        field = None
        if not (m.branch or m.conditional) and depth < _MAX_CHAIN:
            operands = [self.read(t, m, depth + 1) for t in m.operands]
            field = merged_field(m.kind, m.dim, operands, [shape_of(t) for t in m.operands], shape_of(m.out))
        self.known[key] = field
        return field


def receptive_fields(calls: List[LayerCall], model_input, merges: List[Merge] = ()) -> List[Optional[tuple]]:
    """One entry per row of `calls`: its output's (size, jump) per spatial dimension, or None."""
    fields = _Fields(list(merges))
    if isinstance(model_input, Tensor):
        fields.known[id(model_input)] = ()  # no spatial dimension fixed yet: a window decides how many
    found: List[Optional[Field]] = []
    blocks = []
    for i, e in enumerate(calls):
        if _is_block(e):
            blocks.append(i)
            found.append(None)
            continue
        field = _step(fields, e)
        if field is not None and e.twin is not None and _step(fields, e.twin) != field:
            field = None  # training and eval mode reach this call with different fields
        if e.branch or e.conditional:
            field = None
        for row in (e, e.twin):
            if row is not None and isinstance(row.out, Tensor):
                fields.learn(row.out, field)
        found.append(field)
    for i in blocks:
        e = calls[i]
        if not (e.branch or e.conditional) and isinstance(e.out, Tensor):
            field = fields.read(e.out)
            if e.twin is not None and fields.read(e.twin.out) != field:
                field = None  # the modes' runs return tensors of different fields
            found[i] = field
    return [shown(f) for f in found]  # () (the input itself) is shown as unknown


def _is_block(e: LayerCall) -> bool:
    m = e.value
    return e.module is not None and m is not None and (m.spec is None or bool(m.children) or m.cls is not None)


def _step(fields: _Fields, e: LayerCall) -> Optional[Field]:
    """The field of `e`'s output from its input's, or None."""
    if not isinstance(e.out, Tensor):
        return None
    if e.module is None and is_merge_row(e.op):
        return fields.read(e.out)  # `torch.cat([a, b], 1)`'s row: its merge's field, when there is one
    if not isinstance(e.inp, Tensor):
        return None
    source = fields.read(e.inp)
    before, after = shape_of(e.inp), shape_of(e.out)
    if source is None or before is None or after is None:
        return None
    if e.module is not None:
        m = e.value
        if m is None or not m.exact or m.invalid:
            return None
        if m.kind in KEEPS_POSITIONS:
            return source if after == before else None
        window = layer_window(m.kind, m.params)
    else:
        if keeps_positions_op(e.op):
            return source if after == before else None
        window = op_window(e.op, e.params)
    if window is None or len(before) not in (window[0] + 1, window[0] + 2) or len(after) != len(before):
        return None
    return widen(source or first_field(window[0]), window)
