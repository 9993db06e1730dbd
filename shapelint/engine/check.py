"""Checking one file: parse, build every model it defines, propagate shapes, collect findings.

This is the one entry point every front end uses (`check_source`), so the CLI, the
explain table and any editor integration see the same findings.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Dict, List, Optional, Sequence

import libcst as cst

from ..core import rules as R
from .constraints import SAT, UNSAT, ConstraintSet
from ..core.findings import At, Finding
from ..core.results import ExplainRow, FileResult, ModelReport
from .interpreter import Interpreter, RaiseSignal, ReturnSignal, TooComplex
from .siblings import SiblingLoader
from ..core.source import SourceError, decode_source, too_deep_to_parse
from ..core.symbolic import BATCH_NAME, Dim, Expr, exact_div, substitute, to_json
from ..core.values import ClassRef, InputSlot, ModuleValue, Tensor, Unknown

MODEL_HINTS = ("torch", "nn.")
_BATCH_WORD = re.compile(rf"\b{BATCH_NAME}\b")


class Run:
    """The context the interpreter reports to while checking one model (or building it)."""

    def __init__(self, batch_display=None, recording: bool = False):
        self.sinks: List[List[Finding]] = [[]]
        self.constraints = ConstraintSet()
        self.constraint_reasons: List[str] = []
        self.batch = Expr.symbol(BATCH_NAME)
        self.batch_display = batch_display
        self.recording = recording
        self.layers: List[LayerCall] = []
        self.lost_sites: List[tuple] = []
        self.input_symbols: Dict[str, Expr] = {}
        self.rank_assumed = False
        self.conditional = 0  # > 0 while running code that only one undecided path reaches
        self.assignments: Optional[List[tuple]] = None  # a list only when explaining

    # findings ----------------------------------------------------------------
    @property
    def findings(self) -> List[Finding]:
        return self.sinks[0]

    def report(self, finding: Finding) -> None:
        if self.rank_assumed and R.REGISTRY[finding.code].rank_sensitive:
            return  # the input's rank was guessed from a Linear/Embedding: no alarm on a guess
        if isinstance(self.batch_display, int):  # messages show the declared batch, not `B`
            shown = str(self.batch_display)
            finding.parts = tuple(_BATCH_WORD.sub(shown, p) if isinstance(p, str) else p for p in finding.parts)
        self.sinks[-1].append(finding)

    def push_sink(self) -> List[Finding]:
        self.sinks.append([])
        return self.sinks[-1]

    def pop_sink(self) -> List[Finding]:
        return self.sinks.pop()

    def extend(self, findings) -> None:
        self.sinks[-1].extend(findings)

    # sizes -------------------------------------------------------------------
    def input_symbol(self, name: str) -> Expr:
        if name not in self.input_symbols:
            self.input_symbols[name] = Expr.symbol(name)
        return self.input_symbols[name]

    def check_equal(self, a: Dim, b: Dim, reason: str) -> str:
        """'ok', 'bad' (no input size makes a == b) or 'maybe' (cannot tell)."""
        if a == b:
            return "ok"
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return "maybe"
        if isinstance(a, int) and isinstance(b, int):
            return "bad"
        qa, qb = exact_div(a, self.batch), exact_div(b, self.batch)
        if qa is not None and qb is not None:
            return self.check_equal(qa, qb, reason)  # B*x == B*y exactly when x == y (B >= 1)
        sol = self.constraints.require_equal(a, b)
        if sol.verdict == UNSAT:
            return "bad"
        if sol.verdict == SAT:
            self.constraint_reasons.append(reason)
            return "ok"
        if isinstance(self.batch_display, int):  # a declared batch size decides what B cannot
            env = {BATCH_NAME: self.batch_display}
            sa, sb = substitute(a, env), substitute(b, env)
            if isinstance(sa, int) and isinstance(sb, int):
                return "ok" if sa == sb else "bad"
        return "maybe"

    def show(self, d) -> str:
        if isinstance(d, Expr) and isinstance(self.batch_display, int):
            d = substitute(d, {BATCH_NAME: self.batch_display})
        return str(d)

    def display(self, shape) -> Optional[list]:
        if shape is None:
            return None
        env = {BATCH_NAME: self.batch_display} if isinstance(self.batch_display, int) else {}
        out = []
        for d in shape:
            if isinstance(d, Expr) and env:
                d = substitute(d, env)
            if isinstance(d, Expr) and d.is_opaque():
                out.append("?")
            else:
                out.append(to_json(d) if isinstance(d, (int, Expr)) else "?")
        return out

    # explain table -------------------------------------------------------------
    def lost(self, node, reason: str) -> None:
        if self.recording and all(r != reason for _n, r in self.lost_sites):  # each construct once
            self.lost_sites.append((node, reason))

    def record_value(self, node, name: str, value) -> None:
        if self.recording and _shape_of(value) is not None:
            self.assignments.append((node, name, self.display(_shape_of(value))))

    def begin_module(self, m: ModuleValue, call_node, x):
        if not self.recording:
            return None
        entry = LayerCall(m.name, m.kind, m.node or call_node, call_node, x, bool(self.conditional), m.params)
        self.layers.append(entry)
        return entry

    def end_module(self, entry, result) -> None:
        if entry is not None:
            entry.out = result

    def merge_branch_rows(self, rows_a: list, rows_b: list) -> None:
        """Explain rows of an undecided branch: shared rows once, the others marked conditional."""
        def key(r):
            return (r.module, r.op, id(r.call), _shape_of(r.inp), _shape_of(r.out))

        seen = {key(r) for r in rows_a}
        for r in rows_a:
            if key(r) not in {key(x) for x in rows_b}:
                r.conditional = True
        for r in rows_b:
            if key(r) not in seen:
                r.conditional = True
        self.layers.extend(rows_a + [r for r in rows_b if key(r) not in seen])

    def record_op(self, label: str, node, before, result) -> None:
        if isinstance(result, (int, float, Expr)) or (isinstance(result, tuple) and not (result and isinstance(result[0], Tensor))):
            return  # x.size(0), x.dim(): a number, not a tensor row of the table
        if self.recording and (isinstance(before, Tensor) or isinstance(result, Tensor)):
            self.layers.append(LayerCall(None, label, node, node, before, bool(self.conditional), None, result))


class LayerCall:
    """A module call or functional op while it runs: raw values, shown once the model is done
    (a pending model input learns its shape later)."""

    __slots__ = ("module", "op", "node", "call", "inp", "conditional", "params", "out")

    def __init__(self, module, op, node, call, inp, conditional, params, out=None):
        self.module, self.op, self.node, self.call = module, op, node, call
        self.inp, self.conditional, self.params, self.out = inp, conditional, params, out


def _shape_of(v):
    if isinstance(v, Tensor):
        return v.shape
    if isinstance(v, (tuple, list)) and v and isinstance(v[0], Tensor):
        return v[0].shape  # (output, indices) / (output, hidden) / torch.cat([a, b]) reads a
    return None


def name_modules(root: ModuleValue) -> List[ModuleValue]:
    """Qualified names exactly as torch's named_modules() spells them (first path wins)."""
    seen = set()
    order = []

    def walk(m: ModuleValue, prefix: str):
        if id(m) in seen:
            return
        seen.add(id(m))
        m.name = prefix or None
        order.append(m)
        for k, child in m.children.items():
            if isinstance(child, ModuleValue):
                walk(child, f"{prefix}.{k}" if prefix else k)

    walk(root, "")
    return order


class InputSpec:
    """A declared input shape: dims from the CLI, the class comment or pyproject.toml."""

    def __init__(self, dims: Sequence, origin: str):
        self.dims = list(dims)
        self.origin = origin


def parse_dims(text_dims: Sequence) -> Optional[list]:
    out = []
    for d in text_dims:
        if isinstance(d, int) and not isinstance(d, bool):
            out.append(d)
            continue
        s = str(d).strip()
        if s.lstrip("-").isdigit():
            out.append(int(s))
        elif s.isidentifier():
            out.append(s)
        else:
            return None
    return out


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
    locator = Locator([(path, module)] + checker.siblings.modules, checker.node_unit, whole=explain, source=text, wanted=wanted)
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


def _required_init_args(root: ModuleValue) -> List[str]:
    if root.cls is None:
        return []
    _owner, init = root.cls.find_method("__init__")
    if init is None:
        return []
    params = list(init.params.posonly_params) + list(init.params.params)[1:] + list(init.params.kwonly_params)
    if init.params.posonly_params:
        params = params[1:]
    return [p.name.value for p in params if p.default is None]


class FileChecker:
    def __init__(self, path, module: cst.Module, input_shapes: Dict[str, list], config_shapes: Dict[str, list], explain=False):
        self.explain = explain  # explain tables cost time: only record them when asked for
        self.path = path
        self.module = module
        self.input_shapes = input_shapes
        self.config_shapes = config_shapes
        self.findings: List[Finding] = []
        self.models: List[ModelReport] = []
        # `__name__` is not "__main__": the `if __name__ == "__main__":` block is skipped
        self.globals: Dict[str, Any] = {"__name__": "shapelint", "__file__": path}
        self.siblings = SiblingLoader()
        self.node_unit: Dict[int, Any] = {}  # shared by every interpreter of this file
        self.unit_of_def: Dict[int, Any] = {}

    def interpreter(self, run: "Run") -> Interpreter:
        interp = Interpreter(run, self.globals)
        interp.siblings = self.siblings
        interp.node_unit = self.node_unit
        interp.unit_of_def = self.unit_of_def
        return interp

    def note_internal(self, why: str) -> None:
        f = R.TrackingLost.finding(None, reason=why)
        self.findings.append(f)

    def run(self) -> None:
        build = Run()
        interp = self.interpreter(build)
        interp.exec_module(self.module, self.globals, main=True)
        self.findings.extend(build.findings)
        for name, value in list(self.globals.items()):
            if isinstance(value, ClassRef) and value.info.is_module():
                self.check_class(name, value.info)
            elif isinstance(value, ModuleValue) and (value.cls is None or name in self.input_shapes):
                self.check_root(name, "variable", value, value.node, None, interp)

    def declared_input(self, name: str, comment_dims) -> Optional[list]:
        if name in self.input_shapes:
            return parse_dims(self.input_shapes[name])
        if comment_dims:
            return parse_dims(comment_dims)
        if name in self.config_shapes:
            return parse_dims(self.config_shapes[name])
        return None

    def check_class(self, name: str, info) -> None:
        run = Run()
        interp = self.interpreter(run)
        try:
            root = interp.instantiate(info, [], {}, info.node)
        except (TooComplex, ReturnSignal, RaiseSignal):
            return
        self.findings.extend(run.findings)
        self.check_root(name, "class", root, info.node, info.declared_input(), interp)

    def check_root(self, name, kind, root: ModuleValue, node, comment_dims, interp) -> None:
        tree = name_modules(root)
        declared = self.declared_input(name, comment_dims)
        batch_display = declared[0] if declared else None
        run = Run(batch_display=batch_display, recording=self.explain)
        if self.explain:
            run.assignments = []
        interp.ctx = run
        interp.steps = 0
        for m in tree:
            if m.spec is not None and m.spec.check is not None:
                m.invalid = False
                m.spec.check(run, m)
        x = self.make_input(run, declared)
        args = [x]
        if root.cls is not None:
            _owner, fwd = root.cls.find_method("forward")
            if fwd is not None:
                extra = len(fwd.params.params) - 2
                args += [Unknown("second forward input") for _ in range(max(extra, 0))]
                args = args[: max(len(fwd.params.params) - 1, 1)]
        try:
            out = interp._call_module(root, args, {}, node, x)
        except (TooComplex, ReturnSignal, RaiseSignal):
            out = Unknown("too complex")
        report = ModelReport(name, kind, node, run.display(x.shape) if isinstance(x, Tensor) else None)
        report.layers = [self._layer_row(run, e) for e in run.layers] if self.explain else []
        report.output = run.display(_shape_of(out))
        report.lost = run.lost_sites
        missing = _required_init_args(root)
        if missing:
            report.lost.insert(0, (node, f"{name} needs constructor arguments ({', '.join(missing)}); checked where it is used"))
        report.assignments = run.assignments or []
        self.models.append(report)
        self.findings.extend(run.findings)
        if declared is None and run.constraint_reasons:
            sol = run.constraints.solutions()
            if sol.verdict == SAT:
                self.findings.append(
                    R.InputSizeConstraint.finding(node, model=name, accepted=sol.describe(), reason=", ".join(dict.fromkeys(run.constraint_reasons)))
                )

    def _layer_row(self, run: Run, e: LayerCall) -> ExplainRow:
        return ExplainRow(
            e.module, e.op, run.display(_shape_of(e.inp)), run.display(_shape_of(e.out)),
            conditional=e.conditional, params=e.params, node=e.node, call=e.call,
        )

    def make_input(self, run: Run, declared: Optional[list]):
        if declared is None:
            return Tensor(slot=InputSlot())
        dims = [run.batch]
        for d in declared[1:]:
            dims.append(d if isinstance(d, int) else run.input_symbol(d))
        return Tensor(tuple(dims))
