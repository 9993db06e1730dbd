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
from ..core.inputs import FIRST, DeclaredInput, TensorSpec, comment_declaration, resolve_inputs
from ..core.results import ExplainRow, ModelReport
from ..core.symbolic import Expr
from ..core.values import Builtin, ClassRef, InputDim, InputSlot, ModuleValue, Tensor, Unknown
from ..torch.constructor_values import check_layer
from .arch_functional import check_functional
from .architecture import ArchitectureChecker
from .context import ExplainRecorder, FindingSink, LayerCall, Sizes, shape_of
from .dataflow import DataFlow
from .dataflow import index as dataflow_index
from .frame import RaiseSignal, ReturnSignal, TooComplex
from . import build_isolation, modes, rank_confirm, symbolic_init, worlds
from .interpreter import Interpreter
from .locate import PositionUnits
from .objects import instantiate
from .siblings import MIN_BUDGET_CHARS, LazyImport, SiblingLoader
from .receptive_fields import receptive_fields
from .summary import build_summary


def name_modules(root: ModuleValue, root_label: Optional[str] = None) -> List[ModuleValue]:
    """Qualified names exactly as torch's named_modules() spells them (first path wins);
    `root_label` is how messages name the model itself (`model[3]`)."""
    seen = set()
    order = []

    def walk(m: ModuleValue, prefix: str):
        if id(m) in seen:
            return
        seen.add(id(m))
        m.name = prefix or None
        m.root_label = root_label
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
                 source_chars: int = 0, graph: bool = False):
        self.explain = explain or graph  # explain tables cost time: only record them when asked for
        self.shared = False  # _check_models: not looked for yet
        self.graph = graph  # `shapelint graph`: also record which call produced each tensor
        self.path = path
        self.module = module
        self.input_shapes = input_shapes
        self.config_shapes = config_shapes
        self.inputs: Dict[str, DeclaredInput] = resolve_inputs(input_shapes, {}, config_shapes)
        self.findings: List[Finding] = []
        self.models: List[ModelReport] = []
        self.skipped: List[tuple] = []  # (class name, why): classes that could not be built, so no model
        # `__name__` is not "__main__": the `if __name__ == "__main__":` block is skipped
        self.globals: Dict[str, Any] = {"__name__": "shapelint", "__file__": path}
        budget = max(MIN_BUDGET_CHARS, source_chars // 4)
        self.siblings = SiblingLoader(self._run_sibling, path, self.globals, budget)
        self.top: Optional[Interpreter] = None  # runs the file's top level, and each sibling's
        self.source = ""  # the file's text (set by check_source): the architecture rules search it
        self.module_exact = True
        self.units = PositionUnits()  # shared by every interpreter of this file
        self.functions_read_training: Optional[bool] = None  # a function of the file reads `.training`
        self.attribution: Optional[list] = None  # while checking one world: (name, findings, reports, arch findings)
        self.symbolic_findings: set = set()  # ids of findings for every value of constructor arguments (symbolic_init)
        self.name_counts = None  # how often each name occurs in the file (symbolic_init), counted once when asked

    def interpreter(self, sizes: Sizes, findings: FindingSink, explain: ExplainRecorder) -> Interpreter:
        vm = Interpreter(self.globals, findings=findings, sizes=sizes, explain=explain, units=self.units,
                         siblings=self.siblings)
        vm.checked_tree = self.module  # the checked file's tree: config entries are read off it (callsite.py)
        return vm

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
        self.top.alternatives = []
        self.top.exec_module(self.module, self.globals, main=True)
        alternatives, self.top.alternatives = self.top.alternatives, None  # siblings' blocks are not recorded
        self.findings.extend(sink.findings)
        seen = len(sink.findings)
        self.module_exact = recorder.lost_count == 0  # module-level models were built by this run
        own = {id(s) for s in self.module.body}
        classes = [v.info.node for v in self.globals.values()
                   if isinstance(v, ClassRef) and id(v.info.node) in own and v.info.is_module()]
        self.arch = ArchitectureChecker(self.source if classes else "", self.globals, classes)
        self.arch.module = self.module
        self.arch.plain_classes = {id(v.info.node) for v in self.globals.values()
                                   if isinstance(v, ClassRef) and id(v.info.node) in own and v.info.is_plain()}
        self.arch.sibling_modules = lambda: self.siblings.modules
        self.findings.extend(check_functional(self.module, classes, self.globals, self.source))
        try:
            self._check_in_worlds(alternatives)
            self.findings.extend(self.arch.findings)
            if self.symbolic_findings:
                self.findings = symbolic_init.prefer_plain(self.findings, self.symbolic_findings)
        finally:
            self.findings.extend(sink.findings[seen:])  # those of siblings loaded since
            if self.siblings.over_budget:
                n = len(self.siblings.over_budget)
                self.note_internal(f"{n} sibling module{'s' if n > 1 else ''} not read (the analysis budget of this "
                                   f"file); what comes from {'them' if n > 1 else 'it'} is unknown")

    def _check_in_worlds(self, alternatives: list) -> None:
        """The models once, or once per way of the top level's undecided blocks (worlds.py)."""
        ways = [] if self.graph else worlds.worlds(alternatives)
        if not ways:
            self._check_models()
            return
        base, per_world = dict(self.globals), []
        try:
            for world in ways:
                worlds.bind(self.globals, base, world)
                self.attribution = []
                self._check_models()
                per_world.append(self.attribution)
        finally:
            self.attribution = None
            worlds.bind(self.globals, base, {})
        found, reports, arch = worlds.merge_checks(per_world)
        self.findings += found
        self.models += reports
        self.arch.findings += arch

    def _check_models(self) -> None:
        self.shared = False  # the file's shared containers, found at the first model (build_isolation)
        comments = variable_comments(self.module)
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
                declared = comment_declaration(value.info.shapelint_comment())
                if declared is not None:
                    comments[name] = declared
        self.inputs = resolve_inputs(self.input_shapes, comments, self.config_shapes)

    def _check_value(self, name: str, value) -> None:
        if self.attribution is None:
            self._check_one(name, value)
            return
        marks = len(self.findings), len(self.models), len(self.arch.findings)
        self._check_one(name, value)
        taken = (self.findings[marks[0]:], self.models[marks[1]:], self.arch.findings[marks[2]:])
        del self.findings[marks[0]:], self.models[marks[1]:], self.arch.findings[marks[2]:]
        if any(taken):
            self.attribution.append((name,) + taken)  # merged with the same name's checks in other worlds

    def _check_one(self, name: str, value) -> None:
        if self.shared is False:
            self.shared = build_isolation.shared_containers(self.globals)
        restore = build_isolation.snapshot(self.shared)  # the next model sees the file as the top level left it
        try:
            self._check_unisolated(name, value)
        finally:
            if restore is not None:
                restore()

    def _check_unisolated(self, name: str, value) -> None:
        if isinstance(value, ClassRef) and value.info.is_module():
            self.check_class(name, value.info)
        elif isinstance(value, ModuleValue) and not _plain_object(value) and (
                value.cls is None or name in self.inputs or _required_init_args(value)):
            # a torch container, a declared instance, or an instance that gives the constructor
            # arguments its class needs (`model = Head(3, 10)`: the class alone cannot be built)
            value.exact = value.exact and self.module_exact
            self.check_root(name, "variable", value, value.node, rebuild=rank_confirm.variable_rebuild(self, value))

    def check_class(self, name: str, info) -> None:
        mark = len(self.models)
        self._build_and_check(name, info, {})
        params = symbolic_init.int_parameters(info)  # first: the file-wide name count is needed only then
        params = [] if params and symbolic_init.built_elsewhere(self, info) else params
        if params:  # built nowhere with them: what fails for every value of them (issue 16.2)
            build = lambda kwargs: self._build_and_check(name, info, kwargs)  # noqa: E731
            found, report = symbolic_init.check_for_every_value(self, name, params, build)
            self.findings.extend(found)
            if report is not None and len(self.models) == mark + 1:
                self.models[mark] = report  # its shape table shows the symbols

    def _build_and_check(self, name: str, info, kwargs: dict) -> None:
        sizes, sink, recorder = self._build_contexts()
        try:
            root = instantiate(self.interpreter(sizes, sink, recorder), info, [], kwargs, info.node)
        except TooComplex as e:
            self.findings.append(R.TrackingLost.finding(info.node, reason=f"building {name} went over shapelint's budget ({e}): not checked"))
            self.skipped.append((name, "building it went over the analysis budget"))
            return
        except RaiseSignal:
            self.skipped.append((name, "its constructor raises on every path shapelint follows"))
            return
        except ReturnSignal:
            self.skipped.append((name, "its construction returned early"))
            return
        self.findings.extend(sink.findings)
        if recorder.lost_count:
            root.exact = False  # construction ran code shapelint could not follow: its tree may be incomplete
        self.check_root(name, "class", root, info.node, rebuild=lambda vm: instantiate(vm, info, [], kwargs, info.node))

    def check_root(self, name, kind, root: ModuleValue, node, rebuild=None) -> None:
        tree = name_modules(root, name if kind == "variable" else "self")
        declaration = self.inputs.get(name)
        params = forward_params(root)
        declared_by_name = dict(declaration.inputs) if declaration is not None else {}
        first_spec = declared_by_name.get(FIRST) or (declared_by_name.get(params[0][0]) if params else None)
        if first_spec is None and declaration is not None and params is None:
            first_spec = declaration.inputs[0][1]  # a torch layer or container: its one input
        declared = list(first_spec.dims) if first_spec is not None else None
        sizes = Sizes(declared[0] if declared else None)
        sink = FindingSink(sizes)
        recorder = ExplainRecorder(sizes, recording=self.explain)
        if self.graph:
            recorder.flow = DataFlow()
        interp = self.interpreter(sizes, sink, recorder)
        divisions = set()
        for m in tree:
            if m.spec is not None:
                m.invalid = check_layer(interp.ctx, m, divisions)  # torch's constructor raises: its shapes are unknown
                if not m.invalid and m.spec.check is not None:
                    sink.site = m  # a finding about its argument may move to the call that passed it
                    m.spec.check(interp.ctx, m)
                    sink.site = None
        x = self.make_input(sizes, declared)
        if first_spec is not None and x.shape is not None:
            x = x.with_dtype(declared_dtype(first_spec))
        args, kwargs = [x], {}
        if params:
            kwargs = further_inputs(params, declared_by_name, lambda spec: self.make_tensor(sizes, declared, spec))
        if recorder.flow is not None:
            recorder.flow.note_input((args, kwargs))
        out = self._run_forward(interp, name, tree, args, kwargs, node)
        if recorder.flow is not None:
            recorder.flow.finish(out)
            report_flow = dataflow_index(recorder.calls, recorder.flow)
        self.arch.check_model(tree, recorder.module_calls)
        report = ModelReport(name, kind, node, sizes.display(x.shape) if isinstance(x, Tensor) else None)
        fields = None
        if self.explain:
            fields = receptive_fields(recorder.calls, x, recorder.merges)
            report.layers = [_layer_row(sizes, e, f) for e, f in zip(recorder.calls, fields)]
        if recorder.flow is not None:
            report.flow, report.flow_output = report_flow
        report.output = sizes.display(shape_of(out))
        report.lost = recorder.lost_sites
        report.inputs = declaration.to_json() if declaration is not None else []
        missing = _required_init_args(root) if kind == "class" else []  # an instance was given them
        if missing:
            report.lost.insert(0, (node, f"{name} needs constructor arguments ({', '.join(missing)}); checked where it is used"))
        report.assignments = recorder.assignments
        if any(f.rank_guess for f in sink.findings):  # made under a guessed input rank: shown only if every rank fails
            sink.settle_rank_guesses(declared is None and rank_confirm.other_ranks_fail(
                self, name, node, len(x.shape) if isinstance(x, Tensor) and x.shape is not None else None, rebuild,
                lambda vm, built, t: self._run_forward(vm, name, name_modules(built, name if kind == "variable" else "self"), [t], further_inputs(params or [], {}, None), node)))
        if self.explain:
            report.summary = build_summary(tree, recorder.module_calls, recorder.calls, recorder.lost_sites, sizes, shape_of,
                                           recorder.matmul_operators, fields)
        self.models.append(report)
        self.findings.extend(sink.findings)
        accepted = sizes.accepted_inputs() if declared is None else None
        if accepted is not None:
            self.findings.append(
                R.InputSizeConstraint.finding(node, model=name, accepted=accepted.describe(_symbol_order(x)),
                                              reason=", ".join(dict.fromkeys(sizes.reasons)))
            )

    def _run_forward(self, interp, name, tree: List[ModuleValue], args, kwargs, node):
        """One checked forward of the model `tree[0]`: in both training modes where it reads them."""
        if self.functions_read_training is None:
            self.functions_read_training = modes.functions_read_training(self.module, self.source)
        run = lambda: _forward(interp, name, tree[0], args, kwargs, node)  # noqa: E731
        if self.functions_read_training or modes.classes_read_training(tree, self.globals, self.source):
            return modes.run_both(interp, interp.sizes, run)
        return run()

    def make_input(self, sizes: Sizes, declared: Optional[list]):
        if declared is None:
            return Tensor(slot=InputSlot())
        dims = [sizes.batch]
        for d in declared[1:]:
            dims.append(d if isinstance(d, int) else sizes.input_symbol(d))
        return Tensor(tuple(dims), tuple(InputDim(i, len(dims)) for i in range(len(dims))))

    @staticmethod
    def make_tensor(sizes: Sizes, first: Optional[list], spec: TensorSpec) -> Tensor:
        """A further declared input: batch first when its first dim is the first input's."""
        dims = []
        for i, d in enumerate(spec.dims):
            if i == 0 and first and d == first[0]:
                dims.append(sizes.batch)
            else:
                dims.append(d if isinstance(d, int) else sizes.input_symbol(d))
        return Tensor(tuple(dims), dtype=declared_dtype(spec))


def declared_dtype(spec: TensorSpec):
    """The dtype a declared input's tensor carries: "float" is also what a declaration without a
    dtype reads as (`input=(2, 16)` of a token model), so it is not known (no SHP015 from it)."""
    return None if spec.dtype == "float" else spec.dtype


def _forward(interp: Interpreter, name: str, root: ModuleValue, args: list, kwargs: dict, node):
    try:
        return interp.run_model(root, args, node, kwargs)
    except TooComplex as e:
        interp.explain.lost(node, f"the forward of {name} went over shapelint's budget ({e})")
        return Unknown("too complex")
    except (ReturnSignal, RaiseSignal):
        return Unknown("too complex")


def forward_params(root: ModuleValue) -> Optional[List[tuple]]:
    """(name, has_default) of each parameter of the model's forward after self; None when
    the model has no forward of the user's file (a torch layer or container)."""
    if root.cls is None:
        return None
    _owner, fwd = root.cls.find_method("forward")
    if fwd is None:
        return None
    p = fwd.params
    plain = (list(p.posonly_params) + list(p.params))[1:]
    return [(q.name.value, q.default is not None) for q in plain + list(p.kwonly_params)]


def further_inputs(params: List[tuple], declared: dict, make) -> dict:
    """Keyword arguments after the first input: each declared input by its parameter's
    name; a parameter with a default that is not declared keeps it (`targets=None`), one
    without a default is unknown."""
    kwargs = {}
    for name, has_default in params[1:]:
        if name in declared:
            kwargs[name] = make(declared[name])
        elif not has_default:
            kwargs[name] = Unknown(f"forward input `{name}` is not declared")
    return kwargs


def variable_comments(module: cst.Module) -> Dict[str, object]:
    """Module-level `name = Model(...)  # shapelint: idx=(2, 16):long` declarations."""
    out: Dict[str, object] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or stmt.trailing_whitespace.comment is None:
            continue
        small = stmt.body[0] if len(stmt.body) == 1 else None
        target = None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
        elif isinstance(small, cst.AnnAssign):
            target = small.target
        if isinstance(target, cst.Name):
            declared = comment_declaration(stmt.trailing_whitespace.comment.value)
            if declared is not None:
                out[target.value] = declared
    return out


def _layer_row(sizes: Sizes, e: LayerCall, receptive) -> ExplainRow:
    return ExplainRow(
        e.module, e.op, sizes.display(shape_of(e.inp)), sizes.display(shape_of(e.out)),
        conditional=e.conditional, params=e.params, node=e.node, call=e.call, receptive=receptive,
    )


def _plain_object(value: ModuleValue) -> bool:
    """An instance of a class that is certainly not an nn.Module (a config: every base in its MRO is
    one of the file's plain classes or `object`): a module-level `cfg = Cfg(...)` is not a model."""
    info = value.cls
    return info is not None and value.spec is None and all(
        isinstance(b, ClassRef) or (isinstance(b, Builtin) and b.name == "object") for c in info.mro() for b in c.bases)


def _symbol_order(x) -> tuple:
    """The input's size symbols in the order its dims list them (B, D1, A -> D1, A after the batch)."""
    shape = x.shape if isinstance(x, Tensor) and x.shape is not None else ()
    out = []
    for d in shape:
        names = d.symbols() if isinstance(d, Expr) else ()
        if len(names) == 1 and d == Expr.symbol(next(iter(names))) and next(iter(names)) not in out:
            out.append(next(iter(names)))
    return tuple(out)
