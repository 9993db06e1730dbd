"""One handler per expression node type, `(vm, node, frame) -> value`, in `EXPRESSIONS`.

A node type without a handler is not modelled: `vm.eval` makes it unknown through
`vm.unmodelled`. Handlers evaluate their operands with `vm.eval` and leave calls,
attributes and operators to the interpreter's dispatch (`vm.call`, `vm.get_attr`,
`vm.binop`).
"""

from __future__ import annotations

from typing import Callable, Dict

import libcst as cst

from ..core.symbolic import Expr
from ..core.values import (BaseMethod, Builtin, FloatUnknown, FunctionRef, ModuleValue, PendingShape, Quotient, Ref, Tensor,
                           TruthUnknown, Unknown)
from ..torch import containers
from ..torch.result_dtypes import COMPARISONS
from . import (budgets, builtins, class_bodies, dict_subclasses, enums, exceptions, iterators, loop_elements, module_lookup,
               numpy_overlay, objects, shape_tuples)
from .frame import MAX_SEQ, MAX_UNROLL, Frame, LambdaRef, LiveScope, Overlay, RaiseSignal, hashable, same_value
from .pyvalues import compare, truth
from .siblings import LazyImport, resolve
from .torch_calls import construct_layer, is_layer_ref, tensor_index


# ---------------------------------------------------------------------------- literals


def eval_integer(vm, node, frame):
    try:
        return node.evaluated_value
    except (SyntaxError, ValueError):  # over CPython's 4,300-digit limit for a decimal literal
        return Unknown(f"an integer literal of {len(node.value)} digits")


def eval_float(vm, node, frame):
    return float(node.value.replace("_", ""))


def eval_imaginary(vm, node, frame):
    return vm.unmodelled("complex")


def eval_ellipsis(vm, node, frame):
    return Ellipsis


def eval_string(vm, node, frame):
    try:
        v = node.evaluated_value
        return v if v is not None else Unknown("string")
    except Exception:
        return Unknown("string")


def eval_fstring(vm, node, frame):
    out = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            out.append(part.value)
            continue
        v = vm.eval(part.expression, frame)
        if isinstance(v, (Unknown, Tensor, ModuleValue)):
            return Unknown("f-string")
        spec = ""
        if part.format_spec:
            if not all(isinstance(p, cst.FormattedStringText) for p in part.format_spec):
                return Unknown("f-string")
            spec = "".join(p.value for p in part.format_spec)
            if not budgets.spec_ok(spec):
                return Unknown("an f-string width over shapelint's budget")
        if sum(len(s) for s in out) + budgets.seq_len(v) > budgets.MAX_SEQ:
            return Unknown("an f-string over shapelint's size budget")
        try:
            v = repr(v) if part.conversion == "r" else v
            out.append(format(v, spec))
        except Exception:
            return Unknown("f-string")
    return "".join(out)


# ---------------------------------------------------------------------------- names and containers


def eval_name(vm, node, frame):
    name = node.value
    if name in frame.locals:
        v = frame.locals[name]
        return v if type(v) is not LazyImport else resolve(v)
    if frame.local_names is not None and name in frame.local_names:
        return vm.unmodelled(f"local `{name}`, not bound where shapelint followed the function (never the module's name)", node)
    if name in frame.globals:
        v = frame.globals[name]
        return v if type(v) is not LazyImport else resolve(v)
    if name == "True":
        return True
    if name == "False":
        return False
    if name == "None":
        return None
    if name == "Ellipsis":  # `x[(*(None,) * k, Ellipsis)]`
        return Ellipsis
    if name in builtins.NAMES:
        return Builtin(name)
    return vm.unmodelled(f"name `{name}`", node)


def eval_attribute(vm, node, frame):
    return vm.get_attr(vm.eval(node.value, frame), node.attr.value, node)


def eval_tuple(vm, node, frame):
    return tuple(eval_elements(vm, node.elements, frame))


def eval_list(vm, node, frame):
    return list(eval_elements(vm, node.elements, frame))


def eval_set(vm, node, frame):
    """A set display of known numbers (`attention_resolutions={2, 4}`): CPython iterates a set of
    small numbers in a fixed order; a set of strings or of anything else stays unknown, as `set()` does."""
    elements = eval_elements(vm, node.elements, frame)
    if not all(v is None or type(v) in (int, bool, float, numpy_overlay.NpInt) for v in elements):
        return vm.unmodelled("set")
    return set(elements)


def eval_elements(vm, elements, frame) -> list:
    out = []
    for e in elements:
        if isinstance(e, cst.StarredElement):
            seq = vm.iterate(vm.eval(e.value, frame))
            if seq is None:
                return [Unknown("starred")]  # length unknown: a poisoned list
            out.extend(seq)
        else:
            out.append(vm.eval(e.value, frame))
    return out


def eval_dict(vm, node, frame):
    out = {}
    for e in node.elements:
        if isinstance(e, cst.DictElement):
            k = vm.eval(e.key, frame)
            if not hashable(k):
                return Unknown("dict key")
            out[k] = vm.eval(e.value, frame)
        else:
            v = vm.eval(e.value, frame)
            if not isinstance(v, dict):
                return Unknown("dict unpacking")
            out.update(v)
    return out


# ---------------------------------------------------------------------------- subscripts


def eval_subscript(vm, node, frame):
    vm.units.note(node)
    obj = vm.eval(node.value, frame)
    if len(node.slice) != 1:
        return subscript(vm, obj, tuple(eval_slice(vm, el.slice, frame) for el in node.slice), node)
    key = eval_slice(vm, node.slice[0].slice, frame)
    if isinstance(obj, tuple) and shape_tuples.index_out_of_range(vm, node, obj, key):
        return Unknown("a size index out of range")
    return subscript(vm, obj, key, node)


def eval_slice(vm, s, frame):
    if isinstance(s, cst.Index):
        return vm.eval(s.value, frame)
    lo = vm.eval(s.lower, frame) if s.lower is not None else None
    hi = vm.eval(s.upper, frame) if s.upper is not None else None
    st = vm.eval(s.step, frame) if s.step is not None else None
    if any(isinstance(v, Unknown) for v in (lo, hi, st)) or isinstance(lo, Expr) or isinstance(st, Expr):
        return Unknown("slice")
    return slice(lo, hi, st)  # a symbolic stop (`pe[:x.size(0)]`) only a tensor's rule reads


def _symbolic_slice(key) -> bool:
    return any(isinstance(k, slice) and isinstance(k.stop, Expr) for k in (key if isinstance(key, tuple) else (key,)))


def _plain_key(k) -> bool:
    """A key whose equality is Python's own (so `k in d` is certain)."""
    if isinstance(k, tuple):
        return all(_plain_key(v) for v in k)
    return k is None or type(k) in (str, int, bool, float)


def subscript(vm, obj, key, node):
    if isinstance(obj, Unknown) or isinstance(key, Unknown):
        return Unknown("subscript")
    if _symbolic_slice(key) and not isinstance(obj, Tensor):
        return Unknown("a slice to a symbolic size")
    if isinstance(obj, PendingShape):  # `x.shape[0]` of the model input: batch-first by convention
        return vm.ctx.batch if key == 0 and not isinstance(key, bool) else Unknown("a size of an input of unknown rank")
    if isinstance(obj, (list, tuple, str)):
        if isinstance(key, slice) or (isinstance(key, int) and -len(obj) <= key < len(obj)):
            try:
                return obj[key]
            except Exception:
                return Unknown("index")
        if type(key) in (int, bool) and not isinstance(obj, iterators.PyIterator):
            # Python raises (`anchors[0]` of YOLOv5's Detect() built with anchors=()): on this path nothing follows
            raise RaiseSignal(exceptions.builtin_kind("IndexError"))
        return Unknown("index")
    if isinstance(obj, dict_subclasses.MappingValue):
        own = dict_subclasses.own_method(obj, "__getitem__")
        if own is not None:  # the class's `__getitem__` wins over dict's
            return objects.call_function(vm, own, [key], {}, node) if isinstance(own, FunctionRef) else own
    if isinstance(obj, dict):
        if hashable(key) and key in obj:
            return obj[key]
        if type(obj) is dict and _plain_key(key) and all(_plain_key(k) for k in obj):  # certainly missing: KeyError
            return exceptions.raise_if_caught(vm, "KeyError", "key")
        return Unknown("key")
    if isinstance(obj, range):
        try:
            return obj[key]
        except Exception:
            return Unknown("index")
    if enums.is_enum_class(obj):
        return enums.by_name(vm, obj.info, key)  # `Norm["BATCH"]`
    if isinstance(obj, ModuleValue):
        owner, getitem = obj.cls.find_method("__getitem__") if obj.cls is not None else (None, None)
        if getitem is not None and not dict_subclasses.is_mapping_class(obj.cls):
            # Python looks `obj[k]` up on the type: the class's own `__getitem__` wins (a dataclass that is also a
            # mapping, HF's ModelOutput, keeps its fields as attributes only: its items are not followed)
            return objects.call_function(vm, FunctionRef(getitem, obj, owner, owner.globals), [key], {}, node)
        return containers.index(obj, key)
    if isinstance(obj, numpy_overlay.NdArray):
        return obj.index(key)
    if isinstance(obj, Tensor):
        return tensor_index(vm, obj, key, node)
    if isinstance(obj, Ref) and obj.qualname.startswith("typing."):
        return obj  # `List[Tensor]`: a generic alias, read only as an annotation (torch.jit.annotate, typing.cast)
    if isinstance(obj, Ref) and obj.qualname == module_lookup.SYS_MODULES:
        return module_lookup.sys_modules_item(vm, key, node, module_lookup.imports_torch(vm.globals))
    return vm.unmodelled("subscript")


# ---------------------------------------------------------------------------- operators


def eval_binary(vm, node, frame):
    vm.units.note(node)
    left = vm.eval(node.left, frame)
    right = vm.eval(node.right, frame)
    result = vm.binop(type(node.operator).__name__, left, right, node)
    if isinstance(node.operator, cst.Divide):  # the float remembers its `/`: a finding names it
        if type(result) is float:
            result = Quotient(result)
            result.node = node
        elif isinstance(result, FloatUnknown):
            result.node = node
    return result


def eval_unary(vm, node, frame):
    v = vm.eval(node.expression, frame)
    op = type(node.operator).__name__
    if op == "Not":
        t = truth(v)
        return Unknown("not") if t is None else (not t)
    if isinstance(v, (Tensor, Unknown)):
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


def eval_boolean(vm, node, frame):
    left = vm.eval(node.left, frame)
    t = truth(left)
    is_and = isinstance(node.operator, cst.And)
    if t is None:
        # the result is the left operand or the right one: its truth may be known, its value is not
        # (`width or 4` is width when width is true: returning 4 was a wrong value)
        right = vm.eval(node.right, frame)
        if is_and and truth(right) is False:
            return right if same_value(left, right) else TruthUnknown("`and` of a value not known", False)
        if not is_and and truth(right) is True:
            return right if same_value(left, right) else TruthUnknown("`or` of a value not known", True)
        return Unknown("boolean")
    if is_and:
        return vm.eval(node.right, frame) if t else left
    return left if t else vm.eval(node.right, frame)


def eval_comparison(vm, node, frame):
    left = vm.eval(node.left, frame)
    for target in node.comparisons:
        right = vm.eval(target.comparator, frame)
        op = type(target.operator).__name__
        if op in COMPARISONS and (isinstance(left, Tensor) or isinstance(right, Tensor)):  # `x == y`, `x > 0`: a bool tensor
            return vm.binop(op, left, right, node) if len(node.comparisons) == 1 else Unknown("chained tensor comparison")
        r = compare(op, left, right)
        if r is None:
            return Unknown("comparison")
        if not r:
            return False
        left = right
    return True


def eval_ifexp(vm, node, frame):
    t = truth(vm.eval(node.test, frame))
    if t is True:
        return vm.eval(node.body, frame)
    if t is False:
        return vm.eval(node.orelse, frame)
    a, b = vm.eval(node.body, frame), vm.eval(node.orelse, frame)
    return a if same_value(a, b) else Unknown("conditional expression")


# ---------------------------------------------------------------------------- functions and calls


def eval_lambda(vm, node, frame):
    # by reference: late binding, as in Python (a class body's names are no closure's)
    captured = {} if frame.locals is vm.globals or isinstance(frame.locals, class_bodies.ClassNamespace) else LiveScope(frame)
    # defaults are evaluated now, once (`lambda x, f=f: ...` in a loop keeps each f)
    return LambdaRef(node, captured, frame.cls, frame.self_obj, objects.parameter_defaults(vm, node.params, frame))


def eval_named(vm, node, frame):
    v = vm.eval(node.value, frame)
    vm.assign(node.target, v, frame)
    return v


def eval_call(vm, node, frame):
    vm.units.note(node)
    fn = vm.eval(node.func, frame)
    args, kwargs, ok = eval_args(vm, node.args, frame)
    if not ok:
        if isinstance(fn, Ref) and is_layer_ref(fn):
            return construct_layer(vm, fn, args, kwargs, node, partial=True)
        if isinstance(fn, BaseMethod):
            objects.init_not_followed(vm, fn, node)  # `super().__init__(*layers)` of layers not known: never empty
        objects.mark_unfollowed([fn, args, kwargs])  # a call not made: it may have written to these
        return Unknown("call with arguments shapelint cannot evaluate", node)
    return vm.call(fn, args, kwargs, node, frame)


def eval_args(vm, arg_nodes, frame):
    """(positional, keyword, ok): ok is False when a *args or **kwargs cannot be expanded."""
    args, kwargs, ok = [], {}, True
    for a in arg_nodes:
        if a.star == "*":
            seq = vm.iterate(vm.eval(a.value, frame))
            if seq is None:
                ok = False
                continue
            args.extend(seq)
        elif a.star == "**":
            d = vm.eval(a.value, frame)
            if not isinstance(d, dict) or not all(isinstance(k, str) for k in d) or any(k in kwargs for k in d):
                ok = False  # (a keyword given twice: Python raises TypeError)
                continue
            kwargs.update(d)
        elif a.keyword is not None:
            if a.keyword.value in kwargs:
                ok = False  # `f(**{'a': 1}, a=2)`: TypeError
            kwargs[a.keyword.value] = vm.eval(a.value, frame)
        else:
            args.append(vm.eval(a.value, frame))
    return args, kwargs, ok


# ---------------------------------------------------------------------------- comprehensions


def eval_listcomp(vm, node, frame):
    out = comprehension(vm, node.for_in, lambda f: [vm.eval(node.elt, f)], frame)
    return out if out is not None else Unknown("comprehension")


def eval_genexp(vm, node, frame):
    """A generator expression: an iterator over the elements (evaluated now: nearly every consumer
    takes them all; a second draw is not a stale copy: engine/iterators.py)."""
    out = comprehension(vm, node.for_in, lambda f: [vm.eval(node.elt, f)], frame)
    return iterators.PyIterator(out) if out is not None else Unknown("comprehension")


def eval_dictcomp(vm, node, frame):
    items = comprehension(vm, node.for_in, lambda f: [(vm.eval(node.key, f), vm.eval(node.value, f))], frame)
    if items is None or not all(hashable(k) for k, _ in items):
        return Unknown("comprehension")
    return dict(items)


def comprehension(vm, comp, produce, frame):
    """The elements a comprehension produces, in its own scope; None when not all are known."""
    inner = Frame(frame.globals, frame.cls, frame.self_obj)
    first = vm.eval(comp.iter, frame)  # the outermost iterable, in the enclosing scope
    inner.locals = Overlay(class_bodies.scope_of(frame))  # its names stay its own; reading costs nothing
    out: list = []
    return out if _loop(vm, comp, produce, inner, out, first=first) else None


_NOT_EVALUATED = object()


def _loop(vm, comp, produce, frame, out, outermost=True, first=_NOT_EVALUATED) -> bool:
    it = vm.iterate(vm.eval(comp.iter, frame) if first is _NOT_EVALUATED else first)
    if it is None or len(it) > MAX_UNROLL:
        return False
    for index, item in enumerate(it):
        vm.assign(comp.target, item, frame)
        # only the outermost iterable is read in the function's own scope (the others may be the comprehension's names)
        noted = loop_elements.enter(vm, comp.target, comp.iter, index, item) if outermost else None
        try:
            if not _step(vm, comp, produce, frame, out):
                return False
        finally:
            loop_elements.leave(vm, noted)
    return True


def _step(vm, comp, produce, frame, out) -> bool:
    """One element of a comprehension's loop: its conditions, then the inner loop or the element."""
    for cond in comp.ifs:
        t = truth(vm.eval(cond.test, frame))
        if t is None:
            return False
        if not t:
            return True
    if comp.inner_for_in is not None:
        if not _loop(vm, comp.inner_for_in, produce, frame, out, outermost=False):
            return False
    else:
        out.extend(produce(frame))
    return len(out) <= MAX_SEQ


EXPRESSIONS: Dict[type, Callable] = {
    cst.Integer: eval_integer, cst.Float: eval_float, cst.Imaginary: eval_imaginary, cst.Ellipsis: eval_ellipsis,
    cst.SimpleString: eval_string, cst.ConcatenatedString: eval_string, cst.FormattedString: eval_fstring,
    cst.Name: eval_name, cst.Attribute: eval_attribute, cst.Tuple: eval_tuple, cst.List: eval_list,
    cst.Set: eval_set, cst.Dict: eval_dict, cst.Subscript: eval_subscript,
    cst.BinaryOperation: eval_binary, cst.UnaryOperation: eval_unary, cst.BooleanOperation: eval_boolean,
    cst.Comparison: eval_comparison, cst.IfExp: eval_ifexp, cst.Lambda: eval_lambda, cst.NamedExpr: eval_named,
    cst.Call: eval_call, cst.ListComp: eval_listcomp, cst.GeneratorExp: eval_genexp, cst.DictComp: eval_dictcomp,
}
