"""Jupyter notebooks (.ipynb) as Python source, and back.

A notebook is checked as the module "Run All" would execute: its code cells in order.
`Notebook.python` is that module's text, each cell after a marker line, with every
line of a cell kept at its place so that a position maps back to (cell, line in cell)
exactly, column for column. What is not Python is replaced, line for line, by `pass`
at the same indentation: line magics (`%matplotlib inline`), shell escapes (`!pip ...`,
`files = !ls`), help (`obj?`), and the first line of a Python cell magic (`%%time`).
Other cell magics (`%%bash`, `%%html`, ...), markdown and raw cells are left out.

Reading uses the json module (importing nbformat costs more than checking a small
model; tests validate the notebooks written here with nbformat). `rewrite` gives the
notebook's JSON text with only the changed cells' `source` values replaced, so every
other byte (outputs, metadata, indentation, key order, the final newline) is kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

SUFFIX = ".ipynb"
MARKER = "#%% shapelint-cell "  # + the cell's number; a comment, never a statement
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}  # their body is Python
_LINE_MAGIC = re.compile(r"[ \t]*(?:[%!]|\?)")
_ASSIGN_MAGIC = re.compile(r"[ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*[%!]")
_HELP = re.compile(r"[ \t]*[A-Za-z_][\w.]*\?{1,2}[ \t]*")
_CODE_ONLY = re.compile(r"#.*|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")
_WS = re.compile(r"[ \t\n\r]*")


def is_notebook(path: Optional[str]) -> bool:
    return bool(path) and path.endswith(SUFFIX)


class NotebookError(Exception):
    """Not a notebook shapelint can read (said as a phrase)."""


@dataclass
class Cell:
    number: int  # 1-based, its place in the notebook's `cells` list (markdown cells count)
    source: str  # as stored, lines joined
    python: bool = False  # checked as Python
    lines: List[str] = field(default_factory=list)  # the source's lines as checked (magics -> pass)
    span: Optional[Tuple[int, int]] = None  # where the `source` value is in the JSON text
    start: int = 0  # 1-based line of its first line in Notebook.python

    @property
    def original_lines(self) -> List[str]:
        return self.source.split("\n")


def _python_lines(source: str) -> Optional[List[str]]:
    """The cell's lines with what is not Python made `pass`; None for a non-Python cell."""
    lines = source.split("\n")
    if source.endswith("\n"):
        lines.pop()
    out: List[str] = []
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        name = first[2:].split()[0] if first[2:].split() else ""
        if name not in PYTHON_CELL_MAGICS:
            return None
    depth, continued, in_magic = 0, False, False
    for i, line in enumerate(lines):
        stmt_start = depth == 0 and not continued
        magic = in_magic or (stmt_start and (
            (i == 0 and first.startswith("%%")) or _LINE_MAGIC.match(line) is not None
            or _ASSIGN_MAGIC.match(line) is not None or _HELP.fullmatch(line) is not None))
        if magic:
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            out.append("" if in_magic else indent + "pass")  # a continued magic's next lines: blank
            in_magic = line.rstrip().endswith("\\")
            continue
        code = _CODE_ONLY.sub("", line)
        depth = max(0, depth + sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}"))
        continued = code.rstrip().endswith("\\")
        out.append(line)
    return out


# ------------------------------------------------------------------ JSON positions


def _skip(s: str, i: int) -> int:
    """The end of the JSON value starting at i."""
    c = s[i]
    if c == '"':
        m = _STRING.match(s, i)
        if m is None:
            raise NotebookError("an unterminated string")
        return m.end()
    if c in "[{":
        depth = 0
        for m in _TOKEN.finditer(s, i):
            t = m.group()
            if t in "[{":
                depth += 1
            elif t in "]}":
                depth -= 1
                if depth == 0:
                    return m.end()
        raise NotebookError("unbalanced brackets")
    m = _SCALAR.match(s, i)
    if m is None:
        raise NotebookError("a value is missing")
    return m.end()


def _ws(s: str, i: int) -> int:
    return _WS.match(s, i).end()


def _members(s: str, i: int):
    """(key, value start, value end) of the object at i."""
    import json

    i = _ws(s, i + 1)
    while i < len(s) and s[i] != "}":
        end = _skip(s, i)
        key = json.loads(s[i:end])
        i = _ws(s, _ws(s, end) + 1)  # past the colon
        vend = _skip(s, i)
        yield key, i, vend
        i = _ws(s, vend)
        if i < len(s) and s[i] == ",":
            i = _ws(s, i + 1)


def _items(s: str, start: int, end: int) -> List[Tuple[int, int]]:
    out, i = [], _ws(s, start + 1)
    while i < end - 1:
        e = _skip(s, i)
        out.append((i, e))
        i = _ws(s, e)
        if s[i] == ",":
            i = _ws(s, i + 1)
    return out


def _source_spans(raw: str) -> List[Optional[Tuple[int, int]]]:
    i = _ws(raw, 0)
    for key, a, b in _members(raw, i):
        if key == "cells":
            spans = []
            for ca, _cb in _items(raw, a, b):
                spans.append(next(((sa, sb) for k, sa, sb in _members(raw, ca) if k == "source"), None))
            return spans
    return []


def _raw_offset(raw: str, span: Tuple[int, int], index: int) -> int:
    """The offset in raw of the index-th decoded character of the source value at span."""
    a, b = span
    tokens = [span] if raw[a] == '"' else _items(raw, a, b)
    seen = 0
    for ta, tb in tokens:
        i = ta + 1
        while i < tb - 1:
            if seen == index:
                return i
            if raw[i] == "\\":
                step = 6 if raw[i + 1] == "u" else 2
                if raw[i + 1] == "u" and 0xD800 <= int(raw[i + 2:i + 6], 16) < 0xDC00:
                    step = 12  # a surrogate pair is one character
                i += step
            else:
                i += 1
            seen += 1
    return max(a, b - 2)


# ------------------------------------------------------------------ the notebook


class Notebook:
    """A notebook's cells, its Python text, and the way back to cells and to its JSON."""

    def __init__(self, cells: List[Cell], raw: Optional[str] = None, ascii_only: bool = True):
        self.cells = cells
        self.raw = raw
        self.ascii_only = ascii_only
        self._changed: set = set()  # cells whose source with_python replaced
        parts: List[str] = []
        line = 1
        self._starts: List[int] = []
        self._code: List[Cell] = []
        for c in cells:
            if not c.python:
                continue
            parts.append(f"{MARKER}{c.number}\n")
            c.start = line + 1
            parts.extend(ln + "\n" for ln in c.lines)
            line += 1 + len(c.lines)
            self._starts.append(c.start)
            self._code.append(c)
        self.python = "".join(parts)
        self._by_number: Dict[int, Cell] = {c.number: c for c in cells}

    # -- reading
    @classmethod
    def parse(cls, data) -> "Notebook":
        import json

        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                raise NotebookError(f"a notebook must be UTF-8 JSON ({e.reason})") from None
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError) as e:
            raise NotebookError(f"not valid notebook JSON ({e})") from None
        raw_cells = doc.get("cells") if isinstance(doc, dict) else None
        if not isinstance(raw_cells, list):
            raise NotebookError("not a notebook (no `cells` list; nbformat 4 is supported)")
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        lang = (meta.get("language_info") or {}).get("name") if isinstance(meta.get("language_info"), dict) else None
        python_kernel = lang in (None, "python") or str(lang).startswith("python")
        try:
            spans = _source_spans(data)
        except (NotebookError, IndexError, ValueError, RecursionError):
            spans = []
        cells = []
        for n, rc in enumerate(raw_cells, start=1):
            src = rc.get("source", "") if isinstance(rc, dict) else ""
            src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
            src = src if isinstance(src, str) else ""
            cell = Cell(n, src, span=spans[n - 1] if len(spans) == len(raw_cells) else None)
            if python_kernel and isinstance(rc, dict) and rc.get("cell_type") == "code":
                lines = _python_lines(src)
                cell.python, cell.lines = lines is not None, lines or []
            cells.append(cell)
        return cls(cells, data, ascii_only=data.isascii())

    @classmethod
    def from_sources(cls, sources: Sequence[Tuple[str, str]]) -> "Notebook":
        """From (kind, text) per cell, kind "code" or anything else (an editor's notebook)."""
        cells = []
        for n, (kind, text) in enumerate(sources, start=1):
            cell = Cell(n, text)
            if kind == "code":
                lines = _python_lines(text)
                cell.python, cell.lines = lines is not None, lines or []
            cells.append(cell)
        return cls(cells)

    # -- positions
    def place(self, line: int) -> Tuple[Optional[int], int]:
        """(cell number, line in the cell) of a line of `python` (a marker line: the cell before)."""
        i = bisect_right(self._starts, line) - 1
        if i < 0:
            return (self._code[0].number, 1) if self._code else (None, line)
        cell = self._code[i]
        return cell.number, min(line - cell.start + 1, max(len(cell.lines), 1))

    def line_name(self, line: int) -> str:
        cell, in_cell = self.place(line)
        return f"cell {cell}, line {in_cell}" if cell is not None else f"line {line}"

    def python_line(self, cell: int, line: int) -> int:
        return self._by_number[cell].start + line - 1

    def cell(self, number: int) -> Cell:
        return self._by_number[number]

    def cell_line_text(self, number: Optional[int], line: int) -> Optional[str]:
        c = self._by_number.get(number)
        lines = c.original_lines if c else []
        return lines[line - 1] if 1 <= line <= len(lines) else None

    def file_position(self, cell: int, line: int, column: int) -> Optional[Tuple[int, int]]:
        """(line, column), 1-based, of a cell position in the notebook's JSON text."""
        c = self._by_number.get(cell)
        if c is None or c.span is None or self.raw is None:
            return None
        lines = c.original_lines
        index = sum(len(x) + 1 for x in lines[: max(line - 1, 0)]) + max(column - 1, 0)
        off = _raw_offset(self.raw, c.span, index)
        start = self.raw.rfind("\n", 0, off) + 1
        return self.raw.count("\n", 0, off) + 1, off - start + 1

    # -- writing
    def with_python(self, text: str) -> "Notebook":
        """The notebook whose cells hold `text` (a fixed `python`), magics restored.
        Raises NotebookError when the text no longer splits into these cells."""
        import difflib

        segments: Dict[int, List[str]] = {}
        current: Optional[List[str]] = None
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        for ln in lines:
            if ln.startswith(MARKER) and ln[len(MARKER):].isdigit():
                current = segments.setdefault(int(ln[len(MARKER):]), [])
            elif current is None:
                raise NotebookError("text before the first cell")
            else:
                current.append(ln)
        if sorted(segments) != [c.number for c in self._code]:
            raise NotebookError("the cells changed")
        cells = []
        for c in self.cells:
            new = segments.get(c.number) if c.python else None
            if new is None or new == c.lines:
                cells.append(c)
                continue
            original = c.original_lines
            if c.source.endswith("\n"):
                original = original[:-1]
            out: List[str] = []
            for op, a, b, x, y in difflib.SequenceMatcher(None, c.lines, new, autojunk=False).get_opcodes():
                if op == "equal":
                    out.extend(original[a:b])
                    continue
                if any(c.lines[k] != original[k] for k in range(a, b)):
                    raise NotebookError("a fix would change a magic line")
                out.extend(new[x:y])
            source = "\n".join(out) + ("\n" if c.source.endswith("\n") else "")
            cells.append(Cell(c.number, source, True, new, c.span))
        nb = Notebook(cells, self.raw, self.ascii_only)
        nb._changed = {c.number for c, old in zip(cells, self.cells) if c is not old}
        return nb

    def rewrite(self) -> str:
        """The JSON text with only changed cells' `source` values replaced."""
        import json

        changed = sorted(self._changed)
        raw = self.raw
        if raw is None or not changed:
            return raw or ""
        out, pos = [], 0
        for number in changed:
            c = self._by_number[number]
            if c.span is None:
                raise NotebookError("cannot find the cell's source in the file")
            a, b = c.span
            out.append(raw[pos:a])
            if raw[a] == '"':
                out.append(json.dumps(c.source, ensure_ascii=self.ascii_only))
            else:
                out.append(self._list_value(raw, a, b, c.source))
            pos = b
        out.append(raw[pos:])
        return "".join(out)

    def _list_value(self, raw: str, a: int, b: int, source: str) -> str:
        import json

        items = _items(raw, a, b)
        old = [json.loads(raw[x:y]) for x, y in items]
        new = source.splitlines(True)  # nbformat's way of storing a source as a list
        if items:
            opening, closing = raw[a + 1:items[0][0]], raw[items[-1][1]:b - 1]
            sep = raw[items[0][1]:items[1][0]] if len(items) > 1 else "," + opening
        else:
            line_start = raw.rfind("\n", 0, a) + 1
            line = raw[line_start:a]
            indent = line[: len(line) - len(line.lstrip())]
            opening, closing = "\n" + indent + " ", "\n" + indent  # Jupyter's indent=1
            sep = "," + opening
        if not new:
            return "[]"
        texts = [raw[items[i][0]:items[i][1]] if i < len(old) and old[i] == s else json.dumps(s, ensure_ascii=self.ascii_only)
                 for i, s in enumerate(new)]
        return "[" + opening + sep.join(texts) + closing + "]"


# ------------------------------------------------------------------ results in cells


def _related_in_cells(nb: Notebook, r):
    """A related location of the notebook's Python in cell coordinates (None across cells)."""
    from dataclasses import replace

    line, column, end_line, end_column = r.range
    cell, line = nb.place(line)
    end_cell, end_line = nb.place(end_line)
    if cell is None or end_cell != cell:
        return None
    return replace(r, range=(line, column, end_line, end_column), cell=cell,
                   file_position=nb.file_position(cell, line, column))


def to_cells(nb: Notebook, result, path: Optional[str]) -> None:
    """Move a result of checking `nb.python` into cell coordinates (in place)."""
    for f in result.findings:
        if f.path != path:
            continue  # published on a sibling module: its own positions
        f.cell, f.line = nb.place(f.line)
        end_cell, f.end_line = nb.place(f.end_line)
        if end_cell != f.cell:  # never expected: a finding across cells ends where its cell ends
            f.end_line, f.end_column = f.line, f.column
        f.file_position = nb.file_position(f.cell, f.line, f.column) if f.cell is not None else None
        f.related = [_related_in_cells(nb, r) for r in f.related if r.path == path] + [r for r in f.related if r.path != path]
        f.related = [r for r in f.related if r is not None]
        for e in f.edits:
            e.cell, e.line = nb.place(e.line)
            _cell, e.end_line = nb.place(e.end_line)
    result.findings.sort(key=lambda f: (f.path != path, f.path or "", f.cell or 0, f.line, f.column, f.code))
    for m in result.models:
        m.cell, m.line = nb.place(m.line)
        m.lost = [(nb.place(ln)[1], why) for ln, why in m.lost]  # lines in the model's cell
        for row in m.layers:
            row.cell, row.line = nb.place(row.line) if row.line else (None, 0)
            row.call_line = nb.place(row.call_line)[1] if row.call_line else 0


def _related_in_python(nb: Notebook, r):
    from dataclasses import replace

    line, column, end_line, end_column = r.range
    return replace(r, range=(nb.python_line(r.cell, line), column, nb.python_line(r.cell, end_line), end_column),
                   cell=None, file_position=None)


def to_python(nb: Notebook, findings, path: Optional[str]) -> list:
    """Copies of cell-coordinate findings, their edits and related locations in this notebook, in
    coordinates of `nb.python` (for --fix, and the editor's snapshot of the whole notebook)."""
    import copy

    out = []
    for f in findings:
        g = copy.copy(f)
        if f.cell is not None and f.path == path:
            g.line, g.end_line = nb.python_line(f.cell, f.line), nb.python_line(f.cell, f.end_line)
            g.edits = [copy.copy(e) for e in f.edits]
            for e in g.edits:
                if e.cell is not None:
                    e.line, e.end_line = nb.python_line(e.cell, e.line), nb.python_line(e.cell, e.end_line)
            g.cell = None
        g.related = [_related_in_python(nb, r) if r.cell is not None and r.path == path else r for r in f.related]
        out.append(g)
    return out
