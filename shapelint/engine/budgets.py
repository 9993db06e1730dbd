"""Size budgets for the values the interpreter builds (issue 15.1).

Model code never needs a string, list or tuple longer than MAX_SEQ or a formatted field wider
than MAX_WIDTH; a hostile file (`S = S + S` forty times, `"{:1000000000}".format(0)`) would
otherwise make the linter allocate gigabytes. Every check runs BEFORE the allocation, from the
operands' sizes; over budget the value is unknown (the reason says which budget), never an
exception or a large allocation.
"""

from __future__ import annotations

import re
import string
from typing import Optional

from ..core.values import Unknown
from .frame import MAX_SEQ

MAX_WIDTH = 10_000  # a format width or precision
_NUMBERS = re.compile(r"\d+")
_PERCENT_FIELD = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def over(n: int, what: str) -> Optional[Unknown]:
    """Unknown when a result of `n` items would exceed the budget, else None."""
    if n > MAX_SEQ:
        return Unknown(f"{what} over shapelint's size budget ({MAX_SEQ:,} items)")
    return None


def seq_len(v) -> int:
    return len(v) if isinstance(v, (str, list, tuple, bytes)) else 0


def concat(a, b) -> Optional[Unknown]:
    """`a + b` of sequences."""
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        return over(len(a) + len(b), "a concatenation")
    return None


def spec_ok(spec: str) -> bool:
    """A format spec whose widths and precisions are within budget (no nested fields)."""
    return "{" not in spec and all(int(n) <= MAX_WIDTH for n in _NUMBERS.findall(spec))


def format_ok(template: str, args, kwargs) -> Optional[Unknown]:
    """`template.format(*args, **kwargs)` within budget: every spec's width, and the total size."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return Unknown("a format string Python rejects")
    for _literal, name, spec, _conv in fields:
        if name is not None and spec and not spec_ok(spec):
            return Unknown(f"a format width over shapelint's budget ({MAX_WIDTH:,})")
    total = len(template) + sum(seq_len(a) for a in args) * max(1, len(fields)) + sum(seq_len(v) for v in kwargs.values())
    return over(total, "a formatted string")


def percent_ok(template: str, values) -> Optional[Unknown]:
    """`template % values` within budget."""
    values = values if isinstance(values, tuple) else (values,)
    for m in _PERCENT_FIELD.finditer(template):
        for group in (m.group(1), m.group(2)):
            if group is not None and group != "*" and int(group) > MAX_WIDTH:
                return Unknown(f"a format width over shapelint's budget ({MAX_WIDTH:,})")
    if "*" in template and any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_WIDTH for v in values):
        return Unknown(f"a format width over shapelint's budget ({MAX_WIDTH:,})")
    if isinstance(values, dict):
        return None
    return over(len(template) + sum(seq_len(v) for v in values), "a formatted string")


def join_ok(sep: str, items) -> Optional[Unknown]:
    if not isinstance(items, (list, tuple)):
        return None
    return over(sum(seq_len(v) for v in items) + len(sep) * max(len(items) - 1, 0), "a joined string")


def replace_ok(s: str, old, new) -> Optional[Unknown]:
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    count = len(s) + 1 if old == "" else s.count(old)
    return over(len(s) + count * (len(new) - len(old)), "a replaced string")
