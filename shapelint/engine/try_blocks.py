"""What a `try` statement's handlers catch, read from their text: whether a handler catches the
errors a shape problem raises (then a finding in the body is not reported), and whether the
try guards an import (`try: from timm.layers import DropPath except ImportError: ...`)."""

from __future__ import annotations

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

