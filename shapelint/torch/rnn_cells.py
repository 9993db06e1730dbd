"""nn.RNNCell, nn.GRUCell, nn.LSTMCell: one step of a recurrent layer (decoder loops, Tacotron2).

forward(input, hx=None), torch 2.13 (RNNCellBase): input is (N, input_size) or unbatched
(input_size,); any other rank raises ValueError. torch raises where input's last size is not
input_size (SHP002 here, as for nn.Linear) and where the state is not (N, hidden_size) ((hidden_size,)
unbatched): SHP006 where it certainly differs. RNNCell / GRUCell return h' (N, hidden_size);
LSTMCell takes hx = (h, c) and returns (h', c'). Parameters: weight_ih (g*H, I), weight_hh (g*H, H)
and, with bias, two (g*H,) biases, g = 1, 3, 4 gates.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import Expr, is_known, shape_text, size_or_opaque
from ..core.values import Tensor, Unknown
from .kernels import bind, input_shape, made_by, ok_equal, origin_parts, param_edit, rank_error
from .sequence_ops import differ
from .spec import REQUIRED, LayerSpec

GATES = {"RNNCell": 1, "GRUCell": 3, "LSTMCell": 4}
_COMMON = (("input_size", REQUIRED), ("hidden_size", REQUIRED), ("bias", True))
_TAIL = (("device", None), ("dtype", None))


def _sized(v) -> bool:
    return is_known(v) or (isinstance(v, Expr) and not v.is_opaque())


def cell_forward(ctx, m, x):
    isz, hsz = m.params.get("input_size"), m.params.get("hidden_size")
    if not (_sized(isz) and _sized(hsz)):
        return Unknown("cell arguments")
    if x.pending:
        ctx.assume_rank()  # (N, input_size) is a guess: the input may be unbatched
    shape = input_shape(ctx, m, x, lambda: ((ctx.batch, isz), (None, None)))
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) not in (1, 2):
        return rank_error(ctx, m, x, "1-D (unbatched) or 2-D (batched)", f"{m.kind} reads (N, input_size) or (input_size,)")
    if is_known(isz) and not ok_equal(ctx, shape[-1], isz, f"{m.label()} input_size"):
        ctx.report(R.InFeaturesMismatch.finding(
            m.param_node("input_size"), module=m.name, layer=m.label(), expected=isz, param="input_size",
            actual=ctx.show(shape[-1]), origin=origin_parts(x, len(shape) - 1), hint=f"use input_size={ctx.show(shape[-1])}",
            edits=param_edit(m, "input_size", shape[-1]), fix=f"Set input_size={shape[-1]}"))
        return Unknown("input_size mismatch")
    h = Tensor(shape[:-1] + (size_or_opaque(hsz, "h"),), x.prov[:-1] + (made_by(m, f"hidden_size={hsz}"),))
    return (h, Tensor(h.shape, h.prov)) if m.kind == "LSTMCell" else h


def _state_fits(ctx, m, node, which: str, state, expected: tuple) -> bool:
    """False (after a report) when `state` certainly has another shape than torch wants."""
    if not isinstance(state, Tensor) or state.shape is None:
        return True
    shape = tuple(state.shape)
    if len(shape) != len(expected) or any(differ(ctx, a, b) for a, b in zip(shape, expected)):
        ctx.report(R.ShapeMismatch.finding(
            node, module=m.name, op=m.label(),
            detail=f"the state {which} has shape {shape_text(shape)}, but {m.kind} expects {shape_text(expected)} "
                   f"(batch, hidden_size)"))
        return False
    return True


def cell_after(ctx, m, args, kwargs, node, out):
    """torch's check of hx; the outputs (which do not depend on it) where it passes."""
    b = bind(list(args), dict(kwargs), ["input", "hx"], {"hx": None})
    if b is None:
        return Unknown("cell arguments")
    hx = b["hx"]
    if hx is None or isinstance(hx, Unknown) or isinstance(out, Unknown):
        return out
    expected = tuple((out[0] if isinstance(out, tuple) else out).shape)
    if m.kind == "LSTMCell":
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            return Unknown("LSTMCell state not a pair")
        pairs = [("h", hx[0]), ("c", hx[1])]
    else:
        if not isinstance(hx, Tensor):
            return Unknown("cell state not a tensor")
        pairs = [("hx", hx)]
    for which, state in pairs:
        if not _state_fits(ctx, m, node, which, state, expected):
            return Unknown("cell state mismatch")
    return out


def cell_parameters(m):
    """(weights, biases) counts of a cell, or None when its sizes are not numbers."""
    g = GATES[m.kind]
    isz, hsz, bias = m.params.get("input_size"), m.params.get("hidden_size"), m.params.get("bias")
    if not (type(isz) is int and type(hsz) is int and type(bias) is bool):
        return None
    return g * hsz * (isz + hsz) + (2 * g * hsz if bias else 0)


LAYERS = {
    "RNNCell": LayerSpec("RNNCell", _COMMON + (("nonlinearity", "tanh"),) + _TAIL, cell_forward, after=cell_after),
    "GRUCell": LayerSpec("GRUCell", _COMMON + _TAIL, cell_forward, after=cell_after),
    "LSTMCell": LayerSpec("LSTMCell", _COMMON + _TAIL, cell_forward, after=cell_after),
}
