"""An RNN / LSTM / GRU called with an initial state: `lstm(x, (h0, c0))`, `gru(x, h0)` (issue 11.1).

torch (RNNBase.check_forward_args) wants h0 of shape (num_layers * num_directions, N,
H_out), H_out = proj_size for an LSTM with a projection, else hidden_size, and c0 of
(num_layers * num_directions, N, hidden_size); unbatched (2-D) input drops N, and the
state must then be 2-D too. The outputs do not depend on the state: torch runs only when
it has exactly that shape, so the layer's rule gives them; a state that certainly differs
is an SHP006 finding. A state shapelint cannot read is left alone (no finding).
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import shape_text
from ..core.values import Tensor, Unknown
from .sequence_ops import differ


_BAD = object()  # arguments torch's forward does not take


def _state_arg(args, kwargs):
    if len(args) > 2 or any(k not in ("input", "hx") for k in kwargs):
        return _BAD
    if len(args) == 2:
        return args[1]
    return kwargs.get("hx")


def _check(ctx, m, node, which: str, state, expected) -> bool:
    """False (after a report) when `state` certainly does not have the `expected` shape."""
    if not isinstance(state, Tensor) or state.shape is None:
        return True
    shape = tuple(state.shape)
    if len(shape) != len(expected) or any(differ(ctx, a, b) for a, b in zip(shape, expected)):
        ctx.report(R.ShapeMismatch.finding(
            node, module=m.name, op=m.label(),
            detail=f"the initial state {which} has shape {shape_text(shape)}, but {m.kind} expects "
                   f"{shape_text(expected)} (num_layers * num_directions, batch, "
                   f"{'proj_size or hidden_size' if which == 'h0' and m.kind == 'LSTM' else 'hidden_size'})"))
        return False
    return True


def check_rnn_state(ctx, m, args, kwargs, node, out):
    """The layer's `after`: torch's check of the initial state; the outputs where it passes."""
    state = _state_arg(args, kwargs)
    if state is _BAD:
        return Unknown("rnn arguments")
    if state is None or isinstance(state, Unknown) or not isinstance(out, tuple):
        return out  # where torch runs, the outputs are these whatever the state
    expected = out[1]
    if m.kind == "LSTM":
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            return out
        pairs = [("h0", state[0], expected[0]), ("c0", state[1], expected[1])]
    else:
        if not isinstance(state, Tensor):
            return out
        pairs = [("h0", state, expected)]
    for which, s, e in pairs:  # torch checks h0 first, and raises there
        if not _check(ctx, m, node, which, s, tuple(e.shape)):
            return Unknown("initial state mismatch")
    return out
