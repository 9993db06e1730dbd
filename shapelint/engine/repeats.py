"""One finding per defect: blocks built by the same code share its finding.

`nn.Sequential(*[Block(a, b) for a, b in CFG])` builds three blocks from one `BatchNorm2d(cout * 2)`;
each block's check finds the same wrong line, and a report of three identical errors there
reads as three defects. Findings of the same rule at the same source range that concern
different submodules become one: the first, with the others named at the end of its message.
Its edit is kept when every copy asks for the same edit; copies that ask for different values
(blocks of different widths) have no single fix, so the merged finding offers none.
"""

from __future__ import annotations

import re
from typing import Dict, List

from ..core.findings import Finding
from ..core.values import written_name

NAMED = 3  # the other submodules a message names; more are counted
_MODE = re.compile(r"^in (training|eval) mode only: ")


def merge_repeats(findings: List[Finding]) -> List[Finding]:
    groups: Dict[tuple, List[Finding]] = {}
    order = []
    for f in findings:
        key = (f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.cell) if f.module else (id(f),)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    return [_merged(groups[k]) for k in order]


def _merged(copies: List[Finding]) -> Finding:
    first = copies[0]
    others = list(dict.fromkeys(f.module for f in copies[1:] if f.module != first.module))
    if not others:
        return first
    shown = [written_name(m) for m in others[:NAMED] if not m.split(".")[0].isdigit()]
    more = len(others) - len(shown)
    names = ", ".join(shown) + (f" and {more} more" if shown and more else f"{more} more" if more else "")
    own = " with their own sizes" if len({_gist(f) for f in copies}) > 1 else ""
    first.message += f" (the same in {names}{own}, built by this code)" if shown else f" (the same in {names} submodules{own} built by this code)"
    if any(_edits(f) != _edits(first) for f in copies[1:]):
        first.edits, first.fix = [], None
    for f in copies[1:]:
        for r in f.related:
            if all((r.path, r.range) != (o.path, o.range) for o in first.related):
                first.related.append(r)
    return first


def _gist(f: Finding) -> str:
    """The message without the submodule's own name and the training-mode prefix: copies whose
    gists differ report other numbers (a block of another width)."""
    text = _MODE.sub("", f.message)
    return text.replace(written_name(f.module), "").replace(f.module, "") if f.module else text


def _edits(f: Finding) -> tuple:
    return tuple((e.text, e.line, e.column, e.end_line, e.end_column, e.cell) for e in f.edits)
