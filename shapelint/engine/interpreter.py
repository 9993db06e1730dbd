"""A small, safe interpreter for the Python that model files are written in.

It walks libcst nodes; it never imports or executes the user's code. The same
interpreter builds modules from `__init__` (evaluating layer arguments, loops, helper
functions, `add_module`) and propagates shapes through `forward()`; calls to torch
are answered by `layers` and `tensor_ops`. What it cannot follow becomes `Unknown`.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Dict, List, Optional

import libcst as cst

from ..torch import functions as T
from ..torch import modules as L
from ..torch.kernels import binary
from ..torch.spec import REQUIRED, Site
from .context import ExplainRecorder, FindingSink, ShapeContext, Sizes
from .extract import ClassInfo, canonical, dotted, import_bindings
from .locate import PositionUnits
from .siblings import SiblingLoader
from ..core.symbolic import Expr, floordiv, is_known
from ..core.values import (
    UNKNOWN,
    BoundMethod,
    Builtin,
    ClassRef,
    Namespace,
    FunctionRef,
    ModuleValue,
    Ref,
    SuperProxy,
    Tensor,
    Unknown,
)

MAX_DEPTH = 40
MAX_STEPS = 200_000
MAX_UNROLL = 10_000
MAX_SEQ = 100_000

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
MODULE_METHODS = {
    "add_module", "register_module", "append", "extend", "insert", "to", "cuda", "cpu", "float",
    "double", "half", "train", "eval", "requires_grad_", "apply", "modules", "children",
    "named_children", "named_modules", "parameters", "keys", "values", "items", "forward",
    "register_buffer", "register_parameter", "zero_grad", "pop", "update",
}


_EVAL: Dict[type, Any] = {}  # node type -> Interpreter.eval_<Type>, looked up once


class ReturnSignal(Exception):
    def __init__(self, value):
        self.value = value


class RaiseSignal(Exception):
    pass


class BreakSignal(Exception):
    pass


class ContinueSignal(Exception):
    pass


class TooComplex(Exception):
    pass


class LambdaRef:
    """A lambda of the user's file with the names it closes over."""

    __slots__ = ("node", "captured", "cls", "self_obj")

    def __init__(self, node, captured: dict, cls=None, self_obj=None):
        self.node = node
        self.captured = captured
        self.cls = cls
        self.self_obj = self_obj


class Frame:
    __slots__ = ("locals", "globals", "cls", "self_obj", "alt_returns")

    def __init__(self, globals_: dict, cls: Optional[ClassInfo] = None, self_obj=None):
        self.locals: Dict[str, Any] = {}
        self.globals = globals_
        self.cls = cls
        self.self_obj = self_obj
        self.alt_returns: List[Any] = []


BUILTIN_NAMES = {
    "range", "len", "int", "float", "min", "max", "abs", "sum", "zip", "enumerate", "list", "tuple",
    "dict", "reversed", "sorted", "isinstance", "round", "bool", "str", "super", "getattr", "setattr",
    "hasattr", "print", "any", "all", "map", "divmod", "pow", "set",
}


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
        self.ctx = ShapeContext(findings, sizes)  # what torch's shape rules see
        self.depth = 0
        self.steps = 0
        self.write_log: Optional[list] = None

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

    def run_model(self, root: ModuleValue, args: list, node):
        """A model's forward on its inputs (the model itself gets no row of its own table)."""
        return self._call_module(root, args, {}, node, args[0])

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
            self.havoc(stmt.body, frame)
        elif isinstance(stmt, cst.With):
            self.exec_block(stmt.body.body, frame)
        elif isinstance(stmt, cst.Try):
            self.exec_block(stmt.body.body, frame)
            if stmt.finalbody is not None:
                self.exec_block(stmt.finalbody.body.body, frame)
        elif isinstance(stmt, cst.FunctionDef):
            self.bind(frame, stmt.name.value, FunctionRef(stmt, None, None, frame.globals))
        elif isinstance(stmt, cst.ClassDef):
            self.define_class(stmt, frame)
        elif isinstance(stmt, cst.BaseSmallStatement):  # the body of `def f(x): return x`
            self.exec_small(stmt, frame)
        # anything else (match, async, ...) is skipped: its names stay unknown

    def define_class(self, stmt: cst.ClassDef, frame: Frame) -> None:
        info = ClassInfo(stmt, frame.globals)
        info.bases = [self.eval(a.value, frame) for a in stmt.bases if a.keyword is None]
        self.bind(frame, stmt.name.value, ClassRef(info))

    def bind(self, frame: Frame, name: str, value) -> None:
        frame.locals[name] = value

    def exec_small(self, small, frame: Frame) -> None:
        if isinstance(small, cst.Expr):
            if not isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):  # docstrings
                self.eval(small.value, frame)
        elif isinstance(small, cst.Assign):
            value = self.eval(small.value, frame)
            for t in small.targets:
                self.assign(t.target, value, frame)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, frame), frame)
        elif isinstance(small, cst.AugAssign):
            self.units.note(small)
            current = self.eval(small.target, frame)
            rhs = self.eval(small.value, frame)
            op = type(small.operator).__name__.replace("Assign", "")
            if op == "Add" and isinstance(current, list) and isinstance(rhs, (list, tuple)):
                current.extend(rhs)  # `layers += [...]` mutates in place, like Python
                self.assign(small.target, current, frame)
            elif op == "Add" and isinstance(current, ModuleValue) and current.kind == "ModuleList" and self.iterate(rhs) is not None:
                for v in self.iterate(rhs):  # ModuleList.__iadd__ is extend
                    current.children[str(len(current.children))] = v if isinstance(v, ModuleValue) else ModuleValue("Unknown", None)
            else:
                self.assign(small.target, self.binop(op, current, rhs, small), frame)
        elif isinstance(small, cst.Return):
            value = self.eval(small.value, frame) if small.value is not None else None
            if self.explain.recording:
                self.explain.record_value(small, "return", value)
            raise ReturnSignal(value)
        elif isinstance(small, cst.Raise):
            raise RaiseSignal()
        elif isinstance(small, cst.Break):
            raise BreakSignal()
        elif isinstance(small, cst.Continue):
            raise ContinueSignal()
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            for name, ref in import_bindings(small).items():
                self.bind(frame, name, ref)
            for name, value in self.siblings.bindings(small, frame.globals.get("__file__"), self).items():
                self.bind(frame, name, value)
        elif isinstance(small, cst.Del):
            t = small.target
            if isinstance(t, cst.Name):
                frame.locals.pop(t.value, None)
        # Pass, Assert, Global, Nonlocal: nothing to do

    def assign(self, target, value, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            self.bind(frame, target.value, value)
            if self.explain.recording:  # only when explaining (editor hints)
                self.explain.record_value(target, target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = target.elements
            star = [i for i, e in enumerate(elems) if isinstance(e, cst.StarredElement)]
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
        elif isinstance(target, cst.Attribute):
            obj = self.eval(target.value, frame)
            self.set_attr(obj, target.attr.value, value)
        elif isinstance(target, cst.Subscript):
            obj = self.eval(target.value, frame)
            if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index):
                key = self.eval(target.slice[0].slice.value, frame)
                self.set_item(obj, key, value)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, value, frame)

    def set_item(self, obj, key, value) -> None:
        if isinstance(obj, dict) and _hashable(key):
            obj[key] = value
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj[key] = value
        elif isinstance(obj, ModuleValue) and obj.kind in CONTAINERS:
            k = str(key % len(obj.children)) if isinstance(key, int) and obj.children and obj.kind != "ModuleDict" else str(key)
            if isinstance(value, ModuleValue):
                obj.children[k] = value

    def set_attr(self, obj, name: str, value) -> None:
        if not isinstance(obj, ModuleValue):
            return
        if self.write_log is not None:
            self.write_log.append((obj, name, obj.children.get(name, _ABSENT), obj.attrs.get(name, _ABSENT)))
        if isinstance(value, ModuleValue):
            obj.attrs.pop(name, None)
            obj.children[name] = value
        elif value is None and name in obj.children:
            obj.children[name] = None
        else:
            obj.children.pop(name, None)
            obj.attrs[name] = value

    # ------------------------------------------------------------------ control flow
    def truth(self, v) -> Optional[bool]:
        if isinstance(v, Unknown) or isinstance(v, (Tensor, Expr)):
            return None
        if isinstance(v, (ModuleValue, Ref, ClassRef, FunctionRef, BoundMethod, Builtin)):
            return True
        try:
            return bool(v)
        except Exception:
            return None

    def exec_if(self, stmt: cst.If, frame: Frame) -> None:
        t = self.truth(self.eval(stmt.test, frame))
        orelse = stmt.orelse
        else_body = None
        if isinstance(orelse, cst.Else):
            else_body = ("block", orelse.body.body)
        elif isinstance(orelse, cst.If):
            else_body = ("if", orelse)
        if t is True:
            self.exec_block(stmt.body.body, frame)
        elif t is False:
            self.run_else(else_body, frame)
        else:
            self.fork(lambda f: self.exec_block(stmt.body.body, f), lambda f: self.run_else(else_body, f), frame)

    def run_else(self, else_body, frame: Frame) -> None:
        if else_body is None:
            return
        kind, body = else_body
        if kind == "block":
            self.exec_block(body, frame)
        else:
            self.exec_if(body, frame)

    def fork(self, run_a, run_b, frame: Frame) -> None:
        """Run both sides of an undecided branch; keep what holds on every path.

        Findings survive only if both paths report them; names and attributes that the
        paths leave different become Unknown. A path that raises is no path at all.
        """
        base_locals = dict(frame.locals)
        results = []
        outer_log = self.write_log
        rows_start = self.explain.mark()
        branch_rows = []
        for run in (run_a, run_b):
            frame.locals = {k: (list(v) if isinstance(v, list) else v) for k, v in base_locals.items()}
            self.write_log = []
            self.findings.open_branch()
            outcome, ret = "fall", None
            try:
                run(frame)
            except ReturnSignal as r:
                outcome, ret = "return", r.value
            except RaiseSignal:
                outcome = "raise"
            except (BreakSignal, ContinueSignal):
                outcome = "jump"
            sink = self.findings.close_branch()
            branch_rows.append(self.explain.take_since(rows_start))
            writes = self.write_log
            final = {(id(o), n): (o, o.children.get(n, _ABSENT), o.attrs.get(n, _ABSENT)) for o, n, _c, _a in writes}
            for o, n, c, a in reversed(writes):  # undo, so the other path starts clean
                _restore(o, n, c, a)
            results.append((outcome, ret, frame.locals, final, sink))
        self.write_log = outer_log
        self.explain.merge_branch_rows(*branch_rows)
        live = [r for r in results if r[0] != "raise"]
        if not live:
            frame.locals = base_locals
            raise RaiseSignal()
        if any(r[0] == "jump" for r in live):
            live = [r for r in live if r[0] != "jump"] or live
        # findings: those of a single live path, or those every live path has
        if len(live) == 1:
            self.findings.extend(live[0][4])
        else:
            keys_b = {f.code + str(id(f.node)) for f in live[1][4]}
            self.findings.extend([f for f in live[0][4] if f.code + str(id(f.node)) in keys_b])
        # attribute writes
        all_keys = {}
        for r in live:
            for k, (o, c, a) in r[3].items():
                all_keys.setdefault(k, []).append((o, c, a))
        for k, states in all_keys.items():
            o = states[0][0]
            name = k[1]
            if len(states) == len(live) and all(_same_value(s[1], states[0][1]) and _same_value(s[2], states[0][2]) for s in states):
                _restore(o, name, states[0][1], states[0][2])
            else:
                if self.write_log is not None:
                    self.write_log.append((o, name, o.children.get(name, _ABSENT), o.attrs.get(name, _ABSENT)))
                o.children.pop(name, None)
                o.attrs[name] = Unknown("set differently on two undecided paths")
        # returns
        falling = [r for r in live if r[0] == "fall"]
        returning = [r for r in live if r[0] == "return"]
        if not falling:
            vals = [r[1] for r in returning]
            raise ReturnSignal(vals[0] if all(_same_value(v, vals[0]) for v in vals) else Unknown("paths return different values"))
        if returning and not frame.alt_returns:
            self.explain.conditional += 1  # the rest of this function runs on one path only
        frame.alt_returns.extend(r[1] for r in returning)
        merged = dict(falling[0][2])
        for r in falling[1:]:
            for k in set(merged) | set(r[2]):
                if not _same_value(merged.get(k, _ABSENT), r[2].get(k, _ABSENT)):
                    merged[k] = Unknown(f"`{k}` differs between undecided paths")
        frame.locals = merged

    def exec_for(self, stmt: cst.For, frame: Frame) -> None:
        it = self.iterate(self.eval(stmt.iter, frame))
        if it is None or len(it) > MAX_UNROLL:
            self.havoc(stmt.body, frame, stmt.target)
            return
        for item in it:
            self.assign(stmt.target, item, frame)
            try:
                self.exec_block(stmt.body.body, frame)
            except BreakSignal:
                return
            except ContinueSignal:
                continue
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body.body, frame)

    def havoc(self, body, frame: Frame, target=None) -> None:
        """A loop we cannot unroll: everything it may change becomes Unknown."""
        names = set()
        for node in _walk(body):
            if isinstance(node, cst.AssignTarget) or isinstance(node, cst.AugAssign):
                t = node.target
                for n in _walk(t):
                    if isinstance(n, cst.Name):
                        names.add(n.value)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                if isinstance(node.func.value, cst.Name):
                    names.add(node.func.value.value)
        if target is not None:
            for n in _walk(target):
                if isinstance(n, cst.Name):
                    names.add(n.value)
        for n in names:
            if n in frame.locals and n != "self":
                frame.locals[n] = Unknown("changed in a loop shapelint cannot unroll")
        self.explain.lost(body, "a loop whose iterations are not known statically")

    def iterate(self, v) -> Optional[list]:
        if isinstance(v, (list, tuple, str)):
            return list(v)
        if isinstance(v, range):
            return list(v) if len(v) <= MAX_UNROLL else None
        if isinstance(v, dict):
            return list(v.keys())
        if isinstance(v, ModuleValue):
            if v.kind == "ModuleDict":
                return list(v.children.keys())
            if v.kind in ("Sequential", "ModuleList") or (v.cls is not None and v.cls.is_sequential()):
                return [c for c in v.children.values()]
        return None

    def as_sequence(self, v, n):
        if isinstance(v, (list, tuple)):
            return list(v)
        if isinstance(v, Tensor) and v.shape is not None and len(v.shape) >= 1 and is_known(v.shape[0]) and n == v.shape[0]:
            return [Tensor(v.shape[1:]) for _ in range(n)]
        it = self.iterate(v)
        return it

    # ------------------------------------------------------------------ expressions
    def eval(self, node, frame: Frame):
        method = _EVAL.get(type(node))
        if method is None:
            method = getattr(Interpreter, "eval_" + type(node).__name__, None)
            if method is None:
                return Unknown(f"unsupported expression {type(node).__name__}", node)
            _EVAL[type(node)] = method
        return method(self, node, frame)

    def eval_Integer(self, node, frame):
        return node.evaluated_value

    def eval_Ellipsis(self, node, frame):
        return Ellipsis

    def eval_Float(self, node, frame):
        return float(node.value.replace("_", ""))

    def eval_Imaginary(self, node, frame):
        return Unknown("complex")

    def eval_SimpleString(self, node, frame):
        try:
            return node.evaluated_value
        except Exception:
            return Unknown("string")

    def eval_ConcatenatedString(self, node, frame):
        try:
            v = node.evaluated_value
            return v if v is not None else Unknown("string")
        except Exception:
            return Unknown("string")

    def eval_FormattedString(self, node, frame):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            else:
                v = self.eval(part.expression, frame)
                if isinstance(v, (Unknown, Tensor, ModuleValue)):
                    return Unknown("f-string")
                spec = ""
                if part.format_spec:
                    if not all(isinstance(p, cst.FormattedStringText) for p in part.format_spec):
                        return Unknown("f-string")
                    spec = "".join(p.value for p in part.format_spec)
                try:
                    v = repr(v) if part.conversion == "r" else v
                    out.append(format(v, spec))
                except Exception:
                    return Unknown("f-string")
        return "".join(out)

    def eval_Name(self, node, frame):
        name = node.value
        if name in frame.locals:
            return frame.locals[name]
        if name in frame.globals:
            return frame.globals[name]
        if name == "True":
            return True
        if name == "False":
            return False
        if name == "None":
            return None
        if name in BUILTIN_NAMES:
            return Builtin(name)
        return Unknown(f"name `{name}`", node)

    def eval_Attribute(self, node, frame):
        return self.get_attr(self.eval(node.value, frame), node.attr.value, node)

    def eval_Tuple(self, node, frame):
        return tuple(self.eval_elements(node.elements, frame))

    def eval_List(self, node, frame):
        return list(self.eval_elements(node.elements, frame))

    def eval_Set(self, node, frame):
        return Unknown("set")

    def eval_elements(self, elements, frame):
        out = []
        for e in elements:
            if isinstance(e, cst.StarredElement):
                v = self.eval(e.value, frame)
                seq = self.iterate(v)
                if seq is None:
                    return [Unknown("starred")]  # length unknown: a poisoned list
                out.extend(seq)
            else:
                out.append(self.eval(e.value, frame))
        return out

    def eval_Dict(self, node, frame):
        out = {}
        for e in node.elements:
            if isinstance(e, cst.DictElement):
                k = self.eval(e.key, frame)
                if not _hashable(k):
                    return Unknown("dict key")
                out[k] = self.eval(e.value, frame)
            else:
                v = self.eval(e.value, frame)
                if not isinstance(v, dict):
                    return Unknown("dict unpacking")
                out.update(v)
        return out

    def eval_Subscript(self, node, frame):
        self.units.note(node)
        obj = self.eval(node.value, frame)
        if len(node.slice) != 1:
            keys = []
            for el in node.slice:
                keys.append(self.eval_slice(el.slice, frame))
            return self.subscript(obj, tuple(keys), node)
        return self.subscript(obj, self.eval_slice(node.slice[0].slice, frame), node)

    def eval_slice(self, s, frame):
        if isinstance(s, cst.Index):
            return self.eval(s.value, frame)
        lo = self.eval(s.lower, frame) if s.lower is not None else None
        hi = self.eval(s.upper, frame) if s.upper is not None else None
        st = self.eval(s.step, frame) if s.step is not None else None
        if any(isinstance(v, Unknown) or isinstance(v, Expr) for v in (lo, hi, st)):
            return Unknown("slice")
        return slice(lo, hi, st)

    def subscript(self, obj, key, node):
        if isinstance(obj, Unknown) or isinstance(key, Unknown):
            return Unknown("subscript")
        if isinstance(obj, (list, tuple, str)):
            if isinstance(key, slice) or (isinstance(key, int) and not isinstance(key, bool) and -len(obj) <= key < len(obj)):
                try:
                    return obj[key]
                except Exception:
                    return Unknown("index")
            return Unknown("index")
        if isinstance(obj, dict):
            return obj[key] if _hashable(key) and key in obj else Unknown("key")
        if isinstance(obj, range):
            try:
                return obj[key]
            except Exception:
                return Unknown("index")
        if isinstance(obj, ModuleValue):
            return self.module_index(obj, key)
        if isinstance(obj, Tensor):
            return T.index_tensor(self.ctx, obj, key, node)
        return Unknown("subscript")

    def module_index(self, m: ModuleValue, key):
        kids = list(m.children.items())
        if m.kind == "ModuleDict":
            return m.children.get(key, Unknown("key")) if isinstance(key, str) else Unknown("key")
        if isinstance(key, int) and not isinstance(key, bool):
            if -len(kids) <= key < len(kids):
                return kids[key][1]
            return Unknown("index")
        if isinstance(key, slice):
            sub = ModuleValue(m.kind if m.kind in CONTAINERS else "Sequential", m.node)
            for k, v in kids[key]:
                sub.children[k] = v
            return sub
        return Unknown("index")

    def eval_BinaryOperation(self, node, frame):
        self.units.note(node)
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        return self.binop(type(node.operator).__name__, left, right, node)

    def binop(self, op: str, a, b, node):
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            if op in ("Add", "Subtract", "Multiply", "Divide", "FloorDivide", "Modulo", "Power", "BitAnd", "BitOr"):
                sym = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%", "Power": "**", "BitAnd": "&", "BitOr": "|"}[op]
                return binary(self.ctx, Site(f"`{sym}`", node), a, b, f"`{sym}`")
            if op == "MatrixMultiply":
                return T.TORCH["matmul"](self.ctx, Site("`@`", node), (a, b), {})
            return Unknown("tensor operator")
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return Unknown("arithmetic on unknown")
        if isinstance(a, Expr) or isinstance(b, Expr):
            return _sym_binop(op, a, b)
        fn = _BINOPS.get(op)
        if fn is None:
            return Unknown("operator")
        if not _safe_operands(op, a, b):
            return Unknown("too large to evaluate")
        try:
            return fn(a, b)
        except Exception:
            return Unknown("arithmetic error")

    def eval_UnaryOperation(self, node, frame):
        v = self.eval(node.expression, frame)
        op = type(node.operator).__name__
        if op == "Not":
            t = self.truth(v)
            return Unknown("not") if t is None else (not t)
        if isinstance(v, Tensor):
            return v
        if isinstance(v, Unknown):
            return v
        try:
            if op == "Minus":
                return -v
            if op == "Plus":
                return +v
            if op == "BitInvert":
                return ~v
        except Exception:
            return Unknown("unary")
        return Unknown("unary")

    def eval_BooleanOperation(self, node, frame):
        left = self.eval(node.left, frame)
        t = self.truth(left)
        is_and = isinstance(node.operator, cst.And)
        if t is None:
            right = self.eval(node.right, frame)
            if is_and and self.truth(right) is False:
                return right
            if not is_and and self.truth(right) is True:
                return right
            return Unknown("boolean")
        if is_and:
            return self.eval(node.right, frame) if t else left
        return left if t else self.eval(node.right, frame)

    def eval_Comparison(self, node, frame):
        left = self.eval(node.left, frame)
        result = True
        for target in node.comparisons:
            right = self.eval(target.comparator, frame)
            r = self.compare(type(target.operator).__name__, left, right)
            if r is None:
                return Unknown("comparison")
            if not r:
                return False
            left = right
        return result

    def compare(self, op, a, b) -> Optional[bool]:
        if op in ("Is", "IsNot"):
            if a is None or b is None:
                if isinstance(a, Unknown) or isinstance(b, Unknown):
                    return None
                same = a is b
                return same if op == "Is" else not same
            if isinstance(a, (bool, ModuleValue)) and isinstance(b, (bool, ModuleValue)):
                return (a is b) if op == "Is" else (a is not b)
            return None
        if isinstance(a, (Unknown, Tensor)) or isinstance(b, (Unknown, Tensor)):
            return None
        if isinstance(a, Expr) or isinstance(b, Expr):
            if op in ("Equal", "NotEqual"):
                diff = a - b
                if isinstance(diff, int):
                    return (diff == 0) if op == "Equal" else (diff != 0)
            return None
        if op in ("In", "NotIn"):
            if isinstance(b, (list, tuple, dict, str, range)) and not any(isinstance(x, Unknown) for x in (b if not isinstance(b, (dict, range, str)) else [])):
                try:
                    r = a in b
                except Exception:
                    return None
                return r if op == "In" else not r
            return None
        fn = _CMPOPS.get(op)
        if fn is None:
            return None
        try:
            return bool(fn(a, b))
        except Exception:
            return None

    def eval_IfExp(self, node, frame):
        t = self.truth(self.eval(node.test, frame))
        if t is True:
            return self.eval(node.body, frame)
        if t is False:
            return self.eval(node.orelse, frame)
        a, b = self.eval(node.body, frame), self.eval(node.orelse, frame)
        return a if _same_value(a, b) else Unknown("conditional expression")

    def eval_Lambda(self, node, frame):
        captured = {} if frame.locals is self.globals else frame.locals  # by reference: late binding, as in Python
        return LambdaRef(node, captured, frame.cls, frame.self_obj)

    def eval_NamedExpr(self, node, frame):
        v = self.eval(node.value, frame)
        self.assign(node.target, v, frame)
        return v

    def eval_ListComp(self, node, frame):
        out = self.comprehension(node.for_in, lambda f: [self.eval(node.elt, f)], frame)
        return out if out is not None else Unknown("comprehension")

    eval_GeneratorExp = eval_ListComp

    def eval_DictComp(self, node, frame):
        items = self.comprehension(node.for_in, lambda f: [(self.eval(node.key, f), self.eval(node.value, f))], frame)
        if items is None or not all(_hashable(k) for k, _ in items):
            return Unknown("comprehension")
        return dict(items)

    def comprehension(self, comp, produce, frame):
        inner = Frame(frame.globals, frame.cls, frame.self_obj)
        inner.locals = dict(frame.locals)
        out: list = []
        ok = self._comp(comp, produce, inner, out)
        return out if ok else None

    def _comp(self, comp, produce, frame, out) -> bool:
        it = self.iterate(self.eval(comp.iter, frame))
        if it is None or len(it) > MAX_UNROLL:
            return False
        for item in it:
            self.assign(comp.target, item, frame)
            keep = True
            for cond in comp.ifs:
                t = self.truth(self.eval(cond.test, frame))
                if t is None:
                    return False
                if not t:
                    keep = False
                    break
            if not keep:
                continue
            if comp.inner_for_in is not None:
                if not self._comp(comp.inner_for_in, produce, frame, out):
                    return False
            else:
                out.extend(produce(frame))
            if len(out) > MAX_SEQ:
                return False
        return True

    # ------------------------------------------------------------------ attributes
    def get_attr(self, obj, name: str, node=None):
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj, Ref):
            return Ref(canonical(f"{obj.qualname}.{name}"))
        if isinstance(obj, Tensor):
            if name == "shape":
                return T.size_of(self.ctx, obj)
            if name == "ndim":
                return len(obj.shape) if obj.shape is not None else Unknown("rank")
            if name == "T" and obj.shape is not None:
                return Tensor(tuple(reversed(obj.shape)))
            if name in ("device", "dtype", "data", "grad", "is_cuda", "requires_grad"):
                return obj if name == "data" else Unknown(name)
            return BoundMethod(obj, name)
        if isinstance(obj, ModuleValue):
            return self.module_attr(obj, name)
        if isinstance(obj, SuperProxy):
            return self.super_attr(obj, name)
        if isinstance(obj, Namespace):
            return obj.globals.get(name, Unknown(f"`{name}` in {obj.path}"))
        if isinstance(obj, ClassRef):
            return self.class_attr(obj.info, name, None)
        if isinstance(obj, T.ValuesIndices) and name in ("values", "indices"):
            return obj[0] if name == "values" else obj[1]
        if isinstance(obj, (list, dict)) and name in ("append", "extend", "insert", "pop", "keys", "values", "items", "get", "index", "copy", "update", "setdefault", "count"):
            return BoundMethod(obj, name)
        if isinstance(obj, (int, str, tuple)) and name in ("format", "join", "upper", "lower", "count", "index", "startswith", "endswith", "split", "replace"):
            return BoundMethod(obj, name)
        return Unknown(f"attribute `{name}`", node)

    def module_attr(self, m: ModuleValue, name: str):
        if name in m.children:
            return m.children[name]
        if name in m.attrs:
            return m.attrs[name]
        if m.spec is not None and name in m.params:
            return m.params[name]
        if m.cls is not None:
            v = self.class_attr(m.cls, name, m)
            if not isinstance(v, Unknown):
                return v
        if name in MODULE_METHODS:
            return BoundMethod(m, name)
        if name == "training":
            return Unknown("training flag")
        return Unknown(f"attribute `{name}` of {m.kind}")

    def class_attr(self, info: ClassInfo, name: str, bound):
        for c in info.mro():
            if name in c.methods:
                fn = c.methods[name]
                if _is_static(fn):
                    return FunctionRef(fn, None, c, c.globals)
                if _is_classmethod(fn):
                    return FunctionRef(fn, ClassRef(info), c, c.globals)
                return FunctionRef(fn, bound, c, c.globals)
            if name in c.class_attrs:
                if name not in c.attr_values:
                    c.attr_values[name] = Unknown("class attribute being evaluated")
                    outer_unit, self.units.current = self.units.current, None
                    c.attr_values[name] = self.eval(c.class_attrs[name], Frame(c.globals, c))
                    self.units.current = outer_unit
                return c.attr_values[name]
        if name == "__name__":
            return info.name
        return Unknown(f"attribute `{name}` of class {info.name}")

    def super_attr(self, sp: SuperProxy, name: str):
        mro = sp.obj.cls.mro() if isinstance(sp.obj, ModuleValue) and sp.obj.cls else []
        after = False
        for c in mro:
            if after and name in c.methods:
                return FunctionRef(c.methods[name], sp.obj, c, c.globals)
            if c is sp.owner:
                after = True
        if name == "__init__":
            bases = [q for q in (sp.owner.torch_bases() if sp.owner else [])]
            return BoundMethod(sp.obj, "__torch_init__:" + (bases[0] if bases else "torch.nn.Module"))
        if name == "forward" and isinstance(sp.obj, ModuleValue) and sp.obj.cls and sp.obj.cls.is_sequential():
            return BoundMethod(sp.obj, "__sequential_forward__")
        return Unknown(f"super().{name}")

    # ------------------------------------------------------------------ calls
    def eval_Call(self, node, frame):
        self.units.note(node)
        fn = self.eval(node.func, frame)
        args, kwargs, ok = self.eval_args(node.args, frame)
        if not ok:
            if isinstance(fn, Ref) and _is_layer_ref(fn):
                return self.construct_layer(fn, args, kwargs, node, partial=True)
            return Unknown("call with arguments shapelint cannot evaluate", node)
        return self.call(fn, args, kwargs, node, frame)

    def eval_args(self, arg_nodes, frame):
        args, kwargs, ok = [], {}, True
        self._arg_nodes = None
        for a in arg_nodes:
            if a.star == "*":
                seq = self.iterate(self.eval(a.value, frame))
                if seq is None:
                    ok = False
                    continue
                args.extend(seq)
            elif a.star == "**":
                d = self.eval(a.value, frame)
                if not isinstance(d, dict) or not all(isinstance(k, str) for k in d):
                    ok = False
                    continue
                kwargs.update(d)
            elif a.keyword is not None:
                kwargs[a.keyword.value] = self.eval(a.value, frame)
            else:
                args.append(self.eval(a.value, frame))
        return args, kwargs, ok

    def call(self, fn, args, kwargs, node, frame=None):
        if isinstance(fn, Unknown):
            if any(isinstance(a, Tensor) for a in args):
                why = f": {fn.reason}" if fn.reason else ""
                self.explain.lost(node, f"a call shapelint does not model ({_describe_call(node)}{why})")
            return Unknown("result of an unknown call", node)
        if isinstance(fn, Ref):
            return self.call_ref(fn, args, kwargs, node)
        if isinstance(fn, ClassRef):
            return self.instantiate(fn.info, args, kwargs, node)
        if isinstance(fn, FunctionRef):
            return self.call_function(fn, args, kwargs, node)
        if isinstance(fn, ModuleValue):
            return self.call_module(fn, args, kwargs, node)
        if isinstance(fn, BoundMethod):
            return self.call_method(fn, args, kwargs, node, frame)
        if isinstance(fn, Builtin):
            return self.call_builtin(fn.name, args, kwargs, node, frame)
        if isinstance(fn, LambdaRef):
            return self.call_lambda(fn, args, kwargs, node)
        return Unknown("call of a non-callable value", node)

    def call_lambda(self, fn: "LambdaRef", args, kwargs, node):
        if self.depth >= MAX_DEPTH:
            return Unknown("recursion too deep", node)
        params = fn.node.params
        frame = Frame(self.globals, fn.cls, fn.self_obj)
        frame.locals.update(fn.captured)  # the enclosing function's names, as a closure sees them
        positional = list(params.posonly_params) + list(params.params)
        if not self.bind_params(frame, positional, params, list(args), dict(kwargs)):
            return Unknown("call of a lambda with arguments that do not bind", node)
        self.depth += 1
        try:
            return self.eval(fn.node.body, frame)
        finally:
            self.depth -= 1

    def call_function(self, fn: FunctionRef, args, kwargs, node):
        if self.depth >= MAX_DEPTH:
            return Unknown("recursion too deep", node)
        params = fn.node.params
        frame = Frame(fn.globals if fn.globals is not None else self.globals, fn.owner, fn.bound)
        all_args = list(args)
        if fn.bound is not None:
            all_args = [fn.bound] + all_args
        positional = list(params.posonly_params) + list(params.params)
        if not self.bind_params(frame, positional, params, all_args, dict(kwargs)):
            return Unknown(f"call of `{fn.node.name.value}` with arguments that do not bind", node)
        self.depth += 1
        outer_unit = self.units.current
        as_units = self.units.statements_are_units(fn.node)
        try:
            for stmt in fn.node.body.body:
                self.units.current = stmt if as_units else None
                self.exec_stmt(stmt, frame)
            result = None
        except ReturnSignal as r:
            result = r.value
        except RaiseSignal:
            result = Unknown("the function raises on this path", node)
        finally:
            self.depth -= 1
            self.units.current = outer_unit
            if frame.alt_returns:
                self.explain.conditional -= 1
        for alt in frame.alt_returns:
            if not _same_value(alt, result):
                return Unknown("paths return different values", node)
        return result

    def bind_params(self, frame: Frame, positional, params, args, kwargs) -> bool:
        for i, p in enumerate(positional):
            name = p.name.value
            if i < len(args):
                frame.locals[name] = args[i]
            elif name in kwargs:
                frame.locals[name] = kwargs.pop(name)
            elif p.default is not None:
                frame.locals[name] = self.eval(p.default, Frame(frame.globals))
            else:
                frame.locals[name] = Unknown(f"argument `{name}` not given")
        extra = args[len(positional):]
        star = params.star_arg
        if isinstance(star, cst.Param):
            frame.locals[star.name.value] = tuple(extra)
        elif extra:
            return False
        for p in params.kwonly_params:
            name = p.name.value
            if name in kwargs:
                frame.locals[name] = kwargs.pop(name)
            elif p.default is not None:
                frame.locals[name] = self.eval(p.default, Frame(frame.globals))
            else:
                frame.locals[name] = Unknown(f"argument `{name}` not given")
        if params.star_kwarg is not None:
            frame.locals[params.star_kwarg.name.value] = dict(kwargs)
        elif kwargs:
            return False
        return True

    def instantiate(self, info: ClassInfo, args, kwargs, node):
        obj = ModuleValue(info.name, node, cls=info)
        owner, init = info.find_method("__init__")
        if init is not None:
            self.call_function(FunctionRef(init, obj, owner, owner.globals), args, kwargs, node)
        elif info.is_sequential():
            self.sequential_init(obj, args)
        elif args or kwargs:
            # no __init__ of its own: a dataclass's generated one binds its fields; any
            # other (NamedTuple, attrs, a base class outside this file) stays unknown
            fields = _dataclass_fields(info.node) if not info.is_module() else None
            if fields is None or len(args) > len(fields) or any(k not in fields for k in kwargs):
                return Unknown(f"`{info.name}(...)` without an __init__ shapelint can follow", node)
            for name, value in zip(fields, args):
                obj.attrs[name] = value
            obj.attrs.update(kwargs)
        return obj

    def sequential_init(self, obj: ModuleValue, args) -> None:
        if len(args) == 1 and isinstance(args[0], dict):
            for k, v in args[0].items():
                if isinstance(v, ModuleValue):
                    obj.children[str(k)] = v
            return
        for i, a in enumerate(args):
            if isinstance(a, ModuleValue):
                obj.children[str(i)] = a
            else:
                obj.children[str(i)] = ModuleValue("Unknown", None)

    # ------------------------------------------------------------------ torch
    def call_ref(self, fn: Ref, args, kwargs, node):
        q = fn.qualname
        if q in ("torch.nn.Sequential",):
            m = ModuleValue("Sequential", node)
            self.sequential_init(m, args)
            return m
        if q == "torch.nn.ModuleList":
            m = ModuleValue("ModuleList", node)
            items = self.iterate(args[0]) if args else []
            for i, v in enumerate(items or []):
                m.children[str(i)] = v if isinstance(v, ModuleValue) else ModuleValue("Unknown", None)
            return m
        if q == "torch.nn.ModuleDict":
            m = ModuleValue("ModuleDict", node)
            d = args[0] if args else {}
            if isinstance(d, (list, tuple)):
                d = dict(p for p in d if isinstance(p, (list, tuple)) and len(p) == 2)
            if isinstance(d, dict):
                for k, v in d.items():
                    if isinstance(v, ModuleValue):
                        m.children[str(k)] = v
            return m
        if q in ("collections.OrderedDict", "typing.OrderedDict"):
            if not args:
                return {}
            src = args[0]
            if isinstance(src, dict):
                return dict(src)
            if isinstance(src, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 and _hashable(p[0]) for p in src):
                return dict(src)
            return Unknown("OrderedDict")
        if q in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return args[0] if args and isinstance(args[0], Tensor) else Unknown("parameter", node)
        if _is_layer_ref(fn):
            return self.construct_layer(fn, args, kwargs, node)
        if q.startswith("torch.nn.functional.") or q.startswith("torch.functional."):
            op = T.FUNCTIONAL.get(q.rsplit(".", 1)[1])
            return self.apply_op(op, "F." + q.rsplit(".", 1)[1], args, kwargs, node)
        if q.startswith("torch.") and q.count(".") == 1:
            op = T.TORCH.get(q.split(".")[1])
            return self.apply_op(op, q, args, kwargs, node)
        if q.startswith("math."):
            return _math(q[5:], args)
        if q.startswith("torch.nn.") and q.count(".") == 2:
            self.explain.lost(node, f"`nn.{q.rsplit('.', 1)[1]}` has no shape rule yet")
            return ModuleValue(q.rsplit(".", 1)[1], node)
        if any(isinstance(a, Tensor) for a in args):
            self.explain.lost(node, f"a call shapelint does not model (`{q}`)")
        return Unknown(f"`{q}`", node)

    def apply_op(self, op, label, args, kwargs, node):
        if op is None:
            if any(isinstance(a, Tensor) for a in args):
                self.explain.lost(node, f"`{label}` has no shape rule yet")
            return Unknown(f"`{label}`", node)
        if any(isinstance(a, Unknown) for a in args if not isinstance(a, (list, tuple))) and not any(isinstance(a, Tensor) for a in args):
            return Unknown(f"`{label}` of unknown values", node)
        site = Site(label, node)
        before = args[0] if args else None
        result = op(self.ctx, site, tuple(args), dict(kwargs))
        self.explain.record_op(label, node, before, result)
        return result

    def construct_layer(self, fn: Ref, args, kwargs, node, partial=False):
        name = fn.qualname.rsplit(".", 1)[1]
        spec = L.LAYERS[name]
        m = ModuleValue(name, node, spec=spec)
        arg_nodes = [a for a in node.args]
        if partial:
            for p, _d in spec.params:
                m.params[p] = Unknown("argument not evaluated")
            return m
        if spec.extra_ok:
            m.params = dict(kwargs)
            return m
        names = [p for p, _ in spec.params]
        if len(args) > len(names) or any(k not in names for k in kwargs):
            self.explain.lost(node, f"arguments of `{name}` that do not match torch's signature")
            for p in names:
                m.params[p] = Unknown("bad arguments")
            return m
        for i, p in enumerate(names):
            if i < len(args):
                m.params[p] = args[i]
            elif p in kwargs:
                m.params[p] = kwargs[p]
            else:
                default = dict(spec.params)[p]
                m.params[p] = Unknown(f"required argument `{p}` missing") if default is REQUIRED else default
        positional = [a for a in arg_nodes if a.keyword is None and not a.star]
        if len(positional) == len([a for a in arg_nodes if a.keyword is None]):
            for i, a in enumerate(positional):
                if i < len(names):
                    m.param_nodes[names[i]] = a.value
        for a in arg_nodes:
            if a.keyword is not None:
                m.param_nodes[a.keyword.value] = a.value
        for v in m.param_nodes.values():
            self.units.note(v)
        if spec.build is not None:
            spec.build(m, self.new_layer)
        return m  # construction checks run once the model is named (analysis.check_root)

    def new_layer(self, kind: str, node, **params) -> ModuleValue:
        """A torch layer that a block's __init__ creates itself (no arguments of the user's file)."""
        spec = L.LAYERS[kind]
        m = ModuleValue(kind, node, spec=spec)
        for p, default in spec.params:
            m.params[p] = params.get(p, default)
        return m

    # ------------------------------------------------------------------ module calls
    def call_module(self, m: ModuleValue, args, kwargs, node):
        x = args[0] if args else kwargs.get("input", kwargs.get("x"))
        entry = self.explain.begin_module(m, node, x)
        result = self._call_module(m, args, kwargs, node, x)
        self.explain.end_module(entry, result)
        return result

    def _call_module(self, m: ModuleValue, args, kwargs, node, x):
        if m.spec is not None and m.spec.call is not None:
            if any(isinstance(v, Unknown) for k, v in m.params.items() if k not in ("device", "dtype")):
                return Unknown("layer arguments unknown")
            return m.spec.call(self, m, args, kwargs, node)
        if m.spec is not None:
            if not isinstance(x, Tensor):
                return Unknown("input of unknown shape")
            if any(isinstance(v, Unknown) for k, v in m.params.items() if k not in ("device", "dtype")):
                if x.pending:
                    return Unknown("layer arguments unknown")
                # the layer's arguments are unknown: its output shape is too
                return Unknown("layer arguments unknown")
            return m.spec.forward(self.ctx, m, x)
        if m.cls is not None:
            owner, fwd = m.cls.find_method("forward")
            if fwd is not None:
                return self.call_function(FunctionRef(fwd, m, owner, owner.globals), args, kwargs, node)
            if m.cls.is_sequential():
                return self.sequential_forward(m, x)
            return Unknown(f"{m.kind} has no forward", node)
        if m.kind == "Sequential":
            return self.sequential_forward(m, x)
        if m.kind == "Unknown":
            return Unknown("unknown module")
        self.explain.lost(node, f"`{m.kind}` has no shape rule yet")
        return Unknown(f"`{m.kind}`", node)

    def sequential_forward(self, m: ModuleValue, x):
        for child in list(m.children.values()):
            if child is None:
                continue
            x = self.call_module(child, [x], {}, child.node)
        return x

    # ------------------------------------------------------------------ methods
    def call_method(self, bm: BoundMethod, args, kwargs, node, frame):
        obj, name = bm.obj, bm.name
        if isinstance(obj, Tensor):
            op = T.METHODS.get(name)
            label = f".{name}()"
            if op is None:
                self.explain.lost(node, f"tensor method `.{name}()` has no shape rule yet")
                return Unknown(label, node)
            site = Site(label, node)
            result = op(self.ctx, site, (obj,) + tuple(args), dict(kwargs))
            self.explain.record_op(label, node, obj, result)
            return result
        if isinstance(obj, ModuleValue):
            return self.module_method(obj, name, args, kwargs, node)
        if isinstance(obj, list):
            return _list_method(obj, name, args)
        if isinstance(obj, dict):
            return _dict_method(obj, name, args)
        if isinstance(obj, str):
            try:
                if name == "format" and not any(isinstance(a, (Unknown, Tensor, ModuleValue, Expr)) for a in list(args) + list(kwargs.values())):
                    return obj.format(*args, **kwargs)
                if name in ("upper", "lower", "startswith", "endswith", "split", "replace", "join") and all(isinstance(a, (str, list, tuple)) for a in args):
                    return getattr(obj, name)(*args)
            except Exception:
                return Unknown("string method")
        return Unknown(f"method `{name}`", node)

    def module_method(self, m: ModuleValue, name, args, kwargs, node):
        if name.startswith("__torch_init__:"):
            base = name.split(":", 1)[1]
            if base == "torch.nn.Sequential":
                self.sequential_init(m, args)
            elif base == "torch.nn.ModuleList" and args:
                for i, v in enumerate(self.iterate(args[0]) or []):
                    if isinstance(v, ModuleValue):
                        m.children[str(i)] = v
            return None
        if name == "__sequential_forward__":
            return self.sequential_forward(m, args[0] if args else UNKNOWN)
        if name in ("add_module", "register_module"):
            if len(args) == 2 and isinstance(args[0], str):
                if isinstance(args[1], ModuleValue) or args[1] is None:
                    if self.write_log is not None:
                        self.write_log.append((m, args[0], m.children.get(args[0], _ABSENT), m.attrs.get(args[0], _ABSENT)))
                    m.children[args[0]] = args[1]
            return None
        if name == "append" and args and m.kind in ("ModuleList", "Sequential"):
            v = args[0]
            m.children[str(len(m.children))] = v if isinstance(v, ModuleValue) else ModuleValue("Unknown", None)
            return m
        if name == "extend" and args and m.kind in ("ModuleList", "Sequential"):
            for v in self.iterate(args[0]) or [Unknown("extend")]:
                m.children[str(len(m.children))] = v if isinstance(v, ModuleValue) else ModuleValue("Unknown", None)
            return m
        if name == "insert" and len(args) == 2 and m.kind == "ModuleList" and isinstance(args[0], int):
            kids = list(m.children.values())
            kids.insert(args[0], args[1])
            m.children = {str(i): v for i, v in enumerate(kids)}
            return None
        if name in ("keys",) and m.kind == "ModuleDict":
            return list(m.children.keys())
        if name in ("values",) and m.kind == "ModuleDict":
            return list(m.children.values())
        if name in ("items",) and m.kind == "ModuleDict":
            return list(m.children.items())
        if name in ("children",):
            return [c for c in m.children.values() if c is not None]
        if name in ("named_children",):
            return [(k, c) for k, c in m.children.items() if c is not None]
        if name in ("to", "cuda", "cpu", "float", "double", "half", "train", "eval", "requires_grad_", "apply"):
            return m
        if name == "forward":
            return self._call_module(m, args, kwargs, node, args[0] if args else UNKNOWN)
        if name in ("register_buffer", "register_parameter"):
            if args and isinstance(args[0], str):
                value = args[1] if len(args) > 1 else kwargs.get("tensor", kwargs.get("param"))
                m.attrs[args[0]] = value if isinstance(value, Tensor) else Unknown("buffer")
            return None
        return Unknown(f"module method `{name}`", node)

    # ------------------------------------------------------------------ builtins
    def call_builtin(self, name, args, kwargs, node, frame):
        if name == "super":
            if frame is None or frame.self_obj is None:
                return Unknown("super")
            return SuperProxy(frame.self_obj, frame.cls)
        if any(isinstance(a, Unknown) for a in args) and name not in ("isinstance", "print", "hasattr", "getattr", "setattr"):
            return Unknown(f"{name}() of unknown")
        try:
            if name == "range":
                if all(isinstance(a, int) for a in args) and 1 <= len(args) <= 3:
                    r = range(*args)
                    return r if len(r) <= MAX_UNROLL else Unknown("range too long")
                return Unknown("range")
            if name == "len":
                v = args[0]
                if isinstance(v, (list, tuple, str, dict, range)):
                    return len(v)
                if isinstance(v, ModuleValue):
                    return len(v.children)
                if isinstance(v, Tensor) and v.shape:
                    return v.shape[0]
                return Unknown("len")
            if name in ("int", "float", "bool", "str", "abs", "round"):
                if not args:
                    return {"int": 0, "float": 0.0, "bool": False, "str": ""}[name]
                v = args[0]
                if isinstance(v, Expr):
                    if name == "int":
                        return v
                    return Unknown(name)
                if isinstance(v, (Tensor, ModuleValue)):
                    return Unknown(name)
                if name == "round" and len(args) == 1 and isinstance(v, float):
                    return round(v)
                fn = {"int": int, "float": float, "bool": bool, "str": str, "abs": abs, "round": round}[name]
                return fn(*args)
            if name in ("min", "max"):
                seq = args[0] if len(args) == 1 else args
                seq = self.iterate(seq)
                if seq and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq):
                    return (min if name == "min" else max)(seq)
                return Unknown(name)
            if name == "sum":
                seq = self.iterate(args[0]) if args else None
                if seq is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq):
                    return sum(seq, args[1] if len(args) > 1 else 0)
                return Unknown("sum")
            if name == "zip":
                seqs = [self.iterate(a) for a in args]
                if any(s is None for s in seqs):
                    return Unknown("zip")
                return [tuple(t) for t in zip(*seqs)]
            if name == "enumerate":
                seq = self.iterate(args[0]) if args else None
                start = args[1] if len(args) > 1 else kwargs.get("start", 0)
                return list(enumerate(seq, start)) if seq is not None and isinstance(start, int) else Unknown("enumerate")
            if name in ("list", "tuple"):
                if not args:
                    return [] if name == "list" else ()
                seq = self.iterate(args[0])
                if seq is None:
                    return Unknown(name)
                return list(seq) if name == "list" else tuple(seq)
            if name == "dict":
                if not args:
                    return dict(kwargs)
                if isinstance(args[0], dict):
                    return dict(args[0], **kwargs)
                seq = self.iterate(args[0])
                if seq is not None and all(isinstance(p, (list, tuple)) and len(p) == 2 and _hashable(p[0]) for p in seq):
                    return dict(seq)
                return Unknown("dict")
            if name in ("reversed", "sorted"):
                seq = self.iterate(args[0])
                if seq is None:
                    return Unknown(name)
                return list(reversed(seq)) if name == "reversed" else sorted(seq)
            if name in ("any", "all"):
                seq = self.iterate(args[0])
                if seq is None:
                    return Unknown(name)
                truths = [self.truth(v) for v in seq]
                if None in truths:
                    return Unknown(name)
                return (any if name == "any" else all)(truths)
            if name == "divmod" and all(isinstance(a, int) for a in args):
                return divmod(*args)
            if name == "getattr":
                if len(args) >= 2 and isinstance(args[1], str):
                    v = self.get_attr(args[0], args[1], node)
                    if isinstance(v, Unknown) and len(args) == 3:
                        return args[2]
                    return v
                return Unknown("getattr")
            if name == "setattr":
                if len(args) == 3 and isinstance(args[1], str):
                    self.set_attr(args[0], args[1], args[2])
                return None
            if name == "hasattr":
                return Unknown("hasattr")
            if name == "isinstance":
                return Unknown("isinstance")
            if name == "print":
                return None
            if name == "pow" and len(args) == 2:
                return self.binop("Power", args[0], args[1], node)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError, RecursionError):
            return Unknown(f"{name}() failed")
        return Unknown(name)


# ---------------------------------------------------------------------------- helpers

_ABSENT = object()


def _restore(o: ModuleValue, name: str, child, attr) -> None:
    if child is _ABSENT:
        o.children.pop(name, None)
    else:
        o.children[name] = child
    if attr is _ABSENT:
        o.attrs.pop(name, None)
    else:
        o.attrs[name] = attr


def _same_value(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, (Unknown, Tensor)) or isinstance(b, (Unknown, Tensor)):
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            return a.shape is not None and a.shape == b.shape
        return False
    if type(a) is not type(b):
        return False
    if isinstance(a, (int, float, str, bool, Expr)) or a is None:
        return a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    return False


def _hashable(k) -> bool:
    return isinstance(k, (int, str, float, bool, tuple)) or k is None


def _walk(node):
    stack = [node] if not isinstance(node, (list, tuple)) else list(node)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, cst.CSTNode):
            stack.extend(n.children)


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(dotted(d.decorator) == "staticmethod" for d in fn.decorators)


def _is_classmethod(fn: cst.FunctionDef) -> bool:
    return any(dotted(d.decorator) == "classmethod" for d in fn.decorators)


def _is_layer_ref(fn: Ref) -> bool:
    q = fn.qualname
    return q.startswith("torch.nn.") and q.count(".") == 2 and q.rsplit(".", 1)[1] in L.LAYERS


def _describe_call(node) -> str:
    name = dotted(node.func) if isinstance(node, cst.Call) else None
    return f"`{name}(...)`" if name else "an expression"


def _sym_binop(op, a, b):
    if isinstance(a, float) or isinstance(b, float) or isinstance(a, bool) or isinstance(b, bool):
        return Unknown("symbolic float arithmetic")
    if not (isinstance(a, (int, Expr)) and isinstance(b, (int, Expr))):
        return Unknown("symbolic arithmetic")
    if op == "Add":
        return a + b
    if op == "Subtract":
        return a - b
    if op == "Multiply":
        return a * b
    if op == "FloorDivide" and isinstance(b, int) and b > 0:
        return floordiv(a, b)
    return Expr.opaque("arith")


def _safe_operands(op, a, b) -> bool:
    """Refuse arithmetic that would take forever or exhaust memory (10**10**10, 'x' * 10**9)."""
    if op == "Power" and isinstance(a, int) and isinstance(b, int):
        if b < 0 or abs(a) <= 1:
            return True
        return b * max(abs(a).bit_length(), 1) <= 100_000
    if op == "Multiply":
        for s, n in ((a, b), (b, a)):
            if isinstance(s, (str, list, tuple)) and isinstance(n, int):
                return len(s) * max(n, 0) <= MAX_SEQ
        if isinstance(a, int) and isinstance(b, int):
            return a.bit_length() + b.bit_length() <= 200_000
    if op == "LeftShift" and isinstance(b, int):
        return b <= 100_000
    return True


_BINOPS = {
    "Add": operator.add, "Subtract": operator.sub, "Multiply": operator.mul, "Divide": operator.truediv,
    "FloorDivide": operator.floordiv, "Modulo": operator.mod, "Power": operator.pow,
    "LeftShift": operator.lshift, "RightShift": operator.rshift, "BitAnd": operator.and_,
    "BitOr": operator.or_, "BitXor": operator.xor,
}
_CMPOPS = {
    "Equal": operator.eq, "NotEqual": operator.ne, "LessThan": operator.lt, "LessThanEqual": operator.le,
    "GreaterThan": operator.gt, "GreaterThanEqual": operator.ge,
}


def _math(name, args):
    fns = {"ceil": math.ceil, "floor": math.floor, "sqrt": math.sqrt, "prod": math.prod, "log2": math.log2, "log": math.log, "gcd": math.gcd, "pow": math.pow}
    if name == "pi":
        return math.pi
    fn = fns.get(name)
    if fn is None or not all(isinstance(a, (int, float)) and not isinstance(a, bool) or isinstance(a, (list, tuple)) for a in args):
        return Unknown(f"math.{name}")
    try:
        return fn(*args)
    except Exception:
        return Unknown(f"math.{name}")


def _list_method(obj: list, name, args):
    if name == "append" and len(args) == 1:
        obj.append(args[0])
        return None
    if name == "extend" and len(args) == 1 and isinstance(args[0], (list, tuple)):
        obj.extend(args[0])
        return None
    if name == "insert" and len(args) == 2 and isinstance(args[0], int):
        obj.insert(args[0], args[1])
        return None
    if name == "pop":
        if obj and (not args or (isinstance(args[0], int) and -len(obj) <= args[0] < len(obj))):
            return obj.pop(*args)
        return Unknown("pop")
    if name == "copy":
        return list(obj)
    if name in ("index", "count"):
        try:
            return getattr(obj, name)(*args)
        except Exception:
            return Unknown(name)
    return Unknown(f"list.{name}")


def _dict_method(obj: dict, name, args):
    if name == "keys":
        return list(obj.keys())
    if name == "values":
        return list(obj.values())
    if name == "items":
        return list(obj.items())
    if name == "get" and args and _hashable(args[0]):
        return obj.get(args[0], args[1] if len(args) > 1 else None)
    if name == "copy":
        return dict(obj)
    if name == "update" and args and isinstance(args[0], dict):
        obj.update(args[0])
        return None
    if name == "setdefault" and args and _hashable(args[0]):
        return obj.setdefault(args[0], args[1] if len(args) > 1 else None)
    return Unknown(f"dict.{name}")


def _dataclass_fields(node: cst.ClassDef) -> Optional[List[str]]:
    """The field names of a plain `@dataclass` class, in order; None for anything else."""
    names = []
    for d in node.decorators:
        target = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        names.append(dotted(target))
    if not any(n in ("dataclass", "dataclasses.dataclass") for n in names):
        return None
    fields = []
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    ann = small.annotation.annotation
                    ann_name = dotted(ann.value if isinstance(ann, cst.Subscript) else ann) or ""
                    if not ann_name.endswith("ClassVar"):
                        fields.append(small.target.value)
    return fields
