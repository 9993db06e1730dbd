"""Numbers torch refuses at a layer's constructor: float sizes, negative sizes, empty RNNs.

Each entry was asked of torch itself (tests/test_constructor_values.py constructs every
case flagged here and every case accepted): `nn.Linear(64, 32.0)` raises TypeError,
`nn.Conv2d(16, -8, 1)` RuntimeError, `nn.LSTM(4, 0)` ValueError, while a zero width
(`nn.Conv2d(16, 0, 1)`) and a float `num_groups` construct. A norm layer without
parameters or buffers never allocates its size, so its floats pass: the entries say when.
"""

from __future__ import annotations

import libcst as cst

from ..core import rules as R
from ..core.findings import At, Code, Edit
from ..core.values import division_node, is_float_size

# when a norm layer allocates num_features-sized weights or running statistics
def _bn_allocates(p):
    return p.get("affine", True) is not False or p.get("track_running_stats", True) is not False


def _in_allocates(p):
    return p.get("affine", False) is True or p.get("track_running_stats", False) is True


def _gn_allocates(p):
    return p.get("affine", True) is not False


def _always(p):
    return True


# layer -> ((parameter, smallest value torch takes or None: floats only), ...), when the sizes are allocated
_CONV = (("in_channels", 0), ("out_channels", 0), ("kernel_size", 0), ("groups", 1))
_RNN = (("input_size", 1), ("hidden_size", 1))
SIZES = {
    "Linear": ((("in_features", 0), ("out_features", 0)), _always),
    # in1_features=0 raises ValueError, a negative one RuntimeError first: 0 here (no message names the wrong one)
    "Bilinear": ((("in1_features", 0), ("in2_features", 0), ("out_features", 0)), _always),
    "Embedding": ((("num_embeddings", 0), ("embedding_dim", 0)), _always),
    "GroupNorm": ((("num_channels", 0),), _gn_allocates),
    "LayerNorm": ((("normalized_shape", None),), _always),  # negatives pass without elementwise_affine
    "LSTM": (_RNN, _always), "GRU": (_RNN, _always), "RNN": (_RNN, _always),
}
for _n in (1, 2, 3):
    SIZES[f"Conv{_n}d"] = (_CONV, _always)
    SIZES[f"ConvTranspose{_n}d"] = (_CONV, _always)
    SIZES[f"BatchNorm{_n}d"] = ((("num_features", 0),), _bn_allocates)
    SIZES[f"InstanceNorm{_n}d"] = ((("num_features", 0),), _in_allocates)

# what torch raises, by the kind of value
_FLOAT = ("a float", "TypeError")
_NEGATIVE = ("negative", "RuntimeError")
_RNN_KINDS = ("LSTM", "GRU", "RNN")


def _rejected(kind: str, v, least: int):
    """(what, exception) when torch refuses `v` for this parameter, else None."""
    items = v if isinstance(v, tuple) else (v,)
    for item in items:
        if is_float_size(item):
            return _FLOAT
        if least is not None and isinstance(item, int) and not isinstance(item, bool) and item < least:
            if kind in _RNN_KINDS or least == 1:
                return ("not positive", "ValueError")
            return _NEGATIVE
    return None


def _first_float(v):
    items = v if isinstance(v, tuple) else (v,)
    return next((i for i in items if is_float_size(i)), None)


def _floor_hint(value, arg_node):
    """The integer expression that fixes a float, and the edit that writes it (when exact)."""
    div = division_node(value)
    if isinstance(div, cst.BinaryOperation):
        fixed = div.with_changes(operator=cst.FloorDivide())
        exact = isinstance(value, float) and value.is_integer()  # `//` gives the same number, as an int
        edits = [Edit(div, cst.Module(body=[]).code_for_node(fixed))] if exact else []
        return ("use ", Code(fixed)), edits
    if arg_node is not None:
        return ("use int(", Code(arg_node), ") or an integer size"), []
    return "use an integer size", []


def _shown(v):
    if isinstance(v, tuple):
        return "(" + ", ".join(_shown(i) for i in v) + ")"
    div = division_node(v)
    if not isinstance(v, float) and div is not None:
        return Code(div)
    return repr(float(v)) if isinstance(v, float) else str(v)


def check_layer(ctx, m, seen: set) -> bool:
    """Report the first constructor argument of `m` torch rejects; True when one was.

    A float made by `/` is reported at the division (where the fix goes), once per model,
    naming the first constructor it reaches; `seen` holds the divisions reported."""
    entry = SIZES.get(m.kind)
    if entry is None:
        return False
    params, allocates = entry
    if not allocates(m.params):
        return False
    for name, least in params:
        v = m.params.get(name)
        verdict = _rejected(m.kind, v, least)
        if verdict is None:
            continue
        what, exception = verdict
        node = m.param_nodes.get(name)
        where, hint, edits = m.param_node(name), f"{name} must be at least {least}", []
        when = " at construction"
        if verdict is _FLOAT:
            first = _first_float(v)
            (hint, edits), div = _floor_hint(first, node), division_node(first)
            if div is not None:
                if id(div) in seen:
                    return True
                seen.add(id(div))
                where, when = div, (" at construction (", At(m.param_node(name)), ")")
        ctx.report(
            R.RejectedSize.finding(
                where, module=m.name, edits=edits, fix="Divide with //" if edits else None,
                layer=m.kind + (f" `{m.name}`" if m.name else ""),
                param=name, value=_shown(v), what=what, exception=exception, when=when, hint=hint,
            )
        )
        return True
    return False


def check_view_sizes(ctx, site, sizes, op: str) -> bool:
    """`x.view(N, g, C / g, H, W)`: torch raises TypeError for a float size. True when reported."""
    for i, s in enumerate(sizes):
        if is_float_size(s):
            hint, edits = _floor_hint(s, None)
            ctx.report(
                R.RejectedSize.finding(
                    site.node, module=site.name, layer=op, param=f"size {i}", value=_shown(s), edits=edits,
                    fix="Divide with //" if edits else None,
                    what="a float", exception="TypeError", when="", hint=hint,
                )
            )
            return True
    return False
