"""One finding per defect: an error that only follows from an earlier one is folded into it
(issue 16.5).

`SqueezeExcite(in_chs, ...)` given 24 where the block has 96 channels: torch raises at
conv_reduce (24 input channels expected, 96 arrive). The engine goes on with conv_expand's 24
output channels, and `x * self.gate(x_se)` then fails to broadcast 96 against 24: a second
error whose incoming 24 comes from the very place the first error is reported. Torch never
reaches it, and fixing the first removes it. So an error (after positions are resolved) one of
whose related locations is exactly where an earlier error is reported, at another place than
it, becomes a related location of that earlier error. An error of one training mode is folded
only into an error of the same mode (an error of both modes is not a consequence of one mode's).

The same op failing again, at the same place with the same rule, on other sizes that read a size
written at the same place (a Swin `window_partition` view, run once per block with the one wrong
`window_size=3`) is that defect again: the first says how many more calls fail.
"""

from __future__ import annotations

import re
from typing import List

from ..core.findings import Finding, Related
from .size_origins import PASSED_AS

_MODE = re.compile(r"^in (training|eval) mode only: ")


def _where(f: Finding) -> tuple:
    return (f.path, (f.line, f.column, f.end_line, f.end_column), f.cell)


def _mode(f: Finding):
    m = _MODE.match(f.message)
    return m.group(1) if m else None


def fold(findings: List[Finding]) -> List[Finding]:
    """The findings (in the order they were reported) less the errors that follow from an
    earlier error; each is named, with its message, as a related location of that error."""
    first_at: dict = {}
    again: dict = {}  # id(first finding) -> [it, how many calls fail again]
    out = []
    for f in findings:
        if f.severity == "error":
            same = first_at.get(_where(f))
            if same is not None and same is not f and same.code == f.code and _mode(same) == _mode(f) \
                    and _written_at(same) & _written_at(f):
                again.setdefault(id(same), [same, 0])[1] += 1
                if same.edits or f.edits:  # an edit for the first call's sizes may not fit the others'
                    same.edits, same.fix = [], None
                continue
            cause = next((first_at[k] for k in ((r.path, r.range, r.cell) for r in f.related) if k in first_at), None)
            if cause is not None and _where(cause) != _where(f) and _mode(cause) == _mode(f):
                if all((r.path, r.range, r.cell) != _where(f) for r in cause.related):
                    cause.related.append(Related(f"which then fails here too ({f.code}): {_short(f.message)}",
                                                 f.node, f.path, _where(f)[1], f.cell))
                continue
            first_at.setdefault(_where(f), f)
        out.append(f)
    for first, n in again.values():
        first.message += f" (and {n} more call{'s' if n > 1 else ''} with other sizes)"
    return out


def _written_at(f: Finding) -> set:
    return {(r.path, r.range, r.cell) for r in f.related if PASSED_AS in r.message}


def _short(message: str, limit: int = 120) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
