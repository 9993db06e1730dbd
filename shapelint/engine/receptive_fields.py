"""The receptive field and jump of each explain row, along the tensors forward passes on.

A row's field is known only when its input is the model's input, or the output of a row
whose field is known, and the row is a window (`torch.receptive.layer_window`) or keeps
positions. Rows are read in execution order; a tensor is followed by identity (the
engine's values, which the rows keep alive). Unknown is absorbing:

- a tensor that no row made (an operator such as `x + y`, an op without a row) is unknown;
  `x * 2` is the engine's `x` itself (kernels.binary), rightly: it reads one position;
- a row on one side of an undecided branch, or of one mode only, is unknown, and so is what
  it returns (after the branch, a name both sides bound to equal shapes holds one side's
  tensor, whose field may be the other side's wrong);
- a call made in both training and eval mode is known only when both runs give the same field;
- a tensor given two different fields is unknown from then on.

A block (a container, the user's module) has the field of the tensor it returns.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ..core.values import Tensor
from ..torch.receptive import KEEPS_POSITIONS, Field, first_field, keeps_positions_op, layer_window, op_window, widen
from .context import LayerCall, shape_of

_CONFLICT = None  # a tensor whose field is not known (kept, so that no later row makes it known again)


def receptive_fields(calls: List[LayerCall], model_input) -> List[Optional[Field]]:
    """One entry per row of `calls`: its output's (size, jump) per spatial dimension, or None."""
    known: Dict[int, Optional[Field]] = {}
    if isinstance(model_input, Tensor):
        known[id(model_input)] = ()  # no spatial dimension fixed yet: a window decides how many
    found: List[Optional[Field]] = []
    blocks = []
    for i, e in enumerate(calls):
        if _is_block(e):
            blocks.append(i)
            found.append(None)
            continue
        field = _step(known, e)
        if field is not None and e.twin is not None and _step(known, e.twin) != field:
            field = None  # training and eval mode reach this call with different fields
        if e.branch or e.conditional:
            field = None
        for row in (e, e.twin):
            if row is not None and isinstance(row.out, Tensor):
                _learn(known, row.out, field)
        found.append(field)
    for i in blocks:
        e = calls[i]
        if not (e.branch or e.conditional) and isinstance(e.out, Tensor):
            found[i] = known.get(id(e.out))
    return [f if f else None for f in found]  # () (the input itself) is shown as unknown


def _learn(known: Dict[int, Optional[Field]], tensor: Tensor, field: Optional[Field]) -> None:
    key = id(tensor)
    if key in known and known[key] != field:
        known[key] = _CONFLICT
    else:
        known[key] = field


def _is_block(e: LayerCall) -> bool:
    m = e.value
    return e.module is not None and m is not None and (m.spec is None or bool(m.children) or m.cls is not None)


def _step(known: Dict[int, Optional[Field]], e: LayerCall) -> Optional[Field]:
    """The field of `e`'s output from its input's, or None."""
    if not isinstance(e.inp, Tensor) or not isinstance(e.out, Tensor):
        return None
    source = known.get(id(e.inp))
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
