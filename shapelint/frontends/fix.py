"""Applying the edits findings carry, byte for byte safe.

Edits are spliced into the original text by position (1-based line and code-point
column, as libcst reports them), so every other byte (CRLF, tabs, comments, a BOM,
the file's encoding) stays as it was. A fix is kept only when the engine, re-checking
the fixed text (never running it), no longer reports that finding; fixing one layer
can expose the next, so rounds repeat until nothing changes.

Writing never loses a save made meanwhile (shapelint.frontends.safe_replace: a locked,
checked, atomic swap, undone and refused when the file changed since it was read);
the written file is read back and parsed again.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

from ..core.findings import Edit, Finding

_NEWLINE = re.compile(r"\r\n|\r|\n")
MAX_ROUNDS = 6


class FixError(Exception):
    """The fix could not be written; the user's file is untouched."""


@dataclass
class FixOutcome:
    text: str
    fixed: List[Finding] = field(default_factory=list)

    def changed(self, original: str) -> bool:
        return self.text != original


def _line_starts(text: str) -> List[int]:
    starts = [0]
    for m in _NEWLINE.finditer(text):
        starts.append(m.end())
    return starts


def _offset(starts: List[int], text: str, line: int, column: int) -> int:
    if line < 1 or line > len(starts) or column < 1:
        raise ValueError("edit outside the file")
    off = starts[line - 1] + column - 1
    if off > len(text):
        raise ValueError("edit outside the file")
    return off


def splice(text: str, edits: Sequence[Edit]) -> str:
    """Replace each edit's range; edits must not overlap."""
    starts = _line_starts(text)
    spans = sorted(
        ((_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e.text) for e in edits),
        key=lambda s: s[0],
    )
    out, pos = [], 0
    for a, b, new in spans:
        if a < pos or b < a:
            raise ValueError("overlapping edits")
        out.append(text[pos:a])
        out.append(new)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def fixable(f: Finding) -> bool:
    return bool(f.edits) and all(e.line >= 1 and e.column >= 1 for e in f.edits)


def _identity(f: Finding, line_shift: Callable[[int], int]) -> Tuple[str, int]:
    return (f.code, line_shift(f.line))


def _choose(findings: Sequence[Finding]) -> List[Finding]:
    """Fixable findings whose edits do not overlap one another (first come, first served)."""
    chosen, taken = [], []
    for f in findings:
        if not fixable(f):
            continue
        ranges = [((e.line, e.column), (e.end_line, e.end_column)) for e in f.edits]
        if any(not (b <= c or d <= a) for a, b in ranges for c, d in taken):
            continue
        if any(not (b <= c or d <= a) for i, (a, b) in enumerate(ranges) for c, d in ranges[i + 1:]):
            continue
        chosen.append(f)
        taken.extend(ranges)
    return chosen


def _shifter(edits: Sequence[Edit]):
    """Map a line of the old text to the new text's line (edits may add or remove lines)."""
    deltas = sorted(
        (e.end_line, len(_NEWLINE.findall(e.text)) - (e.end_line - e.line)) for e in edits
    )

    def shift(line: int) -> int:
        return line + sum(d for end, d in deltas if end < line)

    return shift


def fix_text(text: str, check: Callable[[str], List[Finding]], findings: List[Finding] = None) -> FixOutcome:
    """Apply every fix the re-check confirms; `check(text)` returns the findings of a text."""
    outcome = FixOutcome(text)
    current = findings if findings is not None else check(text)
    for _ in range(MAX_ROUNDS):
        candidates = _choose(current)
        accepted = None
        while candidates:
            edits = [e for f in candidates for e in f.edits]
            try:
                new_text = splice(outcome.text, edits)
            except ValueError:
                return outcome
            new_findings = check(new_text)
            if any(f.code == "SHP100" for f in new_findings):
                candidates = []  # an edit broke the syntax: keep nothing from this round
                break
            shift = _shifter(edits)
            still = {(f.code, f.line) for f in new_findings}
            bad = [f for f in candidates if _identity(f, shift) in still]
            if not bad:
                accepted = (new_text, new_findings)
                break
            candidates = [f for f in candidates if f not in bad]
        if accepted is None or accepted[0] == outcome.text:
            break
        outcome.fixed.extend(candidates)
        outcome.text, current = accepted
    return outcome


def encoding_of(data: bytes) -> str:
    try:
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        enc = "utf-8"
    return enc


def encode_like(original: bytes, text: str) -> bytes:
    """Encode text as the original file was encoded (utf-8-sig keeps a BOM)."""
    enc = encoding_of(original)
    if enc == "utf-8-sig" or original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(enc)


def fix_notebook(nb, path: str, check: Callable[[object], List[Finding]], findings: List[Finding]):
    """fix_text over a notebook's Python (shapelint.core.notebook): `check(notebook)` gives
    findings in cell coordinates. Returns (the fixed notebook or None, the findings fixed);
    only the cells whose text changed are rewritten, magic lines as they were."""
    from ..core import rules as R
    from ..core.notebook import NotebookError, to_python

    def check_text(text: str) -> List[Finding]:
        try:
            fixed = nb.with_python(text)
        except NotebookError as e:  # keep nothing from this round
            f = R.SyntaxErrorRule.finding(None, detail=str(e))
            f.resolve(lambda n: None)
            return [f]
        return to_python(fixed, check(fixed), path)

    done = fix_text(nb.python, check_text, to_python(nb, findings, path))
    if not done.changed(nb.python):
        return None, []
    return nb.with_python(done.text), done.fixed


def write_atomic(path: str, original: bytes, new_data: bytes, read_stat: Optional[os.stat_result] = None,
                 notebook: bool = False) -> None:
    """Replace path's contents with new_data, unless the file changed since it was read
    (original, with read_stat taken then); see shapelint.frontends.safe_replace."""
    from .safe_replace import ReplaceRefused, replace_file

    try:
        replace_file(path, original, new_data, read_stat)
    except ReplaceRefused as e:
        raise FixError(str(e)) from None
    _reparse(path, new_data, notebook)


def _reparse(path: str, expected: bytes, notebook: bool = False) -> None:
    import libcst as cst

    from ..core.source import decode_source

    with open(path, "rb") as fh:
        data = fh.read()
    if data != expected:
        raise FixError(f"{path} changed right after shapelint wrote it; check it by hand")
    try:
        if notebook:
            from ..core.notebook import Notebook

            cst.parse_module(Notebook.parse(data).python)
        else:
            cst.parse_module(decode_source(data))
    except Exception as e:  # never expected: the fixed text parsed before writing
        raise FixError(f"{path} no longer parses after fixing ({e}); please report this") from None


def unified_diff(path: str, old: str, new: str) -> str:
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)
