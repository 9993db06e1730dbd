"""A class statement's body runs where the class is defined, as Python runs it: its attributes
and its methods' parameter defaults take the values of that moment (`N = 4; class C: k = N`
then `N = 1`: C.k is 4), and a later attribute sees the earlier ones (`d_head = d_model //
n_heads`). A comprehension or lambda of the body does not see the class's names (Python's
scoping: only a comprehension's first iterable is read in the class scope).

Only a module-level class whose body is plain (attributes, defs, docstrings, pass) is run here;
any other body keeps the lazy reading (each attribute evaluated at its first read).
"""

from __future__ import annotations

import libcst as cst

from ..core.values import ClassRef, FunctionRef, Unknown
from .extract import ClassInfo
from .frame import Frame, RaiseSignal, ReturnSignal


class ClassNamespace(dict):
    """The names a class body has bound so far (a plain dict: the type marks the scope)."""


_PLAIN_SMALL = (cst.Assign, cst.AnnAssign, cst.Expr, cst.Pass)


def _plain_body(node: cst.ClassDef) -> bool:
    for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.FunctionDef):
            continue
        if not isinstance(stmt, cst.SimpleStatementLine) or not all(isinstance(s, _PLAIN_SMALL) for s in stmt.body):
            return False
        for s in stmt.body:
            targets = [t.target for t in s.targets] if isinstance(s, cst.Assign) else [s.target] if isinstance(s, cst.AnnAssign) else []
            if any(not isinstance(t, cst.Name) for t in targets):
                return False
    return isinstance(node.body, cst.IndentedBlock)


def run_body(vm, info: ClassInfo, frame: Frame) -> None:
    """Evaluate a module-level class's attributes and method defaults now (see the module doc)."""
    if frame.locals is not frame.globals or not _plain_body(info.node):
        return
    from .objects import parameter_defaults

    ns = ClassNamespace()
    body = Frame(frame.globals, info)
    body.locals = ns
    outer_unit, vm.units.current = vm.units.current, None
    try:
        for stmt in info.node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                defaults = parameter_defaults(vm, stmt.params, body)
                info.method_defaults[id(stmt)] = known_defaults(defaults)
                ns[stmt.name.value] = Unknown("a method read as a class-body name")
                continue
            for small in stmt.body:
                _assign(vm, info, small, body, ns)
    finally:
        vm.units.current = outer_unit


def _assign(vm, info: ClassInfo, small, body: Frame, ns: ClassNamespace) -> None:
    if isinstance(small, cst.Assign):
        names = [t.target.value for t in small.targets]
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        names = [small.target.value]
    else:
        return
    try:
        value = vm.eval(small.value, body)
    except (RaiseSignal, ReturnSignal):  # the class is still made here (its attribute unknown), as the lazy reading did
        value = Unknown(f"class attribute `{names[0]}`: its value raises")
    for name in names:
        ns[name] = value
        if name in info.class_attrs:
            info.attr_values[name] = value
    if isinstance(small, cst.Assign) and len(small.targets) > 1:
        for name in names:  # `a = b = 3`: ClassInfo reads single targets only; the value is the same
            info.class_attrs.setdefault(name, small.value)
            info.attr_values[name] = value


def known_defaults(defaults):
    """The defaults that evaluated: an unknown one is read again at the call (the engine's lazy reading)."""
    if defaults is None:
        return None
    return {k: v for k, v in defaults.items() if not isinstance(v, Unknown)}


def scope_of(frame: Frame):
    """The names a comprehension or lambda made in `frame` reads through: a class body's are not."""
    return {} if isinstance(frame.locals, ClassNamespace) else frame.locals


def created(vm, info: ClassInfo, stmt: cst.ClassDef, frame: Frame):
    """What the class statement binds its name to, after the body ran: the class, once a base's
    `__init_subclass__` has run on it (`cls.k = k`), passed through the user's own decorators
    (`@register` storing it and returning it, `@bump` setting an attribute, one returning
    something else). A decorator shapelint cannot follow leaves the class itself, as before."""
    from . import method_decorators

    cls = ClassRef(info)
    _init_subclass(vm, info, stmt, frame)
    value = method_decorators.apply_user_decorators(vm, cls, stmt.decorators, frame)
    return cls if isinstance(value, Unknown) else value


def _init_subclass(vm, info: ClassInfo, stmt: cst.ClassDef, frame: Frame) -> None:
    """type.__new__ calls the first `__init_subclass__` of the bases' MRO with the class keywords."""
    for c in info.mro()[1:]:
        fn = c.methods.get("__init_subclass__")
        if fn is None:
            continue
        kwargs = {a.keyword.value: vm.eval(a.value, frame) for a in stmt.keywords if a.keyword is not None and a.keyword.value != "metaclass"}
        vm.call(FunctionRef(fn, ClassRef(info), c, c.globals), [], kwargs, stmt, frame)
        return
