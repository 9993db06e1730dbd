"""Hover text for a layer: its shapes, the arithmetic behind them, and the fix on it.

The arithmetic is written from the layer's evaluated constructor arguments with
torch's documented formulas (Conv2d, MaxPool2d, ... "Shape" sections). A line is
shown only when the formula, evaluated here, gives the size the engine computed, so
the hover never contradicts the shapes next to it.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ...core.symbolic import Expr, shape_text
from ...torch.kernels import AXES, Formula, conv_size, conv_transpose_size, flattened_size, ntuple, pool_size
from ...torch.modules import LAYERS
from ...torch.spec import functional_layer
from .snapshot import Diag, LayerSite

MAX_CALLS_SHOWN = 4


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _line(formula, L, *args) -> Tuple[str, Optional[int]]:
    """(text, value) of one of the engine's own formulas; the value only for a known size."""
    f: Formula = formula(L if _is_int(L) else Expr.symbol(str(L)), *args)
    return f.text, (f.value if _is_int(L) else None)


def _checked(axis: str, text: str, value, out) -> Optional[str]:
    """`axis: text = out`, when the formula agrees with the engine (or cannot be evaluated)."""
    if value is not None and _is_int(out) and value != out:
        return None
    if value is not None and not _is_int(out):
        return None
    return f"{axis}: {text} = {out}"


def arithmetic(op: str, params: Optional[dict], inp: Optional[list], out: Optional[list]) -> List[str]:
    """The lines of arithmetic that take `inp` to `out` for one layer call (or a functional
    op computing as a layer does: F.max_pool2d as MaxPool2d)."""
    if not params or inp is None or out is None:
        return []
    op = functional_layer(op) or op
    try:
        return _arithmetic(op, params, inp, out)
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return []


def _arithmetic(op: str, p: dict, inp: list, out: list) -> List[str]:
    n = LAYERS[op].dims if op in LAYERS else 0
    lines: List[str] = []
    if op.startswith(("Conv", "ConvTranspose")) and n and len(inp) == len(out) and len(inp) in (n + 1, n + 2):
        ci = len(inp) - n - 1
        lines.append(f"channels: {inp[ci]} in -> out_channels={p.get('out_channels')}")
        k, s, d = ntuple(p.get("kernel_size"), n), ntuple(p.get("stride", 1), n), ntuple(p.get("dilation", 1), n)
        padding = p.get("padding", 0)
        for i in range(n):
            L, o = inp[ci + 1 + i], out[ci + 1 + i]
            axis = AXES[n][i]
            if op.startswith("ConvTranspose"):
                pad, opad = ntuple(padding, n), ntuple(p.get("output_padding", 0), n)
                if k and s and d and pad and opad:
                    line = _checked(axis, *_line(conv_transpose_size, L, k[i], s[i], pad[i], d[i], opad[i]), o)
                    lines += [line] if line else []
            elif padding == "same":
                lines.append(f"{axis}: padding='same' keeps {L} = {o}")
            else:
                pad = (0,) * n if padding == "valid" else ntuple(padding, n)
                if k and s and d and pad:
                    line = _checked(axis, *_line(conv_size, L, k[i], s[i], pad[i], d[i]), o)
                    lines += [line] if line else []
        return lines
    if op.startswith(("MaxPool", "AvgPool")) and n and len(inp) == len(out):
        k = ntuple(p.get("kernel_size"), n)
        stride = p.get("stride")
        s = ntuple(stride if stride not in (None, (), []) else p.get("kernel_size"), n)
        pad = ntuple(p.get("padding", 0), n)
        d = ntuple(p.get("dilation", 1), n) if op.startswith("MaxPool") else (1,) * n
        ceil_mode = p.get("ceil_mode", False) is True
        if not (k and s and pad and d):
            return []
        if stride in (None, (), []):
            lines.append(f"stride defaults to kernel_size={p.get('kernel_size')}")
        first = len(inp) - n
        for i in range(n):
            line = _checked(AXES[n][i], *_line(pool_size, inp[first + i], k[i], s[i], pad[i], d[i], ceil_mode), out[first + i])
            lines += [line] if line else []
        return lines
    if op == "Linear" and inp and out:
        fin, fout = p.get("in_features"), p.get("out_features")
        agree = "matches" if inp[-1] == fin else "does not match"
        return [f"features: receives {inp[-1]} ({agree} in_features={fin}) -> out_features={fout}"]
    if op == "Flatten":
        start, end = p.get("start_dim", 1), p.get("end_dim", -1)
        if _is_int(start) and _is_int(end):
            a, b = start % len(inp), end % len(inp)
            dims = inp[a: b + 1]
            if all(_is_int(x) for x in dims) and a < len(out):
                f = flattened_size(dims)
                if out[a] == f.value:
                    return [f"dims {a}..{b}: {f.text} = {out[a]}"]
        return []
    if op.startswith(("BatchNorm", "InstanceNorm")) and len(inp) >= 2:
        return [f"channels: {inp[1]} (num_features={p.get('num_features')})"]
    if op.startswith(("AdaptiveAvgPool", "AdaptiveMaxPool")):
        return [f"output_size={p.get('output_size')}"]
    return []


def hover_markdown(sites: List[Tuple[LayerSite, List[dict]]], findings: List[Diag]) -> str:
    """Markdown for one layer (as run by each model that uses it): shapes, arithmetic, fixes.

    A layer defined once may run in several models (a block class checked on its own and
    inside a bigger net) or several times (a loop); each distinct in/out pair is shown
    once, and calls whose shapes are unknown only when nothing better is known.
    """
    def is_known(c):
        return c["in"] is not None or c["out"] is not None

    useful = [(s, cs) for s, cs in sites if any(is_known(c) for c in cs)] or sites[:1]
    op = useful[0][0].op
    names = list(dict.fromkeys(s.module or s.op for s, _ in useful))
    models = ", ".join(dict.fromkeys(s.model for s, _ in useful))
    title = f"`{op}`" if names == [op] else ", ".join(f"**{n}**" for n in names) + f" · `{op}`"
    calls = [c for _, cs in useful for c in cs]
    known = [c for c in calls if is_known(c)]
    parts = [f"{title} — shapelint ({models})"]
    shown = set()
    for c in known or calls[:1]:
        key = (repr(c["in"]), repr(c["out"]))
        if key in shown:
            continue
        shown.add(key)
        if len(shown) > MAX_CALLS_SHOWN:
            parts.append("…")
            break
        inp = shape_text(c["in"]) if c["in"] is not None else "unknown"
        out = shape_text(c["out"]) if c["out"] is not None else "unknown"
        block = f"in `{inp}` -> out `{out}`"
        math_lines = arithmetic(op, c["params"], c["in"], c["out"])
        if math_lines:
            block += "\n```\n" + "\n".join(math_lines) + "\n```"
        parts.append(block)
    text = "\n\n".join(parts)
    for d in findings:
        text += f"\n\n---\n\n**{d.code}** {d.message}"
        if d.fix:
            text += f"\n\nFix: {d.fix}"
    return text


def name_markdown(name: str, shapes: List[str]) -> str:
    """A tensor variable in forward: the shape it has there."""
    return f"`{name}` — shapelint\n\n" + "\n".join(f"shape `{s}`" for s in shapes)
