"""Checking one file: parse, build every model it defines, propagate shapes, collect findings.

This is the one entry point every front end uses (`check_source`), so the CLI, the
explain table and any editor integration see the same findings.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional

import libcst as cst

from ..core import rules as R
from ..core.findings import At, Finding
from ..core.results import FileResult, ModelReport
from ..core.source import SourceError, decode_source, too_deep_to_parse
from .models import FileChecker, parse_dims  # noqa: F401  (parse_dims: the front ends' until core/inputs.py)

MODEL_HINTS = ("torch", "nn.")


def check_source(
    path: str,
    data,
    input_shapes: Optional[Dict[str, list]] = None,
    explain: bool = False,
    config_shapes: Optional[Dict[str, list]] = None,
) -> FileResult:
    """Check one file's source (bytes or str). Never raises for bad input.

    Input shapes: `input_shapes` (the command line) beats a `# shapelint: input=(...)`
    comment on the class line, which beats `config_shapes` (pyproject.toml).
    """
    result = FileResult(path)
    try:
        text = decode_source(data)
    except SourceError as e:
        f = R.UnreadableFile.finding(None, detail=str(e))
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return result
    result.source = text
    if not any(h in text for h in MODEL_HINTS):
        return result  # cannot define a torch model: skip the parse
    deep = too_deep_to_parse(text)
    if deep is not None:
        f = R.SyntaxErrorRule.finding(None, detail=deep[1])
        f.path = path
        f.resolve(lambda n: None)
        f.line = f.end_line = max(deep[0], 1)
        result.findings.append(f)
        return result
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        line, column, detail = max(e.raw_line, 1), max(e.raw_column, 0) + 1, _syntax_message(e)
        py = _python_syntax_error(text)
        if py is not None:  # CPython's parser points at the real mistake (libcst at the next token)
            line, column, detail = py
        f = R.SyntaxErrorRule.finding(None, detail=detail)
        f.path = path
        f.resolve(lambda n: None)
        f.line, f.column = line, column
        f.end_line, f.end_column = f.line, f.column
        result.findings.append(f)
        return result
    except RecursionError:
        f = R.SyntaxErrorRule.finding(None, detail="the code is nested too deeply to parse")
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return result

    checker = FileChecker(path, module, input_shapes or {}, config_shapes or {}, explain)
    try:
        checker.run()
    except RecursionError:
        checker.note_internal("the code is nested too deeply to analyse")
    result.models = checker.models
    findings = _dedupe(checker.findings)
    need_positions = bool(findings) or explain
    wanted = _wanted_nodes(findings, result.models if explain else [])
    locator = Locator([(path, module)] + checker.siblings.modules, checker.units.node_unit, whole=explain, source=text, wanted=wanted)
    position_of = locator.position_of if need_positions else (lambda n: None)
    for f in findings:
        f.resolve(position_of)
        f.path = locator.path_of(f.node) or path
    result.findings = sorted(_dedupe_resolved(findings), key=lambda f: (f.line, f.column, f.code))
    if explain:
        for m in result.models:
            _finish_model_report(m, position_of)
    return result


def _python_syntax_error(text: str):
    """(line, column, message) from CPython's parser (it only parses, never runs), or None."""
    import ast

    try:
        ast.parse(text)
    except SyntaxError as e:
        if e.lineno:
            return e.lineno, max(e.offset or 1, 1), (e.msg or "invalid syntax").rstrip(".")
    except (ValueError, RecursionError, MemoryError):
        pass
    return None


def _syntax_message(e: cst.ParserSyntaxError) -> str:
    msg = e.message.strip().splitlines()[0] if e.message else "invalid syntax"
    return msg.rstrip(".")


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

    def _table(self, i: int) -> dict:
        if i not in self.tables:
            self.tables[i] = _resolve_positions(self.modules[i][1])
        return self.tables[i]

    def _find(self, node):
        if node is None:
            return None, None
        if self.wanted and node in self.wanted:
            if self.sparse is None:
                self.sparse = _codegen_positions(self.modules[0][1], self.wanted)
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
            return None
        return (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)

    def path_of(self, node):
        if not self.whole and self.node_unit.get(id(node)) is not None:
            return self.modules[0][0]  # units are only recorded for the checked file itself
        i, _r = self._find(node)
        return self.modules[i][0] if i is not None else None

    # ---------------------------------------------------------------- per-unit positions
    def _unit_position(self, node):
        unit = self.node_unit.get(id(node))
        if unit is None:
            start = self._unit_starts().get(id(node))
            if start is not None and isinstance(node, cst.ClassDef) and not node.decorators:
                # a class itself (SHP200 points at it): ast knows where it is
                a = start[2]
                return (a.lineno, a.col_offset + 1, a.end_lineno, a.end_col_offset + 1)  # ast columns are absolute
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
        table = _codegen_positions(sub, self.wanted | {unit})
        own = table.get(unit)
        if own is None:
            return (None, 0, 0)
        dl = first_code_line - own.start.line
        return (table, dl, indent)

    def _unit_starts(self) -> dict:
        """id(unit) -> (line of its first code line, column offset of its block)."""
        if self._starts is None:
            self._starts = {}
            module = self.modules[0][1]
            try:
                tree = ast.parse(self.source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return self._starts
            self._align(module.body, tree.body, 0)
            for stmt, node in _aligned(module.body, tree.body):
                if isinstance(stmt, cst.ClassDef) and isinstance(node, ast.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                    indent = len(_indent_of(stmt.body, module))
                    self._align(stmt.body.body, node.body, indent)
                    for member, mnode in _aligned(stmt.body.body, node.body):
                        self._align_function(member, mnode, indent, module)
                else:
                    self._align_function(stmt, node, 0, module)
        return self._starts

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
            self._starts[id(stmt)] = (line, indent, node)


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


def _wanted_nodes(findings: List[Finding], models: List[ModelReport]) -> list:
    """Every node a finding or an explain row will ask the position of."""
    nodes = []
    for f in findings:
        nodes.append(f.node)
        nodes.extend(p.node for p in f.parts if isinstance(p, At))
        nodes.extend(e.node for e in f.edits)
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


def _dedupe(findings: List[Finding]) -> List[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.code, id(f.node), tuple(p if isinstance(p, str) else id(p.node) for p in f.parts))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _dedupe_resolved(findings: List[Finding]) -> List[Finding]:
    seen, out = set(), []
    for f in findings:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out


def _finish_model_report(m: ModelReport, position_of) -> None:
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


