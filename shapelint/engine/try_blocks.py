"""What a `try` statement's handlers catch, read from their text: whether a handler catches the
errors a shape problem raises (then a finding in the body is not reported), and whether the
try guards an import (`try: from timm.layers import DropPath except ImportError: ...`)."""

from __future__ import annotations

import builtins as python_builtins
from typing import Optional

import libcst as cst

from .extract import dotted


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



def raised_kind(stmt: cst.Raise, frame) -> Optional[str]:
    """The builtin exception class a `raise` statement raises (`raise ValueError(...)`), by its
    name; None for a bare `raise`, a class of the user's or anything shapelint cannot name."""
    exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
    name = exc.value if isinstance(exc, cst.Name) else None
    if name is None or name in frame.locals or name in frame.globals:
        return None
    return name if _builtin_exception(name) is not None else None


def _builtin_exception(name: str):
    cls = getattr(python_builtins, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


def handler_index(handlers, kind: Optional[str]) -> Optional[int]:
    """Which handler catches an exception of `kind`: its index; -1 when none does; None when
    that is not known (a class shapelint cannot name on either side)."""
    for i, h in enumerate(handlers):
        caught = _catches(h, kind)
        if caught is None:
            return None
        if caught:
            return i
    return -1


def _catches(handler: cst.ExceptHandler, kind: Optional[str]) -> Optional[bool]:
    if handler.type is None:
        return True
    t = handler.type
    names = [e.value for e in t.elements] if isinstance(t, cst.Tuple) else [t]
    raised = _builtin_exception(kind) if kind is not None else None
    for n in names:
        name = (dotted(n) or "").rsplit(".", 1)[-1]
        if name == "BaseException" or (name == "Exception" and (raised is None or issubclass(raised, Exception))):
            if raised is None and name == "Exception":
                return None  # a class of the user's may derive from BaseException only
            return True
        caught = _builtin_exception(name)
        if raised is None or caught is None:
            return None
        if issubclass(raised, caught):
            return True
    return False
