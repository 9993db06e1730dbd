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
from .arch_functional import check_functional
from .architecture import ArchitectureChecker
from .context import ExplainRecorder, FindingSink, LayerCall, Sizes, shape_of
from .frame import RaiseSignal, ReturnSignal, TooComplex
from .interpreter import Interpreter
from .locate import PositionUnits
from .objects import instantiate
from .siblings import SiblingLoader
from .summary import build_summary


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

    def __init__(self, path, module: cst.Module, input_shapes: Dict[str, list], config_shapes: Dict[str, list], explain=False):
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
        self.siblings = SiblingLoader()
        self.source = ""  # the file's text (set by check_source): the architecture rules search it
        self.units = PositionUnits()  # shared by every interpreter of this file

    def interpreter(self, sizes: Sizes, findings: FindingSink, explain: ExplainRecorder) -> Interpreter:
        return Interpreter(self.globals, findings=findings, sizes=sizes, explain=explain, units=self.units,
                           siblings=self.siblings)

    def _build_contexts(self):
        sizes = Sizes()
        return sizes, FindingSink(sizes), ExplainRecorder(sizes)

    def note_internal(self, why: str) -> None:
        self.findings.append(R.TrackingLost.finding(None, reason=why))

    def run(self) -> None:
        sizes, sink, recorder = self._build_contexts()
        self.interpreter(sizes, sink, recorder).exec_module(self.module, self.globals, main=True)
        self.findings.extend(sink.findings)
        module_exact = recorder.lost_count == 0  # module-level models were built by this run
        comments = {}
        for name, value in self.globals.items():
            if isinstance(value, ClassRef):
                dims = comment_dims(value.info.shapelint_comment())
                if dims is not None:
                    comments[name] = dims
        self.inputs = resolve_inputs(self.input_shapes, comments, self.config_shapes)
        own = {id(s) for s in self.module.body}
        classes = [v.info.node for v in self.globals.values()
                   if isinstance(v, ClassRef) and id(v.info.node) in own and v.info.is_module()]
        self.arch = ArchitectureChecker(self.source if classes else "", self.globals, classes)
        self.findings.extend(check_functional(self.module, classes, self.globals, self.source))
        for name, value in list(self.globals.items()):
            if isinstance(value, ClassRef) and value.info.is_module():
                self.check_class(name, value.info)
            elif isinstance(value, ModuleValue) and (value.cls is None or name in self.input_shapes):
                value.exact = value.exact and module_exact
                self.check_root(name, "variable", value, value.node)
        self.findings.extend(self.arch.findings)

    def check_class(self, name: str, info) -> None:
        sizes, sink, recorder = self._build_contexts()
        try:
            root = instantiate(self.interpreter(sizes, sink, recorder), info, [], {}, info.node)
        except (TooComplex, ReturnSignal, RaiseSignal):
            return
        self.findings.extend(sink.findings)
        if recorder.lost_count:
            root.exact = False  # construction ran code shapelint could not follow: its tree may be incomplete
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
        self.arch.check_model(tree, recorder.module_calls)
        report = ModelReport(name, kind, node, sizes.display(x.shape) if isinstance(x, Tensor) else None)
        report.layers = [_layer_row(sizes, e) for e in recorder.calls] if self.explain else []
        report.output = sizes.display(shape_of(out))
        report.lost = recorder.lost_sites
        missing = _required_init_args(root)
        if missing:
            report.lost.insert(0, (node, f"{name} needs constructor arguments ({', '.join(missing)}); checked where it is used"))
        report.assignments = recorder.assignments
        if self.explain:
            report.summary = build_summary(tree, recorder.module_calls, recorder.calls, recorder.lost_sites, sizes, shape_of)
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
