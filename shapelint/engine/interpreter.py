"""A small, safe interpreter for the Python that model files are written in.

It walks libcst nodes; it never imports or executes the user's code. The same
interpreter builds modules from `__init__` (evaluating layer arguments, loops, helper
functions, `add_module`) and propagates shapes through `forward()`.

This module is the evaluation loop: statements, assignment, and the dispatch of
calls, attributes and operators by the kind of value. The value model is in
`core.values`; expressions have one handler each (`expressions`); Python's builtins,
operators and methods are tables (`builtins`, `pyvalues`); undecided branches are
`branches`; the user's classes and functions are `objects`; everything torch is
reached through `torch_calls` and the tables of `shapelint.torch`. Whatever is not
modelled becomes unknown through one method, `unmodelled`.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..core.symbolic import BATCH_NAME, is_known
from ..core.values import (BaseMethod, BoundMethod, Builtin, ClassRef, FunctionRef, ModuleValue, Namespace, ParameterTensor,
                           PendingShape, Ref, SuperProxy, Tensor, Unknown)
from ..torch import containers, item_assignment, packed_sequence, tensor_values, type_info
from ..torch.functions import NamedResult
from . import (asserts, branches, class_bodies, config_fields, dataclass_configs, dict_subclasses, enums, exceptions, iterators,
               library_calls, loop_elements, loops, module_hooks, mutation, namedtuples, namespaces, numpy_overlay, objects,
               parameter_identity, partials, pyvalues, shape_tuples, size_origins, strict, text_values, torch_calls, try_blocks,
               with_blocks)
from . import module_dunders  # noqa: F401 - registers nn.Module's __setattr__ / __getattr__
from .builtins import call_builtin
from .context import ExplainRecorder, FindingSink, ShapeContext, Sizes
from .expressions import EXPRESSIONS
from .extract import STAR_IMPORT, ClassInfo, canonical, dotted, import_bindings
from .frame import (
    MAX_STEPS,
    MAX_UNROLL,
    BreakSignal,
    ContinueSignal,
    Frame,
    LambdaRef,
    LiveScope,
    RaiseSignal,
    ReturnSignal,
    TooComplex,
    log_write,
)
from .locate import PositionUnits
from .siblings import STAR_RESOLVED, SiblingLoader, resolve

_MUTABLE_TYPES = (list, dict, set)
_POISONABLE = (list, dict, set, ModuleValue, iterators.PyIterator)
_METHODS = {t: {n for n in dir(t) if not n.startswith("_")} for t in _MUTABLE_TYPES}


_NEW_CONTAINER_NODES = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp, cst.BinaryOperation)
_NEW_CONTAINER_CALLS = ("list", "dict", "set", "sorted", "copy", "OrderedDict", "deepcopy")


def _makes_new(node) -> bool:
    """Whether an expression's list/dict/set value is certainly a new object (a literal, a copy)."""
    if isinstance(node, _NEW_CONTAINER_NODES):
        return True
    if isinstance(node, cst.Call):
        f = node.func
        name = f.value if isinstance(f, cst.Name) else f.attr.value if isinstance(f, cst.Attribute) else None
        return name in _NEW_CONTAINER_CALLS
    return isinstance(node, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in node.slice)


def _plain_object(m: ModuleValue) -> bool:
    return m.cls is not None and m.cls.is_plain()


class Interpreter:
    """Python semantics over libcst nodes; torch calls are answered by the torch tables.

    The contexts are given at construction: `findings` (where findings go), `sizes`
    (assumptions about the input's sizes), `explain` (the table recorder), `units`
    (position bookkeeping) and `siblings` (classes imported from the user's package).
    """

    def __init__(self, globals_: dict, *, findings: FindingSink, sizes: Sizes, explain: ExplainRecorder,
                 units: PositionUnits, siblings: SiblingLoader):
        self.globals = globals_
        self.findings = findings
        self.explain = explain
        self.units = units
        self.siblings = siblings
        self.sizes = sizes  # an undecided branch's paths each require of the input on their own
        self.ctx = ShapeContext(findings, sizes)  # what torch's shape rules see
        self.depth = 0
        self.catching = 0  # try bodies around this point whose handlers may catch a failed lookup
        self.tentative_scope = None  # the scope of the undecided path (or while-loop trial) running now
        self.dropped_raises = 0  # undecided paths left out because they raised (branches.fork)
        self.handling = []  # kinds of the exceptions whose handlers run now (a bare `raise` re-raises the last)
        self.call_stack: list = []  # callsite.Binding of each user function running, innermost last
        self.assigned_names: dict = {}  # id(function node) -> the names its body rebinds (callsite.py)
        self.loop_elements: dict = {}  # (id(Binding), loop variable) -> the element it holds (loop_elements.py)
        self.steps = 0
        self.write_log: Optional[list] = None  # module writes of the undecided path running now
        self.container_log: Optional[dict] = None  # lists/dicts the undecided path running now changed
        self.poisoned: dict = {}  # id -> (container, why): changed in a way shapelint does not model
        self.container_born: set = set()  # ids of the containers made on the undecided path running now
        self.alternatives: Optional[list] = None  # the top level's undecided names, per block (worlds.py)
        self.training: Optional[bool] = None  # `self.training` while modes.run_both runs a forward; else unknown
        self.training_reads = 0  # how often a forward read it (a run that never did needs no eval run)
        self.try_depth = 0  # the `try` bodies running now, in this call and the calls around it

    def unmodelled(self, what: str, node=None) -> Unknown:
        """The one place a construct shapelint does not model becomes unknown.

        In the test suite's strict mode (`strict`) it is reported, or raises.
        """
        if strict.ON:
            strict.report(what, node, self.globals.get("__file__"))
        return Unknown(what, node)

    def exec_module(self, module: cst.Module, globals_: dict, main: bool = False) -> None:
        """Run a module's top level: imports bind names, defs define, the rest is evaluated."""
        frame = Frame(globals_)
        frame.locals = globals_
        if main:
            self.units.mark_functions(module)
        outer = self.units.current
        for stmt in module.body:
            self.units.current = stmt if main else None
            try:
                self.exec_stmt(stmt, frame)
            except (ReturnSignal, RaiseSignal, TooComplex, BreakSignal, ContinueSignal):
                pass
        self.units.current = outer

    def run_model(self, root: ModuleValue, args: list, node, kwargs: Optional[dict] = None):
        """A model's forward on its inputs (the model itself gets no row of its own table)."""
        return self.module_forward(root, args, kwargs or {}, node, args[0])

    # ------------------------------------------------------------------ statements
    def exec_block(self, stmts, frame: Frame) -> None:
        for stmt in stmts:
            self.exec_stmt(stmt, frame)

    def exec_stmt(self, stmt, frame: Frame) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TooComplex("too many steps")
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.exec_small(small, frame)
        elif isinstance(stmt, cst.If):
            self.exec_if(stmt, frame)
        elif isinstance(stmt, cst.For):
            self.exec_for(stmt, frame)
        elif isinstance(stmt, cst.While):
            loops.exec_while(self, stmt, frame)
        elif isinstance(stmt, cst.With):
            with_blocks.exec_with(self, stmt, frame)
        elif isinstance(stmt, cst.Try):
            try_blocks.exec_try(self, stmt, frame)
        elif isinstance(stmt, cst.FunctionDef):
            frame.locals[stmt.name.value] = objects.define_function(self, stmt, frame)
        elif isinstance(stmt, cst.ClassDef):
            info = ClassInfo(stmt, frame.globals)
            if self.call_stack and frame.locals is not frame.globals:
                info.captured = LiveScope(frame)
            info.bases = [self.eval(a.value, frame) for a in stmt.bases if a.keyword is None]
            class_bodies.run_body(self, info, frame)
            frame.locals[stmt.name.value] = class_bodies.created(self, info, stmt, frame)
        elif isinstance(stmt, cst.BaseSmallStatement):  # the body of `def f(x): return x`
            self.exec_small(stmt, frame)
        else:  # match, async for/with, try/except*: what they may change becomes unknown
            branches.havoc(self, stmt, frame)
            self.unmodelled(f"statement {type(stmt).__name__}", stmt)

    def exec_small(self, small, frame: Frame) -> None:
        if isinstance(small, cst.Expr):
            if not isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):  # docstrings
                self.eval(small.value, frame)
        elif isinstance(small, cst.Assign):
            value = self.eval(small.value, frame)
            if isinstance(value, tuple) and shape_tuples.unpack_mismatch(self, small, value, frame):
                value = Unknown("unpacking")  # Python raises here
            for t in small.targets:
                self.assign(t.target, value, frame)
            size_origins.note_attributes(self, small, value, frame)
            config_fields.carry(self, small, frame)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, frame), frame)
        elif isinstance(small, cst.AugAssign):
            self.exec_augassign(small, frame)
        elif isinstance(small, cst.Return):
            value = self.eval(small.value, frame) if small.value is not None else None
            if self.explain.recording:
                self.explain.record_value(small, "return", value)
            raise ReturnSignal(value)
        elif isinstance(small, cst.Raise):
            raise RaiseSignal(exceptions.raised_kind(self, small, frame))
        elif isinstance(small, cst.Break):
            raise BreakSignal()
        elif isinstance(small, cst.Continue):
            raise ContinueSignal()
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            bound, found = import_bindings(small), self.siblings.bindings(small, frame.globals.get("__file__"), self)
            if found.pop(STAR_RESOLVED, False):
                bound.pop(STAR_IMPORT, None)  # `from .layers import *` of a sibling shapelint read whole
            frame.locals.update(bound)
            frame.locals.update(found)
        elif isinstance(small, cst.Del):
            mutation.exec_del(self, small.target, frame)
        elif isinstance(small, cst.Assert):
            asserts.exec_assert(self, small, frame)
        # Pass, Global, Nonlocal: nothing to do

    def eval_key(self, s, frame: Frame):
        from .expressions import eval_slice
        return eval_slice(self, s, frame)

    def exec_augassign(self, small: cst.AugAssign, frame: Frame) -> None:
        self.units.note(small)
        current = self.eval(small.target, frame)
        rhs = self.eval(small.value, frame)
        op = type(small.operator).__name__.replace("Assign", "")
        if op == "Add" and isinstance(current, list):
            # `layers += [...]` mutates in place, like Python: list.extend
            result = mutation.list_method(self, current, "extend", [rhs], {})
            self.assign(small.target, current if result is None else result, frame)
        elif op == "BitOr" and isinstance(current, dict):
            result = mutation.dict_method(self, current, "update", [rhs], {})
            self.assign(small.target, current if result is None else result, frame)
        elif op == "Multiply" and isinstance(current, list):
            touched = isinstance(rhs, int) and not isinstance(rhs, bool) and len(current) * max(rhs, 0) <= 100_000
            if touched:
                mutation.touch(self, current)
                current[:] = current * rhs
            else:
                mutation.poison(self, current, "`*=` shapelint does not model")
            self.assign(small.target, current if touched else Unknown("`*=`"), frame)
        elif op == "Add" and isinstance(current, ModuleValue) and containers.extend_in_place(self, current, rhs):
            pass  # ModuleList.__iadd__ extends it in place
        else:
            self.assign(small.target, self.binop(op, current, rhs, small), frame)

    def assign(self, target, value, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.locals[target.value] = value
            frame.rebound.add(target.value)
            if self.explain.recording:  # only when explaining (editor hints)
                self.explain.record_value(target, target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.assign_unpacked(target.elements, value, frame)
        elif isinstance(target, cst.Attribute):
            self.set_attr(self.eval(target.value, frame), target.attr.value, value)
        elif isinstance(target, cst.Subscript):
            obj = self.eval(target.value, frame)
            if isinstance(obj, Tensor):  # `cache[:b, s:e] = k`: torch expands k to the part's shape or raises
                keys = tuple(self.eval_key(e.slice, frame) for e in target.slice)
                key = keys[0] if len(keys) == 1 else keys
                item_assignment.check_item_assignment(self.ctx, target, obj, key, value)
                self.set_item(obj, key, value)
            elif len(target.slice) == 1:
                self.set_item(obj, self.eval_key(target.slice[0].slice, frame), value)
            else:
                mutation.poison(self, obj, "an item assignment shapelint does not model changed it")
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, value, frame)

    def assign_unpacked(self, elems, value, frame: Frame) -> None:
        """`a, b = ...` and `first, *rest = ...`."""
        star = [i for i, e in enumerate(elems) if isinstance(e, cst.StarredElement)]
        if isinstance(value, PendingShape) and not star:
            value = self.decide_rank(value, elems)
        seq = self.as_sequence(value, len(elems) if not star else None)
        if seq is None or (not star and len(seq) != len(elems)):
            for e in elems:
                self.assign(e.value, Unknown("unpacking"), frame)
            return
        if star:
            s = star[0]
            after = len(elems) - s - 1
            parts = list(seq[:s]) + [list(seq[s: len(seq) - after])] + list(seq[len(seq) - after:])
        else:
            parts = list(seq)
        for e, v in zip(elems, parts):
            self.assign(e.value, v, frame)

    def decide_rank(self, shape: PendingShape, elems):
        """`B, N, C = x.shape` of the model input: torch raises unless it has that many dims, so
        the input is (batch, N, C), the sizes named after the code's own names."""
        x = shape.tensor
        if not x.pending or len(elems) < 1:
            return x.shape if x.shape is not None else Unknown("sizes")
        dims = [self.ctx.batch]
        for i, e in enumerate(elems[1:], start=1):
            name = e.value.value.upper() if isinstance(e.value, cst.Name) and e.value.value not in ("_", "self") else f"D{i}"
            if name == BATCH_NAME:
                name = f"D{i}"
            dims.append(self.ctx.input_symbol(name))
        x.slot.resolve(dims, (None,) * len(dims), None)
        return tuple(dims)

    def set_item(self, obj, key, value) -> None:
        if isinstance(obj, Tensor):
            tensor_values.forget(obj)  # `pos[0] = 100`: arange's bound, linspace's values no longer hold
        if isinstance(obj, ModuleValue):
            self.touch_children(obj)
            if not containers.set_index(obj, key, value) and obj.cls is None:
                mutation.poison(self, obj, "an item assignment shapelint does not model changed it")
        else:
            mutation.set_item(self, obj, key, value)

    def set_attr(self, obj, name: str, value, bypass: bool = False) -> None:
        """`obj.name = value`; `bypass`: `object.__setattr__`, which a frozen dataclass does not refuse."""
        if isinstance(obj, ClassRef):
            objects.set_class_attr(obj.info, name, value)
            return
        if not isinstance(obj, ModuleValue):
            return parameter_identity.set_on_value(self, obj, name, value)
        if not bypass and dataclass_configs.frozen(self, obj):
            raise RaiseSignal(exceptions.FROZEN_INSTANCE)  # dataclasses.FrozenInstanceError
        if obj.cls is not None and not isinstance(value, ModuleValue) and objects.property_write(self, obj, name, value, None):
            return
        self.log_write(obj, name)
        if obj.clobbered is not None:
            obj.rewritten.add(name)
        if isinstance(value, ModuleValue) and not (_plain_object(obj) or _plain_object(value)):
            obj.attrs.pop(name, None)
            obj.children[name] = value  # nn.Module.__setattr__ registers a module in a module only
        elif value is None and name in obj.children:
            obj.children[name] = None
        else:
            obj.children.pop(name, None)
            obj.attrs[name] = value

    def del_attr(self, obj, name: str) -> None:
        """`del self.name`: nn.Module.__delattr__ removes a submodule or an attribute."""
        if isinstance(obj, ModuleValue):
            self.log_write(obj, name)
            obj.children.pop(name, None)
            obj.attrs.pop(name, None)
            obj.rewritten.discard(name)

    def touch_children(self, m: ModuleValue) -> None:  # a torch container's modules about to change
        mutation.touch_children(self, m)

    def log_write(self, obj: ModuleValue, name: str) -> None:
        """Note a module attribute about to change, so an undecided branch can undo it."""
        log_write(self.write_log, obj, name)
        config_fields.forget(obj, name)  # a dataclass field's note holds until the attribute changes

    # ------------------------------------------------------------------ control flow
    def exec_if(self, stmt: cst.If, frame: Frame) -> None:
        t = pyvalues.truth(self.eval(stmt.test, frame))
        orelse = stmt.orelse
        if t is True:
            asserts.exec_guarded_if(self, stmt, frame)  # a guard that raises is reported there
        elif t is False:
            self.run_else(orelse, frame)
        else:
            branches.fork(self, lambda f: self.exec_block(stmt.body.body, f), lambda f: self.run_else(orelse, f), frame)

    def run_else(self, orelse, frame: Frame) -> None:
        if isinstance(orelse, cst.Else):
            self.exec_block(orelse.body.body, frame)
        elif isinstance(orelse, cst.If):
            self.exec_if(orelse, frame)

    def exec_for(self, stmt: cst.For, frame: Frame) -> None:
        source = self.eval(stmt.iter, frame)
        it = self.iterate(source)
        if it is None or len(it) > MAX_UNROLL:
            branches.havoc(self, stmt.body, frame, stmt.target)
            return
        for index, item in enumerate(loops.live_items(self, source, it)):
            if item is loops.TOO_LONG:
                branches.havoc(self, stmt.body, frame, stmt.target)
                return
            self.assign(stmt.target, item, frame)
            noted = loop_elements.enter(self, stmt.target, stmt.iter, index, item)
            try:
                self.exec_block(stmt.body.body, frame)
            except BreakSignal:
                return
            except ContinueSignal:
                continue
            finally:
                loop_elements.leave(self, noted)
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body.body, frame)

    def iterate(self, v) -> Optional[list]:
        """The elements `for x in v` visits, when shapelint knows them; else None."""
        if isinstance(v, iterators.PyIterator):
            return iterators.drawn(self, v)
        if enums.is_enum_class(v):
            return enums.distinct(self, v.info)  # `for n in Norm`: the members, aliases once
        if isinstance(v, (list, tuple, str)):
            return list(v)
        if isinstance(v, range):
            return list(v) if len(v) <= MAX_UNROLL else None
        if isinstance(v, dict):
            return list(v.keys())
        if isinstance(v, ModuleValue):
            return containers.items(v)
        if isinstance(v, numpy_overlay.NdArray):
            return [v.index(i) for i in range(len(v))]
        return tensor_values.elements(v) or tensor_values.rows(v, MAX_UNROLL) if isinstance(v, Tensor) else None

    def as_sequence(self, v, n):
        if isinstance(v, (list, tuple)):
            return list(v)
        if isinstance(v, Tensor) and v.shape is not None and len(v.shape) >= 1 and is_known(v.shape[0]) and n == v.shape[0]:
            return [Tensor(v.shape[1:]) for _ in range(n)]  # `a, b = x` unpacks the first dimension
        return self.iterate(v)

    # ------------------------------------------------------------------ expressions
    def eval(self, node, frame: Frame):
        handler = EXPRESSIONS.get(type(node))
        if handler is None:
            return self.unmodelled(f"unsupported expression {type(node).__name__}", node)
        value = handler(self, node, frame)
        if type(value) in _POISONABLE:
            if self.container_log is not None and _makes_new(node):
                mutation.born(self, value)
            if self.poisoned:
                return mutation.poisoned_value(self, value)
        elif type(value) is ParameterTensor:
            return parameter_identity.read_through(self, node, value)
        elif self.poisoned and type(value) is Tensor:
            return mutation.poisoned_value(self, value)  # changed in place by a method with no rule
        return value

    def binop(self, op: str, a, b, node):
        if isinstance(a, dict_subclasses.MappingValue) or isinstance(b, dict_subclasses.MappingValue):
            return Unknown("an operator on a mapping of the user's class (its result's class is not followed)")
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return torch_calls.tensor_operator(self, op, a, b, node)
        return pyvalues.arith(op, a, b)

    def get_attr(self, obj, name: str, node=None):
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj, Ref):
            q = canonical(f"{obj.qualname}.{name}")
            return numpy_overlay.CONSTANTS[q] if q in numpy_overlay.CONSTANTS else Ref(q)
        if isinstance(obj, numpy_overlay.NdArray):
            return numpy_overlay.attribute(obj, name) or BoundMethod(obj, name)
        if isinstance(obj, namespaces.ParserValue):
            return BoundMethod(obj, name)
        if isinstance(obj, namedtuples.NamedTupleValue):
            return namedtuples.attribute(self, obj, name, BoundMethod)
        if isinstance(obj, dict_subclasses.MappingValue):
            return dict_subclasses.attribute(self, obj, name, node)
        if isinstance(obj, packed_sequence.PackedSequenceValue):
            return packed_sequence.attribute(obj, name)
        if isinstance(obj, (text_values.MatchValue, text_values.PatternValue)):
            found = text_values.attribute(obj, name, BoundMethod)
            return found if found is not None else self.unmodelled(f"attribute `{name}`", node)
        if isinstance(obj, Tensor):
            return torch_calls.tensor_attribute(self, obj, name)
        if isinstance(obj, ModuleValue):
            return objects.module_attr(self, obj, name)
        if isinstance(obj, SuperProxy):
            return objects.super_attr(self, obj, name)
        if isinstance(obj, Namespace):
            return resolve(obj.scope().get(name, Unknown(f"`{name}` in {obj.path}")))
        if isinstance(obj, ClassRef):
            return objects.class_attr(self, obj.info, name, None)
        if isinstance(obj, partials.PartialValue):
            return partials.partial_attr(obj, name)
        if isinstance(obj, (type_info.TypeInfo, dataclass_configs.FieldView)):
            return obj.attribute(name)
        if isinstance(obj, module_hooks.HookHandle):
            return BoundMethod(obj, name)
        if type(obj) in enums.MEMBER_TYPES:
            found = enums.attribute(obj, name)
            if found is not None:
                return found
        if isinstance(obj, FunctionRef) and name == "__name__":  # a registry decorator's key
            return obj.node.name.value
        if isinstance(obj, NamedResult) and name in obj.fields:  # torch.return_types: `.values`, `.logabsdet`
            return obj[obj.fields.index(name)]
        if type(obj) in _MUTABLE_TYPES and name in _METHODS[type(obj)]:
            return BoundMethod(obj, name)
        if isinstance(obj, Builtin) and obj.name == "object" and name == "__setattr__":
            return Builtin("object.__setattr__")
        if pyvalues.has_method(obj, name):
            return BoundMethod(obj, name)
        return self.unmodelled(f"attribute `{name}`", node)

    # ------------------------------------------------------------------ calls
    def call(self, fn, args, kwargs, node, frame=None):
        if isinstance(fn, Unknown):
            mutation.escape(self, args, kwargs, "given to a call shapelint does not model")
            objects.mark_unfollowed([args, kwargs])  # a call not followed may write to what it is given
            if any(isinstance(a, Tensor) for a in args):
                why = f": {fn.reason}" if fn.reason else ""
                self.explain.lost(node, f"a call shapelint does not model ({_describe_call(node)}{why})")
            return Unknown("result of an unknown call", node)
        if isinstance(fn, Ref):
            value = library_calls.call(self, fn.qualname, args, kwargs, node)
            if value is not library_calls.NOT_MODELLED_HERE:
                return value
            return parameter_identity.after_torch_call(fn.qualname, args, kwargs, torch_calls.call_ref(self, fn, args, kwargs, node))
        if isinstance(fn, ClassRef):
            return objects.instantiate(self, fn.info, args, kwargs, node)
        if isinstance(fn, FunctionRef):
            return objects.call_function(self, fn, args, kwargs, node)
        if isinstance(fn, ModuleValue):
            if _plain_object(fn):  # an instance of a plain class: its __call__, no module row
                return objects.call_instance(self, fn, args, kwargs, node)
            return self.call_module(fn, args, kwargs, node)
        if isinstance(fn, BoundMethod):
            return self.call_method(fn, args, kwargs, node)
        if isinstance(fn, BaseMethod):
            return objects.call_base_method(self, fn, args, kwargs, node)
        if isinstance(fn, Builtin):
            return call_builtin(self, fn.name, args, kwargs, node, frame)
        if isinstance(fn, LambdaRef):
            return objects.call_lambda(self, fn, args, kwargs, node)
        if isinstance(fn, partials.PartialValue):
            return partials.call_partial(self, fn, args, kwargs, node, frame)
        return self.unmodelled("call of a non-callable value", node)

    def call_function(self, fn: FunctionRef, args, kwargs, node):
        return objects.call_function(self, fn, args, kwargs, node)

    def call_method(self, bm: BoundMethod, args, kwargs, node):
        obj, name = bm.obj, bm.name
        if isinstance(obj, Tensor):
            return torch_calls.tensor_method(self, obj, name, args, kwargs, node)
        if isinstance(obj, ModuleValue):
            if name not in containers.METHODS:  # not followed (parameter_identity follows apply's function)
                objects.mark_unfollowed([obj, args, kwargs])
            return torch_calls.module_method(self, obj, name, args, kwargs, node)
        if isinstance(obj, module_hooks.HookHandle):
            return module_hooks.handle_method(self, obj, name, args, kwargs, node)
        value = library_calls.method(self, obj, name, args, kwargs, node)
        if value is not library_calls.NOT_MODELLED_HERE:
            return value
        if isinstance(obj, list):
            return mutation.list_method(self, obj, name, args, kwargs)
        if isinstance(obj, dict):
            return mutation.dict_method(self, obj, name, args, kwargs)
        if isinstance(obj, set):
            return mutation.set_method(self, obj, name, args, kwargs)
        if isinstance(obj, (str, float)):
            result = pyvalues.value_method(obj, name, args, kwargs)
            if result is not pyvalues.NOT_MODELLED:
                return result
        return self.unmodelled(f"method `{name}`", node)

    def call_module(self, m: ModuleValue, args, kwargs, node):
        """Calling a module: its forward (between its hooks), with a row in the explain table."""
        x = args[0] if args else objects.first_input(m, kwargs)
        entry = self.explain.begin_module(m, node, x, (args, kwargs) if self.explain.flow is not None else ())
        if module_hooks.hooked(m):
            result = module_hooks.call_with_hooks(self, m, args, kwargs, node, lambda a, k: self.module_forward(
                m, a, k, node, a[0] if a else objects.first_input(m, k)))
        else:
            result = self.module_forward(m, args, kwargs, node, x)
        self.explain.end_module(entry, result)
        return result

    def module_forward(self, m: ModuleValue, args, kwargs, node, x):
        return torch_calls.module_forward(self, m, args, kwargs, node, x)


def _describe_call(node) -> str:
    name = dotted(node.func) if isinstance(node, cst.Call) else None
    return f"`{name}(...)`" if name else "an expression"
