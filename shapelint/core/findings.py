"""Findings are plain data, produced once and rendered by every front end.

While analysing, a finding points at libcst nodes; line numbers are only known after
positions are resolved (an expensive pass we run only for files that need it), so
message parts may be `At(node)` placeholders, rendered as "line N" at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Tuple


class At:
    """A placeholder for "line N" of a node, filled in once positions are known."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


class Code:
    """A placeholder for the source text of a node (e.g. `x.view(-1, 512)`), rendered lazily."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


class Also:
    """A related location that the message does not name (it renders as nothing)."""

    __slots__ = ("node", "message")

    def __init__(self, node, message: str):
        self.node, self.message = node, message


Part = Any  # str | At | Code | Also


def code_of(node, limit: int = 60) -> str:
    import libcst as cst

    try:
        text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    except Exception:
        return "this expression"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Edit:
    """Replace the source range of `node` with `text` (the fix for a finding)."""

    node: Any
    text: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    cell: Optional[int] = None  # in a notebook: the cell the positions are in


FROM_HERE = "the size that arrives comes from here"


@dataclass
class Related:
    """A location that explains a finding: where the incoming number came from, or the layer a
    call site's argument reaches. `node` is resolved to `path` and `range` with the finding."""

    message: str
    node: Any = None
    path: Optional[str] = None
    range: Optional[tuple] = None  # 1-based (line, column, end line, end column), end exclusive
    cell: Optional[int] = None  # in a notebook: the cell `range` is in
    file_position: Optional[tuple] = None  # in a notebook: (line, column) in the file's JSON text

    def to_json(self) -> dict:
        line, column, end_line, end_column = self.range
        out = {"path": self.path, "line": line, "column": column, "end_line": end_line,
               "end_column": end_column, "message": self.message}
        if self.cell is not None:
            out["cell"] = self.cell
        return out


@dataclass
class Finding:
    code: str
    severity: str  # "error" | "warning" | "info"
    parts: Tuple[Part, ...]
    node: Any = None
    path: str = ""
    line: int = 1
    column: int = 1
    end_line: int = 1
    end_column: int = 1
    message: str = ""
    fix: Optional[str] = None  # a sentence saying what the edit does
    edits: List[Edit] = field(default_factory=list)
    source: str = "static"
    module: Optional[str] = None  # the submodule it concerns, as named_modules() spells it
    cell: Optional[int] = None  # in a notebook: the cell (1-based) that line and column are in
    file_position: Optional[tuple] = None  # in a notebook: (line, column) in the file's JSON text
    # the related locations (Related): the message's "line N" parts (the origin of the incoming
    # number), and those the engine adds (the helper's layer a call site's argument reaches)
    related: List[Related] = field(default_factory=list)
    # what makes findings at other places one defect (engine/same_defect.py): a rule gives its
    # numbers, the engine adds where they were read; None: this finding stands alone
    defect: Optional[tuple] = None
    # the node of a related location that becomes the primary one once findings are merged
    # (engine/config_fields.py: the config value a view's head count was read from)
    moves_to: Any = None
    # made under a guessed input rank (engine/rank_confirm.py): dropped unless other ranks fail too
    rank_guess: bool = False

    def resolve(self, position_of: Callable[[Any], Optional[tuple]],
                line_name: Optional[Callable[[Any, int], str]] = None,
                path_of: Optional[Callable[[Any], Optional[str]]] = None) -> None:
        """Turn node references into 1-based positions and render the message
        (`line_name(node, line)` names a line another way, as a notebook's cell and line;
        `path_of(node)` names the file of a related location)."""
        if self.node is not None:
            pos = position_of(self.node)
            if pos:
                self.line, self.column, self.end_line, self.end_column = pos
        added = [r for r in self.related if r.range is None]
        self.related = [r for r in self.related if r.range is not None]
        rendered = []
        for p in self.parts:
            if isinstance(p, At):
                pos = position_of(p.node)
                if not pos:
                    rendered.append("an earlier line")
                else:
                    if path_of is not None:
                        self._relate(Related(FROM_HERE, p.node, path_of(p.node), tuple(pos)))
                    rendered.append(line_name(p.node, pos[0]) if line_name else f"line {pos[0]}")
            elif isinstance(p, Also):
                added.append(Related(p.message, p.node))
            elif isinstance(p, Code):
                rendered.append(code_of(p.node))
            else:
                rendered.append(str(p))
        self.message = "".join(rendered)
        for r in added:
            pos = position_of(r.node) if r.node is not None else None
            if pos and path_of is not None:
                self._relate(Related(r.message, r.node, path_of(r.node), tuple(pos)))
        for e in self.edits:
            pos = position_of(e.node)
            if pos:
                e.line, e.column, e.end_line, e.end_column = pos

    def _relate(self, r: Related) -> None:
        for i, old in enumerate(self.related):
            if (old.path, old.range) == (r.path, r.range):
                if old.message == FROM_HERE and r.message != FROM_HERE:
                    self.related[i] = r  # the engine's own words beat the generic one
                return
        self.related.append(r)

    def key(self):
        return (self.path, self.line, self.column, self.code, self.message)

    def to_json(self) -> dict:
        out = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "source": self.source,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        if self.related:
            out["related"] = [r.to_json() for r in self.related]
        if self.fix:
            out["fix"] = {
                "message": self.fix,
                "edits": [_edit_json(e) for e in self.edits],
            }
        return out


def _edit_json(e: Edit) -> dict:
    out = {"line": e.line, "column": e.column, "end_line": e.end_line, "end_column": e.end_column, "content": e.text}
    if e.cell is not None:
        out["cell"] = e.cell
    return out
