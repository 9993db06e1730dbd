"""What the editor shows for one version of a document: diagnostics, shape hints, layer sites.

Pure data built from `engine.check.lint_source` (with explain); no LSP library is imported
here, so the editor features are plain functions of the text. Positions are 0-based
lines and code-point columns (Python string indexes); `lsp.py` converts them to the
client's units (UTF-16 by default) at the protocol boundary.

Half-typed code does not parse. Then the snapshot keeps the previous good one's
results for every line that did not change (shifted to where those lines are now)
and adds the syntax error, so diagnostics and hints do not flicker away while typing.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from ...core.collector import collector_paused
from ...core.results import FileResult
from ...core.rules import SyntaxErrorRule
from ...core.symbolic import shape_text

Range = Tuple[int, int, int, int]  # start line, start column, end line, end column (0-based, code points)

_NEWLINE = re.compile(r"\r\n|\r|\n")
MAX_SHAPES_PER_HINT = 3


def split_lines(text: str) -> List[str]:
    """Lines as LSP counts them: only \\n, \\r\\n and \\r end a line."""
    return _NEWLINE.split(text)


@dataclass
class Edit:
    range: Range
    text: str


@dataclass
class Diag:
    range: Range
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: Optional[str] = None
    edits: List[Edit] = field(default_factory=list)
    stale: bool = False  # carried over from the last version that parsed
    # (range, message, path): where the incoming number comes from, the helper's layer; path is
    # None in this diagnostic's own document, an OpenText in another open document (a notebook's
    # other cell), else the other file's absolute path
    related: List[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class OpenText:
    """An open document a related location is in, other than the diagnostic's own: its URI and
    its lines as the check read them (a notebook's other cell, which has no file of its own)."""

    uri: str
    lines: Tuple[str, ...]


@dataclass
class Hint:
    line: int
    character: int
    label: str
    tooltip: str = ""


@dataclass
class LayerSite:
    """One layer (or functional op) and every call of it the forward pass made."""

    op: str
    module: Optional[str]  # named_modules() name; None for functional ops
    model: str
    def_range: Optional[Range]
    call_ranges: List[Range]
    calls: List[dict]  # {"in": dims, "out": dims, "params": dict | None, "call_range": Range}


@dataclass
class Snapshot:
    version: Optional[int]
    text: str
    lines: List[str]
    diagnostics: List[Diag]
    hints: List[Hint]
    layers: List[LayerSite]
    parsed: bool  # False: the text did not parse; results carried over from the last good version
    # (0-based line, name) -> the shapes (as text) a tensor bound to that name there has
    names: Dict[Tuple[int, str], List[str]] = field(default_factory=dict)
    # absolute path of a sibling module -> the findings this check made in it (a wrong argument
    # at a call in that file): published on that file, in its own positions (session)
    elsewhere: Dict[str, List[Diag]] = field(default_factory=dict)

    def findings_in(self, r: Range) -> List[Diag]:
        return [d for d in self.diagnostics if overlaps(d.range, r)]


def _to_range(pos) -> Optional[Range]:
    """analysis positions (1-based line and column, end exclusive) to a 0-based Range."""
    if not pos:
        return None
    line, col, end_line, end_col = pos
    return (line - 1, col - 1, end_line - 1, end_col - 1)


def overlaps(a: Range, b: Range) -> bool:
    return (a[0], a[1]) <= (b[2], b[3]) and (b[0], b[1]) <= (a[2], a[3])


def contains(r: Range, line: int, character: int) -> bool:
    return (r[0], r[1]) <= (line, character) <= (r[2], r[3])


def build_snapshot(result: FileResult, text: str, version: Optional[int] = None,
                   previous: Optional[Snapshot] = None) -> Snapshot:
    """What the editor shows for `result` (lint_source of `text`, with explain tables);
    when the text does not parse, `previous`'s results are kept for unchanged lines."""
    lines = split_lines(text)
    diags, elsewhere = [], {}
    for f in result.findings:
        if result.path and f.path and not _same_file(f.path, result.path):
            elsewhere.setdefault(os.path.abspath(f.path), []).append(_diag(f))
        else:
            diags.append(_diag(f))
    syntax = [d for d in diags if d.code == SyntaxErrorRule.code]
    for d in syntax:  # a point is hard to see: underline the rest of the line
        line, col = d.range[0], d.range[1]
        if d.range[:2] == d.range[2:] and line < len(lines) and col < len(lines[line]):
            d.range = (line, col, line, len(lines[line]))
    if syntax:
        if previous is None:
            return Snapshot(version, text, lines, diags, [], [], parsed=False)
        return carry_over(previous, text, lines, version, syntax)
    if not result.models:  # nothing to hint: no second parse of a file with no model (or one over the budget)
        return Snapshot(version, text, lines, diags, [], [], parsed=True, names={}, elsewhere=elsewhere)
    tree = _ast_tree(text)
    statements = _statement_ends(tree, lines)
    layers = _layer_sites(result)
    names = _best_shapes(result, _class_spans(tree))
    hints = sorted(_assignment_hints(names, statements) + _layer_hints(layers), key=lambda h: (h.line, h.character))
    return Snapshot(version, text, lines, diags, hints, layers, parsed=True,
                    names={(line - 1, name): shapes for (line, name), shapes in names.items()}, elsewhere=elsewhere)


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _diag(f) -> Diag:
    edits = [Edit(_to_range((e.line, e.column, e.end_line, e.end_column)), e.text) for e in f.edits if e.line]
    return Diag(
        range=_to_range((f.line, f.column, f.end_line, f.end_column)),
        code=f.code,
        severity=f.severity,
        message=f.message,
        fix=f.fix,
        edits=edits,
        related=[(_to_range(r.range), r.message, None if not r.path or _same_file(r.path, f.path) else os.path.abspath(r.path))
                 for r in f.related if r.range and r.cell is None],
    )


# ---------------------------------------------------------------------------- hints


def _ast_tree(text: str) -> Optional[ast.AST]:
    """Python's own parser (fast, C): statement ends and class spans for placing hints."""
    try:
        with collector_paused():  # an ast has no cycles: the collector would only re-walk its nodes
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.AST):
    """Every statement (and except/case clause), without visiting expressions (fast)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCK_FIELDS:
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(children)


def _statement_ends(tree: Optional[ast.AST], lines: List[str]) -> Dict[int, Tuple[int, int]]:
    """0-based line -> end (line, code-point column) of the simple statement covering it."""
    if tree is None:
        return {}
    ends: Dict[int, Tuple[int, int]] = {}
    for node in _statements(tree):
        if not isinstance(node, ast.stmt) or any(hasattr(node, f) for f in _BLOCK_FIELDS):
            continue
        end_line = node.end_lineno - 1 if node.end_lineno is not None else -1
        if not 0 <= end_line < len(lines):
            continue
        # ast columns are UTF-8 byte offsets
        col = len(lines[end_line].encode("utf-8")[: node.end_col_offset].decode("utf-8", "ignore"))
        for ln in range(node.lineno - 1, end_line + 1):
            ends.setdefault(ln, (end_line, col))
    return ends


def _class_spans(tree: Optional[ast.AST]) -> Dict[Tuple[str, int], Tuple[int, int]]:
    """(class name, 1-based def line) -> (first, last) 1-based line of the class body."""
    if tree is None:
        return {}
    spans = {}
    for node in _statements(tree):
        if isinstance(node, ast.ClassDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[(node.name, node.lineno)] = (first, node.end_lineno or node.lineno)
            spans[(node.name, first)] = spans[(node.name, node.lineno)]
    return spans


def _join_shapes(shapes: List[str]) -> str:
    distinct = list(dict.fromkeys(shapes))
    text = " | ".join(distinct[:MAX_SHAPES_PER_HINT])
    return text + (" | …" if len(distinct) > MAX_SHAPES_PER_HINT else "")


def _best_shapes(result: FileResult, spans: dict) -> Dict[Tuple[int, str], List[str]]:
    """(1-based line, name) -> shapes of each forward statement that binds (or returns) a tensor.

    A line run by several models (a block used by a bigger net) shows the shapes of the
    best-informed runs: models with a declared input first, then the model whose own
    class holds the line, then every shape seen.
    """
    per_line: Dict[Tuple[int, str], List[Tuple[int, str]]] = {}
    for m in result.models:
        span = spans.get((m.name, m.line)) if m.kind == "class" else None
        declared = bool(m.input) and isinstance(m.input[0], int)
        for line, name, shape in m.assignments:
            if line < 1 or shape is None:
                continue
            own = bool(span and span[0] <= line <= span[1])
            rank = (0 if declared else 2) + (0 if own else 1)
            per_line.setdefault((line, name), []).append((rank, shape_text(shape)))
    best_shapes = {}
    for key, seen in per_line.items():
        best = min(r for r, _s in seen)
        best_shapes[key] = list(dict.fromkeys(s for r, s in seen if r == best))
    return best_shapes


def _assignment_hints(names: Dict[Tuple[int, str], List[str]], ends: Dict[int, Tuple[int, int]]) -> List[Hint]:
    """`x: (B, 18, 16, 16)` after each forward statement that binds (or returns) a tensor."""
    hints = []
    for (line, name), shapes in names.items():
        end = ends.get(line - 1)
        if end is None:
            continue
        label = f"-> {_join_shapes(shapes)}" if name == "return" else f"{name}: {_join_shapes(shapes)}"
        hints.append(Hint(end[0], end[1], label))
    return _merge_same_position(hints)


def _merge_same_position(hints: List[Hint]) -> List[Hint]:
    """`a, b = ...` binds two names on one statement: one hint `a: (..), b: (..)`."""
    merged: Dict[Tuple[int, int], Hint] = {}
    for h in hints:
        at = (h.line, h.character)
        if at in merged:
            merged[at].label += ", " + h.label
        else:
            merged[at] = replace(h)
    return sorted(merged.values(), key=lambda h: (h.line, h.character))


def _layer_sites(result: FileResult) -> List[LayerSite]:
    sites: Dict[tuple, LayerSite] = {}
    for m in result.models:
        for row in m.layers:
            def_range = _to_range(row.def_range)
            call_range = _to_range(row.call_range)
            key = (m.name, row.module, row.op, def_range)
            site = sites.get(key)
            if site is None:
                site = sites[key] = LayerSite(row.op, row.module, m.name, def_range, [], [])
            if call_range and call_range not in site.call_ranges:
                site.call_ranges.append(call_range)
            site.calls.append({"in": row.inp, "out": row.out, "params": row.params, "call_range": call_range})
    return list(sites.values())


def _layer_hints(layers: List[LayerSite]) -> List[Hint]:
    """`(4, 3, 32, 32) -> (4, 18, 32, 32)` right after each layer's constructor call."""
    by_end: Dict[Tuple[int, int], List[str]] = {}
    for site in layers:
        if site.module is None or site.def_range is None or site.def_range == (site.call_ranges or [None])[0]:
            continue  # functional ops are shown by the statement hints
        for call in site.calls:
            if call["in"] is not None and call["out"] is not None:
                by_end.setdefault((site.def_range[2], site.def_range[3]), []).append(
                    f"{shape_text(call['in'])} -> {shape_text(call['out'])}"
                )
    return [Hint(line, col, _join_shapes(shapes)) for (line, col), shapes in sorted(by_end.items())]


# ---------------------------------------------------------------------------- text that does not parse


def line_map(old: Sequence[str], new: Sequence[str]) -> Dict[int, int]:
    """Old line index -> new line index, for every line that is unchanged."""
    mapping = {}
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for i in range(size):
            mapping[a + i] = b + i
    return mapping


def _map_range(r: Optional[Range], mapping: Dict[int, int]) -> Optional[Range]:
    if r is None:
        return None
    start, end = mapping.get(r[0]), mapping.get(r[2])
    if start is None or end is None or end - start != r[2] - r[0]:
        return None
    if any(mapping.get(ln) != start + (ln - r[0]) for ln in range(r[0], r[2] + 1)):
        return None
    return (start, r[1], end, r[3])


def carry_over(previous: Snapshot, text: str, lines: List[str], version, syntax: List[Diag]) -> Snapshot:
    """The last good results, kept only on lines that did not change, plus the syntax error."""
    mapping = line_map(previous.lines, lines)
    diags = list(syntax)
    for d in previous.diagnostics:
        if d.code == SyntaxErrorRule.code:
            continue
        r = _map_range(d.range, mapping)
        edits = [Edit(_map_range(e.range, mapping), e.text) for e in d.edits]
        if r is None:
            continue
        good_edits = [e for e in edits if e.range is not None]
        related = [(x, why, path) if path else (_map_range(x, mapping), why, path) for x, why, path in d.related]
        related = [r for r in related if r[0] is not None]
        diags.append(replace(d, range=r, edits=good_edits if len(good_edits) == len(edits) else [], stale=True,
                             related=related))
    hints = []
    for h in previous.hints:
        if h.line in mapping:
            hints.append(replace(h, line=mapping[h.line]))
    layers = []
    for site in previous.layers:
        def_range = _map_range(site.def_range, mapping)
        calls = []
        for c in site.calls:
            calls.append(dict(c, call_range=_map_range(c["call_range"], mapping)))
        call_ranges = [r for r in (_map_range(r, mapping) for r in site.call_ranges) if r is not None]
        layers.append(replace(site, def_range=def_range, call_ranges=call_ranges, calls=calls))
    names = {(mapping[ln], name): shapes for (ln, name), shapes in previous.names.items() if ln in mapping}
    return Snapshot(version, text, lines, diags, hints, layers, parsed=False, names=names, elsewhere=previous.elsewhere)
