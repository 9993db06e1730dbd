"""`try` statements: the body; when it raises, the first handler that names the exception's class
(engine/exceptions.py), else it goes on up; `else` and `finally`. Also what the handlers catch,
read from their text: whether one catches the errors a shape problem raises (then a finding in
the body is not reported), and whether the try guards an import (`try: from timm.layers import
DropPath except ImportError: ...`: both ways are followed)."""

from __future__ import annotations

import libcst as cst

from ..core.values import Unknown
from . import branches, exceptions
from .extract import dotted
from .frame import RaiseSignal


# exceptions a shape error or a failed assert is not: a handler of only these catches neither
_NARROW_EXCEPTIONS = ("ImportError", "ModuleNotFoundError", "KeyError", "AttributeError", "NameError",
                      "FileNotFoundError", "OSError", "IOError", "StopIteration", "KeyboardInterrupt")


_IMPORT_ERRORS = ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")


def guards_an_import(stmt: cst.Try) -> bool:
    """A try whose body imports, with a handler that catches a failed import."""
    def catches_import(h: cst.ExceptHandler) -> bool:
        if h.type is None:
            return True
        names = [e.value for e in h.type.elements] if isinstance(h.type, cst.Tuple) else [h.type]
        return any((dotted(n) or "").rsplit(".", 1)[-1] in _IMPORT_ERRORS for n in names)

    imports = any(isinstance(small, (cst.Import, cst.ImportFrom))
                  for s in stmt.body.body if isinstance(s, cst.SimpleStatementLine) for small in s.body)
    return imports and any(catches_import(h) for h in stmt.handlers)


def catches_errors(handler: cst.ExceptHandler) -> bool:
    t = handler.type
    if t is None:
        return True
    names = [e.value for e in t.elements] if isinstance(t, cst.Tuple) else [t]
    return not all((dotted(n) or "").rsplit(".", 1)[-1] in _NARROW_EXCEPTIONS for n in names)


def exec_try(vm, stmt: cst.Try, frame) -> None:
    """The body; when it raises (a `raise` shapelint reached), the handlers instead. A body
    with an import that a handler of ImportError guards (`try: from timm.layers import
    DropPath except ImportError: class DropPath(...)`) may fail on the machine that runs it:
    both ways are analysed (branches.fork). `finally` always runs."""
    if guards_an_import(stmt):
        try:
            branches.fork(vm, lambda f: _try_succeeds(vm, stmt, f), lambda f: _try_handled(vm, stmt, f), frame)
        finally:
            if stmt.finalbody is not None:
                vm.exec_block(stmt.finalbody.body.body, frame)
        return
    catches = any(catches_errors(h) for h in stmt.handlers)
    lookups = exceptions.may_catch_lookup(stmt.handlers)
    try:
        try:
            if catches:  # a shape error torch raises in the body would be caught: not a finding
                vm.findings.open_branch()
            vm.catching += lookups
            vm.try_depth += 1  # a function the body calls that raises raises here (objects.call_function)
            dropped = vm.dropped_raises
            try:
                vm.exec_block(stmt.body.body, frame)
                if vm.dropped_raises > dropped and stmt.handlers:
                    _may_have_raised(vm, stmt, frame)
            finally:
                vm.catching -= lookups
                vm.try_depth -= 1
                if catches:
                    vm.findings.close_branch()
        except RaiseSignal as e:
            chosen = exceptions.first_handler(stmt.handlers, e.kind) if stmt.handlers else "none"
            if chosen == "none":
                raise  # no clause names the exception's class: it goes on up
            if chosen is not None:
                _run_handler(vm, chosen, e.kind, frame)
            elif len(stmt.handlers) == 1:  # a raise of a class shapelint does not know
                vm.exec_block(stmt.handlers[0].body.body, frame)
            else:  # which handler matches is not known: what any may change is unknown
                for h in stmt.handlers:
                    branches.havoc(vm, h.body, frame, why="written by an except clause that may run",
                                   lost="an exception whose class is not known")
        else:
            if stmt.orelse is not None:
                vm.exec_block(stmt.orelse.body.body, frame)
    finally:
        if stmt.finalbody is not None:
            vm.exec_block(stmt.finalbody.body.body, frame)


def _may_have_raised(vm, stmt: cst.Try, frame) -> None:
    """The body may have raised part-way on a path the engine left out (`if size_unknown: raise`)
    and a handler run: what the body or any handler writes is unknown after the try."""
    why, lost = "written in a try that may have raised part-way", "a try whose body may raise on a path not followed"
    branches.havoc(vm, stmt.body, frame, why=why, lost=lost)
    for h in stmt.handlers:
        branches.havoc(vm, h.body, frame, why=why, lost=lost)


def _run_handler(vm, handler: cst.ExceptHandler, kind, frame) -> None:
    if handler.name is not None:
        vm.assign(handler.name.name, Unknown("an exception object (not followed)"), frame)
    vm.handling.append(kind)
    try:
        vm.exec_block(handler.body.body, frame)
    finally:
        vm.handling.pop()


def _try_succeeds(vm, stmt: cst.Try, frame) -> None:
    vm.exec_block(stmt.body.body, frame)
    if stmt.orelse is not None:
        vm.exec_block(stmt.orelse.body.body, frame)


def _try_handled(vm, stmt: cst.Try, frame) -> None:
    """An import of the body failed: its one handler runs (which of several would is not known)."""
    if len(stmt.handlers) == 1:
        vm.exec_block(stmt.handlers[0].body.body, frame)
    else:
        for h in stmt.handlers:
            branches.havoc(vm, h.body, frame)
