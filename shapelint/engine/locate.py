"""Where reported nodes are: position bookkeeping kept apart from the interpreter.

libcst's positions cost about 2.5x a parse over a whole module, so they are computed
per "unit" (a top-level statement, a method of a top-level class, or a statement of
such a function's body). While it runs, the interpreter notes the unit of each node
a finding may point at (`PositionUnits.note`); the Locator resolves only those units.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

import libcst as cst

from ..core.collector import built_and_frozen, collector_paused
from ..core.findings import Also, At, Finding
from ..core.results import ModelReport


class PositionUnits:
    """The unit each noted node belongs to, shared by every interpreter of one file."""

    def __init__(self):
        self.node_unit: Dict[int, Any] = {}
        self.unit_of_def: Dict[int, Any] = {}  # functions whose body statements are units
        self.current = None  # the unit running now (None: positions fall back to the whole module)

    def note(self, node) -> None:
        self.node_unit[id(node)] = self.current

    def mark_functions(self, module: cst.Module) -> None:
        """The checked file's functions and methods: their body statements are units too."""
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
                self.unit_of_def[id(stmt)] = stmt
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                for member in stmt.body.body:
                    if isinstance(member, cst.FunctionDef) and isinstance(member.body, cst.IndentedBlock):
                        self.unit_of_def[id(member)] = member

    def statements_are_units(self, fn: cst.FunctionDef) -> bool:
        return id(fn) in self.unit_of_def


class Locator:
    """1-based positions of nodes, computed only when first asked for.

    libcst's PositionProvider costs about 2.5x a parse over a whole module. Each node we
    report was mapped by the interpreter to its "unit" (a top-level statement, or a method
    of a top-level class), so only that unit is position-resolved; its first line comes
    from Python's C-speed `ast`. Anything else falls back to the whole module.
    """

    def __init__(self, modules, node_unit=None, whole: bool = False, source: str = "", wanted=()):
        self.modules = modules
        self.source = source
        # the nodes reports will ask about: codegen passes keep books for these alone
        self.wanted = set(n for n in wanted if n is not None)
        self.sparse: Optional[dict] = None
        self.node_unit = node_unit or {}
        self.whole = whole  # --explain needs every layer's line: resolve whole modules
        self.tables: Dict[int, dict] = {}
        self.unit_tables: Dict[int, tuple] = {}
        self._starts = None
        self._wanted_by_unit: Optional[Dict[int, list]] = None

    def _table(self, i: int) -> dict:
        if i not in self.tables:
            try:
                module = self.modules[i][1]
                self.tables[i] = built_and_frozen(lambda: _resolve_positions(module))
            except Exception:  # libcst's codegen recurses per nesting level (1,000 adjacent strings)
                self.tables[i] = {}  # those nodes have no position: a finding falls back to its unit's line
        return self.tables[i]

    def _find(self, node):
        if node is None:
            return None, None
        if self.wanted and node in self.wanted:
            if self.sparse is None:
                try:
                    self.sparse = _codegen_positions(self.modules[0][1], self.wanted)
                except Exception:  # libcst's codegen recurses per nesting level (1,000 adjacent strings):
                    self.sparse = {}  # a RecursionError, re-raised as KeyError by the position books
            r = self.sparse.get(node)
            if r is not None:
                return 0, r
        for i in range(len(self.modules)):
            r = self._table(i).get(node)
            if r is not None:
                return i, r
        return None, None

    def position_of(self, node):
        if not self.whole and node is not None:
            pos = self._unit_position(node)
            if pos is not None:
                return pos
        _i, r = self._find(node)
        if r is None:
            # a module too deeply nested for the whole-module map: the node's own unit answers
            return self._unit_position(node) if self.whole and node is not None else None
        return (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)

    def path_of(self, node):
        if not self.whole and (self.node_unit.get(id(node)) is not None or id(node) in self._unit_starts()):
            return self.modules[0][0]  # units (and statements aligned with the file's ast) are the checked file's
        i, _r = self._find(node)
        return self.modules[i][0] if i is not None else None

    # ---------------------------------------------------------------- per-unit positions
    def _unit_position(self, node):
        unit = self.node_unit.get(id(node))
        if unit is None:
            start = self._unit_starts().get(id(node))
            if start is not None and isinstance(node, cst.ClassDef) and not node.decorators:
                # a class itself (SHP200 points at it): ast knows where it is
                l1, c1, l2, c2 = start[2]
                return (l1, c1 + 1, l2, c2 + 1)  # ast columns are absolute
            return None
        entry = self.unit_tables.get(id(unit))
        if entry is None:
            entry = self.unit_tables[id(unit)] = self._resolve_unit(unit)
        table, dl, dc = entry
        r = table.get(node) if table else None
        if r is None:
            return None
        return (r.start.line + dl, r.start.column + 1 + dc, r.end.line + dl, r.end.column + 1 + dc)

    def _resolve_unit(self, unit):
        start = self._unit_starts().get(id(unit))
        if start is None:
            return (None, 0, 0)
        first_code_line, indent, _node = start
        module = self.modules[0][1]
        sub = module.with_changes(body=[unit], header=[], footer=[])
        table = _codegen_positions(sub, self._wanted_in(unit) + [unit])
        own = table.get(unit)
        if own is None:
            return (None, 0, 0)
        dl = first_code_line - own.start.line
        return (table, dl, indent)

    def _wanted_in(self, unit) -> list:
        """The wanted nodes of one unit: grouped once, since copying the whole file's set
        for every unit made a file of n models cost n squared (issue 17.3)."""
        if self._wanted_by_unit is None:
            self._wanted_by_unit = {}
            for n in self.wanted:
                u = self.node_unit.get(id(n))
                if u is not None:
                    self._wanted_by_unit.setdefault(id(u), []).append(n)
        return self._wanted_by_unit.get(id(unit), [])

    def _unit_starts(self) -> dict:
        """id(unit) -> (line of its first code line, column offset of its block, the span of a class)."""
        if self._starts is None:
            self._starts = {}
            # paused, and the ast dropped before the collector runs again: a tree of a
            # million nodes left alive would be walked by every later full collection
            with collector_paused():
                try:
                    tree = ast.parse(self.source)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return self._starts
                self._align_all(self.modules[0][1], tree)
                del tree
        return self._starts

    def _align_all(self, module, tree) -> None:
        self._align(module.body, tree.body, 0)
        for stmt, node in _aligned(module.body, tree.body):
            if isinstance(stmt, cst.ClassDef) and isinstance(node, ast.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                indent = len(_indent_of(stmt.body, module))
                self._align(stmt.body.body, node.body, indent)
                for member, mnode in _aligned(stmt.body.body, node.body):
                    self._align_function(member, mnode, indent, module)
            else:
                self._align_function(stmt, node, 0, module)

    def _align_function(self, stmt, node, indent: int, module) -> None:
        """The statements of a function body are units too (the interpreter runs them one by one)."""
        if isinstance(stmt, cst.FunctionDef) and isinstance(node, ast.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
            self._align(stmt.body.body, node.body, indent + len(_indent_of(stmt.body, module)))

    def _align(self, cst_body, ast_body, indent: int) -> None:
        for stmt, node in _aligned(cst_body, ast_body):
            if node is None:
                return
            deco = getattr(node, "decorator_list", None)
            line = min([node.lineno] + [d.lineno for d in deco]) if deco else node.lineno
            span = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
            self._starts[id(stmt)] = (line, indent, span)


def _indent_of(block: cst.IndentedBlock, module: cst.Module) -> str:
    return block.indent if block.indent is not None else module.default_indent


def _aligned(cst_body, ast_body):
    """Pairs (libcst statement, its first ast statement); `a; b` is one libcst line, two ast nodes."""
    i = 0
    for stmt in cst_body:
        if i >= len(ast_body):
            yield stmt, None
            return
        yield stmt, ast_body[i]
        i += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1


def _codegen_positions(module, wanted=None) -> dict:
    """PositionProvider's own codegen pass, without MetadataWrapper's extra tree visit
    (which costs as much again), keeping books only for the `wanted` nodes
    (positions.sparse_positions); tests check it against the wrapper's answer."""
    from ..core.positions import sparse_positions

    try:
        return sparse_positions(module, wanted or ())
    except (AttributeError, TypeError):  # a libcst without these internals: take the public road
        return _resolve_positions(module)
    except RecursionError:
        return {}


def _resolve_positions(module) -> dict:
    """Every node's position: the full pass, for nodes no report listed in advance."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        try:
            return _position_map(module, PositionProvider)
        except AttributeError:  # libcst internals changed: the public route
            return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except RecursionError:
        return {}


def wanted_nodes(findings: List[Finding], models: List[ModelReport]) -> list:
    """Every node a finding or an explain row will ask the position of."""
    nodes = []
    for f in findings:
        nodes.append(f.node)
        nodes.extend(p.node for p in f.parts if isinstance(p, (At, Also)))
        nodes.extend(e.node for e in f.edits)
        nodes.extend(r.node for r in f.related)
    for m in models:
        nodes.append(m.node)
        for row in m.layers:
            nodes += [row.node, row.call]
        nodes.extend(n for n, _why in m.lost)
        nodes.extend(n for n, _name, _shape in m.assignments)
    return nodes


def _position_map(module: cst.Module, provider_cls) -> dict:
    """PositionProvider's node -> CodeRange map from its codegen pass alone.

    MetadataWrapper.resolve also runs an (empty) batched visit over the whole tree,
    which costs about as much as the codegen itself; the map is the same.
    """
    provider = provider_cls()
    provider._gen_impl(module)
    return provider._computed


def finish_model_report(m: ModelReport, position_of) -> None:
    pos = position_of(m.node)
    m.line = pos[0] if pos else 0
    for row in m.layers:
        p = position_of(row.node)
        c = position_of(row.call)
        row.line = p[0] if p else (c[0] if c else 0)
        row.call_line = c[0] if c else row.line
        row.def_range, row.call_range = p, c  # (line, col, end_line, end_col), 1-based
    m.lost = [((position_of(n) or (0,))[0], why) for n, why in m.lost]
    m.assignments = [((position_of(n) or (0,))[0], name, shape) for n, name, shape in m.assignments]
