"""Float arithmetic on sizes whose value is still an integer size expression.

Python's `/` always gives a float, and sizes times a float (`num_tokens * capacity_factor`) are
floats too; MoE capacities and similar widths are such floats rounded back with `int()`,
`math.ceil` or `math.floor` (`2 * math.ceil(num_tokens / num_experts * 1.0)`). Where the value is
certainly the integer expression E (a float whose exact binary fraction p/q makes `E * p / q`
an integer expression), the result is an ExactQuotient of E: still a float that torch rejects as
a size, whose int()/ceil()/floor()/trunc() is E. Anything else stays unknown.

Exactness: a float is the fraction p/q with q a power of two; an IEEE product or quotient is
the exact value rounded once, so an exact integer result (below 2**53) comes out exactly.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

from ..core.symbolic import Expr, exact_div
from ..core.values import ExactQuotient, Unknown

_MAX_PART = 2 ** 53
ROUNDING = ("ceil", "floor", "trunc")


def _ratio(v) -> Optional[Tuple[int, int]]:
    """A plain number as the fraction p/q (q > 0) it is exactly; None for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return (v, 1) if abs(v) < _MAX_PART else None
    if isinstance(v, float) and math.isfinite(v):
        p, q = v.as_integer_ratio()
        return (p, q) if abs(p) < _MAX_PART and q < _MAX_PART else None
    return None


def _size(v):
    """The integer expression a size-like operand stands for: an Expr, or an ExactQuotient's value."""
    if isinstance(v, ExactQuotient):
        return v.exact
    if isinstance(v, Expr):
        return v
    return None


def applies(a, b) -> bool:
    """Float arithmetic on a size: an ExactQuotient operand, or an Expr with a float."""
    if isinstance(a, ExactQuotient) or isinstance(b, ExactQuotient):
        return True
    return (isinstance(a, Expr) and isinstance(b, float)) or (isinstance(b, Expr) and isinstance(a, float))


def arith(op: str, a, b):
    """`a <op> b` (libcst's operator name) where one side is a size and the result a float."""
    sa, sb = _size(a), _size(b)
    if sa is not None and sb is not None:
        return _of(sa + sb if op == "Add" else sa - sb if op == "Subtract" else sa * sb if op == "Multiply" else None)
    size, other, size_first = (sa, b, True) if sa is not None else (sb, a, False)
    r = _ratio(other)
    if size is None or r is None:
        return Unknown("float arithmetic on sizes")
    p, q = r
    if op == "Multiply":
        return _of(exact_div(size * p, q))
    if op in ("Add", "Subtract") and q == 1:
        return _of(size + p if op == "Add" else (size - p if size_first else p - size))
    if op == "Divide" and size_first and p > 0:
        return _of(exact_div(size * q, p))
    return Unknown("float arithmetic on sizes")


def _of(value):
    if value is None:
        return Unknown("float arithmetic on sizes: not an integer")
    return ExactQuotient(value, "float arithmetic on sizes")


def rounded(name: str, args):
    """math.ceil/floor/trunc of a float that is an integer expression (or of an int Expr): that expression."""
    if name in ROUNDING and len(args) == 1 and isinstance(args[0], (ExactQuotient, Expr)):
        return _size(args[0])
    return None
