"""torch's output-size formulas of the sliding-window layers (conv, transposed conv, pooling).

Every argument may be a number or a symbolic size: a class built nowhere is checked with its
constructor arguments as symbols (engine/symbolic_init.py), so `nn.Conv2d(3, 8, k, padding=p)`
gives `H + 2*p - k + 1`. A formula is kept only where the algebra (core/symbolic.py) holds it
exactly: floor division by a known positive stride is exact for any polynomial; a symbolic stride
of a conv or a pool gives an unknown size, and so does ceil_mode wherever the last-window rule is
not proven to be a no-op.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from ..core.symbolic import Dim, Expr, add, floordiv, is_known, mul


class Formula(NamedTuple):
    """A size torch computes, and the arithmetic that gives it (for the editor's hover)."""

    value: Dim
    text: str


def is_size(v) -> bool:
    """A number, or an expression of known symbols (not a size nobody knows)."""
    return is_known(v) or (isinstance(v, Expr) and not v.is_opaque())


def size_tuple(value, n: int):
    """`ntuple` that also takes symbolic sizes: an int, a size or a sequence of n of them as a
    tuple; None when not statically known."""
    if is_size(value):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(is_size(v) for v in value):
        return tuple(value)
    return None


def below(values, least: int) -> bool:
    """Some known number among `values` is below `least` (torch rejects it itself); a symbol
    is not: which value it takes is unknown."""
    return any(is_known(v) and v < least for v in values)


def all_known(*values) -> bool:
    return all(is_known(v) for v in values)


def effective_kernel(k: Dim, d: Dim) -> Dim:
    """d(k - 1) + 1: the span one window covers."""
    return add(mul(d, add(k, -1)), 1)


def _window(L, k, p, d) -> str:
    return f"{L} + 2*{p} - {k}" if d == 1 else f"{L} + 2*{p} - {d}*({k}-1) - 1"


def conv_size(L: Dim, k: Dim, s: Dim, p: Dim, d: Dim) -> Formula:
    """torch.nn.Conv*d: floor((L + 2p - d(k-1) - 1) / s) + 1 (unknown for a symbolic stride)."""
    opened = add(add(L, mul(2, p)), mul(effective_kernel(k, d), -1))
    return Formula(add(floordiv(opened, s), 1), f"({_window(L, k, p, d)}) // {s} + 1")


def conv_transpose_size(L: Dim, k: Dim, s: Dim, p: Dim, d: Dim, output_padding: Dim) -> Formula:
    """torch.nn.ConvTranspose*d: (L - 1)s - 2p + d(k-1) + output_padding + 1, a polynomial."""
    value = add(add(mul(add(L, -1), s), mul(-2, p)), add(effective_kernel(k, d), output_padding))
    return Formula(value, f"({L} - 1)*{s} - 2*{p} + {d}*({k}-1) + {output_padding} + 1")


def pool_size(L: Dim, k: Dim, s: Dim, p: Dim, d: Dim, ceil_mode: bool) -> Formula:
    """torch's pooling_output_shape, including the ceil_mode last-window rule."""
    if not ceil_mode:
        return conv_size(L, k, s, p, d)
    text = f"ceil(({_window(L, k, p, d)}) / {s}) + 1"
    if not is_known(s):
        return Formula(Expr.opaque("pool"), text)
    eff = effective_kernel(k, d)
    out = add(floordiv(add(add(L, mul(2, p)), add(s - 1, mul(eff, -1))), s), 1)
    if all_known(out, L, p):
        # the last window must start inside the input or the left padding
        if (out - 1) * s >= L + p:
            return Formula(out - 1, text + " - 1 (the last window would start in the padding)")
        return Formula(out, text)
    if s == 1:
        # ceil is floor then, and the rule never fires: it needs p >= d(k-1) + 1, and torch
        # rejects any padding above k/2
        return Formula(out, text)
    if p == 0 and is_known(eff) and s <= eff:
        return Formula(out, text)  # the last window always starts inside the input then
    return Formula(Expr.opaque("pool"), text)


def note_zero_symbols(ctx, paddings, others) -> None:
    """Tell the size search (which takes every symbol to be >= 1) the symbols 0 is a valid value
    of: any in a padding, and any in a kernel, stride or dilation that is more than one symbol
    alone (`k + 1` at k = 0 is a kernel of 1; a kernel of k = 0 torch rejects itself)."""
    for v in paddings:
        ctx.allow_zero(v)
    for v in others:
        if isinstance(v, Expr) and not _one_symbol(v):
            ctx.allow_zero(v)


def _one_symbol(e: Expr) -> bool:
    (mono, coeff), *rest = e.terms
    return not rest and coeff == 1 and len(mono) == 1 and mono[0][0] == "s"


def needed_input(eff: Dim, p: Dim) -> Optional[int]:
    """The least input size that gives an output (for a message), when it is a number."""
    spare = add(eff, mul(-2, p))
    return max(spare, 1) if is_known(spare) else None
