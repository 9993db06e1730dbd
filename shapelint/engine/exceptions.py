"""Which exception a raise is, and which `except` clause catches it, as Python decides.

A raise the engine reaches carries its `kind`: the names of the exception's classes (its MRO:
`KeyError` is also a `LookupError`, an `Exception`, a `BaseException`), or None where the class
is not known (`raise err` of a variable). A handler catches it when it names one of them;
a handler naming only other classes does not, and the exception goes on up. A kind not known
is not matched against a narrow handler: that case keeps the interpreter's older reading.

Inside a `try` body (only there, so that nothing changes where nobody catches) a lookup that
certainly fails raises as Python does: a missing key of a dict the engine holds whole
(KeyError), an index past a known list's end (IndexError), `int("x")` (ValueError). Outside a
try those stay unknown values, as before.
"""

from __future__ import annotations

import builtins as python_builtins
from typing import FrozenSet, Optional

import libcst as cst

from ..core.values import Builtin, ClassRef, Unknown
from .extract import dotted
from .frame import RaiseSignal

Kind = Optional[FrozenSet[str]]

# Python's exception classes by name (their MRO is the hierarchy handlers are matched against)
EXCEPTION_NAMES = frozenset(
    n for n in dir(python_builtins)
    if isinstance(getattr(python_builtins, n), type) and issubclass(getattr(python_builtins, n), BaseException)
)


def builtin_kind(name: str) -> FrozenSet[str]:
    return frozenset(c.__name__ for c in getattr(python_builtins, name).__mro__ if c is not object)


FROZEN_INSTANCE = builtin_kind("AttributeError") | {"FrozenInstanceError"}


def class_kind(value) -> Kind:
    """The kind of raising `value` (a class or an instance of it): None when not known."""
    if isinstance(value, Builtin) and value.name in EXCEPTION_NAMES:
        return builtin_kind(value.name)
    if isinstance(value, ClassRef):
        names = set()
        for c in value.info.mro():
            names.add(c.name)
            for b in c.bases:
                if isinstance(b, Builtin) and b.name in EXCEPTION_NAMES:
                    names |= builtin_kind(b.name)
                elif not isinstance(b, ClassRef):
                    return None  # a base shapelint cannot see (a library's exception): not known
        return frozenset(names) if names & {"BaseException"} else None
    return None


def raised_kind(vm, stmt: cst.Raise, frame) -> Kind:
    """The kind `raise X(...)`, `raise X` or a bare `raise` (the exception being handled) raises."""
    if stmt.exc is None:
        return vm.handling[-1] if vm.handling else None
    callee = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
    if not isinstance(callee, (cst.Name, cst.Attribute)):
        return None
    try:
        return class_kind(vm.eval(callee, frame))
    except RaiseSignal:
        return frozenset(builtin_kind("NameError"))  # `raise Undefined(...)`: Python raises NameError instead


def handler_names(handler: cst.ExceptHandler):
    """The class names an `except` clause lists (the last part of each dotted name); None for a bare
    `except:` and for a clause whose classes are not all plain names (an expression)."""
    t = handler.type
    if t is None:
        return None
    items = [e.value for e in t.elements] if isinstance(t, cst.Tuple) else [t]
    names = [dotted(n) for n in items]
    return None if any(n is None for n in names) else [n.rsplit(".", 1)[-1] for n in names]


def catches(handler: cst.ExceptHandler, kind: Kind) -> Optional[bool]:
    """Whether the clause catches an exception of `kind`; None when that is not known."""
    if handler.type is None:
        return True
    if isinstance(kind, str):  # a kind given by its builtin class's name
        kind = builtin_kind(kind) if kind in EXCEPTION_NAMES else None
    names = handler_names(handler)
    if names is None or kind is None:
        return None
    return bool(set(names) & kind)


def first_handler(handlers, kind: Kind):
    """The clause Python runs for `kind` (the first that catches it), "none" when no clause does,
    None when it is not known."""
    for h in handlers:
        verdict = catches(h, kind)
        if verdict is None:
            return None
        if verdict:
            return h
    return "none"


_LOOKUP_CATCHERS = {"KeyError", "IndexError", "LookupError", "ValueError", "Exception", "BaseException"}


def may_catch_lookup(handlers) -> int:
    """1 when a clause of the try may catch a failed lookup (KeyError, IndexError, ValueError)."""
    for h in handlers:
        names = handler_names(h)
        if names is None or set(names) & _LOOKUP_CATCHERS:
            return 1
    return 0


def raise_if_caught(vm, name: str, what: str):
    """Inside a try body: raise the builtin exception `name` (Python certainly raises it here).
    Elsewhere: the unknown value the engine gave before."""
    if vm.catching:
        raise RaiseSignal(builtin_kind(name))
    return Unknown(what)
