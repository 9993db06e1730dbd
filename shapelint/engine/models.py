"""Checking every model one file defines: build it, name its submodules, run its forward.

A model is an nn.Module subclass of the file (or imported from a sibling file), or a
module-level variable holding a model. Each is built by the interpreter from
`__init__`, named as torch's `named_modules()` names it, checked at construction,
then run on its declared input (or a symbolic one) with fresh contexts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import libcst as cst

from ..core import rules as R
from ..core.findings import Finding
from ..core.inputs import DeclaredInput, comment_dims, resolve_inputs
from ..core.results import ExplainRow, ModelReport
from ..core.values import ClassRef, InputSlot, ModuleValue, Tensor, Unknown
from .context import ExplainRecorder, FindingSink, LayerCall, Sizes, shape_of
from .frame import RaiseSignal, ReturnSignal, TooComplex
from .interpreter import Interpreter
from .locate import PositionUnits
from .objects import instantiate
from .siblings import MIN_BUDGET_CHARS, LazyImport, SiblingLoader


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
    """Every model of one parsed file.

    Inputs: `input_shapes` (the command line) beats a class-line comment, which beats
    `config_shapes` (pyproject.toml); `inputs` is the resolver's answer for every target.
    """

    def __init__(self, path, module: cst.Module, input_shapes: Dict[str, list], config_shapes: Dict[str, list], explain=False,
                 source_chars: int = 0):
        self.explain = explain  # explain tables cost time: only record them when asked for
        self.path = path
        self.module = module
        self.input_shapes = input_shapes
        self.config_shapes = config_shapes
        self.inputs: Dict[str, DeclaredInput] = resolve_inputs(input_shapes, {}, config_shapes)
        self.findings: List[Finding] = []
        self.models: List[ModelReport] = []
        # `__name__` is not "__main__": the `if __name__ == "__main__":` block is skipped
        self.globals: Dict[str, Any] = {"__name__": "shapelint", "__file__": path}
        budget = max(MIN_BUDGET_CHARS, source_chars // 4)
        self.siblings = SiblingLoader(self._run_sibling, path, self.globals, budget)
        self.top: Optional[Interpreter] = None  # runs the file's top level, and each sibling's
        self.units = PositionUnits()  # shared by every interpreter of this file

    def interpreter(self, sizes: Sizes, findings: FindingSink, explain: ExplainRecorder) -> Interpreter:
        return Interpreter(self.globals, findings=findings, sizes=sizes, explain=explain, units=self.units,
                           siblings=self.siblings)

    def _build_contexts(self):
        sizes = Sizes()
        return sizes, FindingSink(sizes), ExplainRecorder(sizes)

    def note_internal(self, why: str) -> None:
        self.findings.append(R.TrackingLost.finding(None, reason=why))

    def _run_sibling(self, module: cst.Module, globals_: dict) -> None:
        """A sibling's top level, on the module-level interpreter, whichever model's check
        first needed it: its findings are the file's, never one undecided path's."""
        top = self.top
        outer_log, top.write_log = top.write_log, None
        top.findings.open_branch()
        try:
            top.exec_module(module, globals_)
        finally:
            found = top.findings.close_branch()
            top.write_log = outer_log
            top.findings.findings.extend(found)

    def run(self) -> None:
        sizes, sink, recorder = self._build_contexts()
        self.top = self.interpreter(sizes, sink, recorder)
        self.top.exec_module(self.module, self.globals, main=True)
        self.findings.extend(sink.findings)
        seen = len(sink.findings)
        try:
            self._check_models()
        finally:
            self.findings.extend(sink.findings[seen:])  # those of siblings loaded since
            if self.siblings.over_budget:
                n = len(self.siblings.over_budget)
                self.note_internal(f"{n} sibling module{'s' if n > 1 else ''} not read (the analysis budget of this "
                                   f"file); what comes from {'them' if n > 1 else 'it'} is unknown")

    def _check_models(self) -> None:
        comments = {}
        self._resolve_inputs(comments, self.globals.items())
        imported = []
        for name, value in list(self.globals.items()):
            if type(value) is LazyImport:
                imported.append((name, value))  # checked below if this file's code used it
            else:
                self._check_value(name, value)
        # a sibling's class that no code of this file used is not parsed here: it is
        # checked as part of its own file
        used = [(name, lazy.value()) for name, lazy in imported if lazy.resolved]
        self._resolve_inputs(comments, used)
        for name, value in used:
            self._check_value(name, value)

    def _resolve_inputs(self, comments: dict, named) -> None:
        for name, value in named:
            if isinstance(value, ClassRef):
                dims = comment_dims(value.info.shapelint_comment())
                if dims is not None:
                    comments[name] = dims
        self.inputs = resolve_inputs(self.input_shapes, comments, self.config_shapes)

    def _check_value(self, name: str, value) -> None:
        if isinstance(value, ClassRef) and value.info.is_module():
            self.check_class(name, value.info)
        elif isinstance(value, ModuleValue) and (value.cls is None or name in self.input_shapes):
            self.check_root(name, "variable", value, value.node)

    def check_class(self, name: str, info) -> None:
        sizes, sink, recorder = self._build_contexts()
        try:
            root = instantiate(self.interpreter(sizes, sink, recorder), info, [], {}, info.node)
        except (TooComplex, ReturnSignal, RaiseSignal):
            return
        self.findings.extend(sink.findings)
        self.check_root(name, "class", root, info.node)

    def check_root(self, name, kind, root: ModuleValue, node) -> None:
        tree = name_modules(root)
        declared = self.inputs[name].dims if name in self.inputs else None
        sizes = Sizes(declared[0] if declared else None)
        sink = FindingSink(sizes)
        recorder = ExplainRecorder(sizes, recording=self.explain)
        interp = self.interpreter(sizes, sink, recorder)
        for m in tree:
            if m.spec is not None and m.spec.check is not None:
                m.invalid = False
                m.spec.check(interp.ctx, m)
        x = self.make_input(sizes, declared)
        args = [x]
        if root.cls is not None:
            _owner, fwd = root.cls.find_method("forward")
            if fwd is not None:
                extra = len(fwd.params.params) - 2
                args += [Unknown("second forward input") for _ in range(max(extra, 0))]
                args = args[: max(len(fwd.params.params) - 1, 1)]
        try:
            out = interp.run_model(root, args, node)
        except (TooComplex, ReturnSignal, RaiseSignal):
            out = Unknown("too complex")
        report = ModelReport(name, kind, node, sizes.display(x.shape) if isinstance(x, Tensor) else None)
        report.layers = [_layer_row(sizes, e) for e in recorder.calls] if self.explain else []
        report.output = sizes.display(shape_of(out))
        report.lost = recorder.lost_sites
        missing = _required_init_args(root)
        if missing:
            report.lost.insert(0, (node, f"{name} needs constructor arguments ({', '.join(missing)}); checked where it is used"))
        report.assignments = recorder.assignments
        self.models.append(report)
        self.findings.extend(sink.findings)
        accepted = sizes.accepted_inputs() if declared is None else None
        if accepted is not None:
            self.findings.append(
                R.InputSizeConstraint.finding(node, model=name, accepted=accepted.describe(), reason=", ".join(dict.fromkeys(sizes.reasons)))
            )

    def make_input(self, sizes: Sizes, declared: Optional[list]):
        if declared is None:
            return Tensor(slot=InputSlot())
        dims = [sizes.batch]
        for d in declared[1:]:
            dims.append(d if isinstance(d, int) else sizes.input_symbol(d))
        return Tensor(tuple(dims))


def _layer_row(sizes: Sizes, e: LayerCall) -> ExplainRow:
    return ExplainRow(
        e.module, e.op, sizes.display(shape_of(e.inp)), sizes.display(shape_of(e.out)),
        conditional=e.conditional, params=e.params, node=e.node, call=e.call,
    )
