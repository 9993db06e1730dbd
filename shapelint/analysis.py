"""Checking one file: parse, build every model it defines, propagate shapes, collect findings.

This is the one entry point every front end uses (`check_source`), so the CLI, the
explain table and any editor integration see the same findings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import libcst as cst

from . import rules as R
from .constraints import MAYBE, SAT, UNSAT, ConstraintSet
from .findings import At, Finding
from .interpreter import Frame, Interpreter, RaiseSignal, ReturnSignal, TooComplex
from .source import SourceError, decode_source
from .symbolic import BATCH_NAME, Dim, Expr, exact_div, substitute, to_json
from .values import ClassRef, InputSlot, ModuleValue, Tensor, Unknown

MODEL_HINTS = ("torch", "nn.")


@dataclass
class ModelReport:
    name: str
    kind: str  # "class" | "variable"
    node: Any
    input: Optional[list]
    layers: List[dict] = field(default_factory=list)
    lost: List[tuple] = field(default_factory=list)
    line: int = 0
    output: Optional[list] = None

    def to_json(self, path: str) -> dict:
        return {
            "path": path,
            "class": self.name,
            "kind": self.kind,
            "line": self.line,
            "input": self.input,
            "output": self.output,
            "layers": [
                {k: v for k, v in layer.items() if not k.startswith("_")} for layer in self.layers
            ],
            "unknown": [{"line": ln, "reason": why} for ln, why in self.lost],
        }


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    models: List[ModelReport] = field(default_factory=list)
    internal_error: Optional[str] = None
    source: Optional[str] = None


class Run:
    """The context the interpreter reports to while checking one model (or building it)."""

    def __init__(self, batch_display=None, recording: bool = False):
        self.sinks: List[List[Finding]] = [[]]
        self.constraints = ConstraintSet()
        self.constraint_reasons: List[str] = []
        self.batch = Expr.symbol(BATCH_NAME)
        self.batch_display = batch_display
        self.recording = recording
        self.layers: List[dict] = []
        self.lost_sites: List[tuple] = []
        self.input_symbols: Dict[str, Expr] = {}

    # findings ----------------------------------------------------------------
    @property
    def findings(self) -> List[Finding]:
        return self.sinks[0]

    def report(self, finding: Finding) -> None:
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
        if self.recording:
            self.lost_sites.append((node, reason))

    def begin_module(self, m: ModuleValue, call_node, x):
        if not self.recording:
            return None
        entry = {"module": m.name, "_node": m.node or call_node, "_call": call_node, "op": m.kind, "_in": x}
        self.layers.append(entry)
        return entry

    def end_module(self, entry, result) -> None:
        if entry is not None:
            entry["_out"] = result

    def record_op(self, label: str, node, before, result) -> None:
        if self.recording and (isinstance(before, Tensor) or isinstance(result, Tensor)):
            self.layers.append({"module": None, "_node": node, "_call": node, "op": label, "_in": before, "_out": result})


def _shape_of(v):
    if isinstance(v, Tensor):
        return v.shape
    if isinstance(v, tuple) and v and isinstance(v[0], Tensor):
        return v[0].shape  # (output, indices) / (output, hidden)
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


def check_source(path: str, data, input_shapes: Optional[Dict[str, list]] = None, explain: bool = False) -> FileResult:
    """Check one file's source (bytes or str). Never raises for bad input."""
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
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        f = R.SyntaxErrorRule.finding(None, detail=_syntax_message(e))
        f.path = path
        f.resolve(lambda n: None)
        f.line, f.column = max(e.raw_line, 1), max(e.raw_column, 0) + 1
        f.end_line, f.end_column = f.line, f.column
        result.findings.append(f)
        return result
    except RecursionError:
        f = R.SyntaxErrorRule.finding(None, detail="the code is nested too deeply to parse")
        f.path = path
        f.resolve(lambda n: None)
        result.findings.append(f)
        return result

    checker = FileChecker(path, module, input_shapes or {})
    checker.want_layers = explain  # the shape table costs ~10% of a lint; only --explain shows it
    try:
        checker.run()
    except RecursionError:
        checker.note_internal("the code is nested too deeply to analyse")
    result.models = checker.models
    findings = _dedupe(checker.findings)
    need_positions = bool(findings) or explain
    position_of = _positions(module) if need_positions else (lambda n: None)
    for f in findings:
        f.path = path
        f.resolve(position_of)
    result.findings = sorted(_dedupe_resolved(findings), key=lambda f: (f.line, f.column, f.code))
    if explain:
        for m in result.models:
            _finish_model_report(m, position_of)
    return result


def _syntax_message(e: cst.ParserSyntaxError) -> str:
    msg = e.message.strip().splitlines()[0] if e.message else "invalid syntax"
    return msg.rstrip(".")


def _positions(module: cst.Module):
    from .positions import position_resolver

    try:
        return position_resolver(module)
    except RecursionError:
        return lambda node: None


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
    for layer in m.layers:
        p = position_of(layer["_node"])
        c = position_of(layer["_call"])
        layer["line"] = p[0] if p else (c[0] if c else 0)
        layer["call_line"] = c[0] if c else layer["line"]
    m.lost = [((position_of(n) or (0,))[0], why) for n, why in m.lost]


class FileChecker:
    def __init__(self, path: str, module: cst.Module, input_shapes: Dict[str, list]):
        self.path = path
        self.module = module
        self.input_shapes = input_shapes
        self.findings: List[Finding] = []
        self.models: List[ModelReport] = []
        self.globals: Dict[str, Any] = {"__name__": "shapelint"}  # skips `if __name__ == "__main__":`
        self.want_layers = True

    def note_internal(self, why: str) -> None:
        f = R.TrackingLost.finding(None, reason=why)
        self.findings.append(f)

    def run(self) -> None:
        build = Run()
        interp = Interpreter(build, self.globals)
        frame = Frame(self.globals)
        frame.locals = self.globals
        for stmt in self.module.body:
            try:
                interp.exec_stmt(stmt, frame)
            except (ReturnSignal, RaiseSignal, TooComplex):
                pass
        self.findings.extend(build.findings)
        for name, value in list(self.globals.items()):
            if isinstance(value, ClassRef) and value.info.is_module():
                self.check_class(name, value.info)
            elif isinstance(value, ModuleValue) and value.cls is None:
                self.check_root(name, "variable", value, value.node, None, interp)

    def declared_input(self, name: str, comment_dims) -> Optional[list]:
        if name in self.input_shapes:
            return parse_dims(self.input_shapes[name])
        if comment_dims:
            return parse_dims(comment_dims)
        return None

    def check_class(self, name: str, info) -> None:
        run = Run()
        interp = Interpreter(run, self.globals)
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
        run = Run(batch_display=batch_display, recording=True)
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
        report.layers = [self._layer_row(run, e) for e in run.layers] if self.want_layers else []
        report.output = run.display(_shape_of(out))
        report.lost = run.lost_sites
        self.models.append(report)
        self.findings.extend(run.findings)
        if declared is None and run.constraint_reasons:
            sol = run.constraints.solutions()
            if sol.verdict == SAT:
                self.findings.append(
                    R.InputSizeConstraint.finding(node.name if hasattr(node, "name") else node, model=name, accepted=sol.describe(), reason=", ".join(dict.fromkeys(run.constraint_reasons)))
                )

    def _layer_row(self, run: Run, e: dict) -> dict:
        return {
            "module": e["module"],
            "op": e["op"],
            "in": run.display(_shape_of(e["_in"])),
            "out": run.display(_shape_of(e.get("_out"))),
            "_node": e["_node"],
            "_call": e["_call"],
        }

    def make_input(self, run: Run, declared: Optional[list]):
        if declared is None:
            return Tensor(slot=InputSlot())
        dims = [run.batch]
        for d in declared[1:]:
            dims.append(d if isinstance(d, int) else run.input_symbol(d))
        return Tensor(tuple(dims))
