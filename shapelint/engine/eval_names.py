"""`eval(s)` of a string the model code holds, as config parsers write it: `m = eval(m)` turns
"Conv" or "nn.Upsample" into the class, `eval("nc")` reads a local, and `eval("nearest")` raises
NameError, which the YOLO-style parser catches to keep the string.

Only two forms are evaluated, exactly as Python would: a Python literal (`"2"`, `"(1, 2)"`,
`"None"`), and a dotted name looked up in the calling frame's locals, then the module's globals,
then builtins. A name found nowhere raises NameError (a `raise` shapelint reached), except in a
module with a `from x import *`, whose globals shapelint does not know in full: there it is
unknown. Any other expression is not modelled.
"""

from __future__ import annotations

import ast
import builtins as python_builtins
import keyword

from ..core.values import Builtin
from .extract import STAR_IMPORT
from .exceptions import builtin_kind
from .frame import RaiseSignal
from .siblings import LazyImport, resolve


def _literal(text: str):
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _dotted(text: str):
    parts = text.split(".")
    if all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return parts
    return None


def _lookup(vm, name: str, frame, node):
    for scope in (frame.locals, frame.globals):
        if name in scope:
            v = scope[name]
            return v if type(v) is not LazyImport else resolve(v)
    if STAR_IMPORT in frame.globals or name.startswith("__"):
        return vm.unmodelled(f"eval of `{name}`, which a star import may define", node)
    if hasattr(python_builtins, name):
        from . import builtins

        return Builtin(name) if name in builtins.NAMES else vm.unmodelled(f"eval of builtin `{name}`", node)
    raise RaiseSignal(builtin_kind("NameError"))  # as Python raises it


def call_eval(vm, args, kwargs, node, frame):
    if kwargs or len(args) != 1 or not isinstance(args[0], str) or frame is None:
        return vm.unmodelled("eval with globals, locals or a non-string", node)
    text = args[0].strip()
    known, value = _literal(text)
    if known:
        return value
    parts = _dotted(text)
    if parts is None:
        return vm.unmodelled("eval of an expression", node)
    value = _lookup(vm, parts[0], frame, node)
    for attr in parts[1:]:
        value = vm.get_attr(value, attr, node)
    return value
