"""Suppression comments, in ruff's spelling.

- `# noqa: SHP001, SHP002` on the reported line (or the last line of a multi-line
  finding) silences those codes there; a bare `# noqa` silences every code there.
- `# shapelint: noqa` anywhere in a file silences the whole file;
  `# shapelint: noqa: SHP004` silences those codes in the whole file.

The scan reads the source text lines only (no second parse, no tokenizer): it runs
just for files that have findings, and only when "noqa" occurs in the text at all.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

from .findings import Finding

ALL = "*"
_LINE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.IGNORECASE)
_FILE = re.compile(
    r"#\s*(?:shapelint|flake8|ruff)\s*:\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _codes(text: Optional[str]) -> Set[str]:
    if not text:
        return {ALL}
    return {c.upper() for c in re.split(r"[\s,]+", text.strip()) if c}


class Suppressions:
    def __init__(self, source: str):
        self.file_codes: Set[str] = set()
        self.lines: Dict[int, Set[str]] = {}
        if "noqa" not in source and "NOQA" not in source.upper():
            return
        for i, line in enumerate(_NEWLINE.split(source), start=1):
            if "#" not in line:
                continue
            low = line.lower()
            if "noqa" not in low:
                continue
            m = _FILE.search(line)
            if m and m.group(0).lower().lstrip("# \t").startswith("shapelint"):
                self.file_codes |= _codes(m.group("codes"))
                continue
            if m:  # `# flake8: noqa` / `# ruff: noqa` are other tools' file-level switches
                continue
            m = _LINE.search(line)
            if m:
                self.lines.setdefault(i, set()).update(_codes(m.group("codes")))

    def suppresses(self, f: Finding) -> bool:
        if ALL in self.file_codes or f.code in self.file_codes:
            return True
        for line in {f.line, f.end_line}:
            codes = self.lines.get(line)
            if codes and (ALL in codes or f.code in codes):
                return True
        return False


def filter_findings(source: Optional[str], findings: List[Finding]) -> List[Finding]:
    """The findings no comment suppresses (parse and read errors are never suppressed)."""
    if not findings or not source:
        return findings
    sup = Suppressions(source)
    if not sup.file_codes and not sup.lines:
        return findings
    from .rules import REGISTRY

    return [f for f in findings if not REGISTRY[f.code].suppressible or not sup.suppresses(f)]
