"""Files that cannot hold a finding, decided on CPython's own parse (issue 17.3).

A lint of a file with no model should cost about a parse; libcst's parse of a utility
module (torch/_inductor/lowering.py, 9k lines) is most of a lint and grows faster than
the file (CPython's cyclic GC walks the young tree objects again and again). CPython's
`ast` parses the same text about 8x faster. When the ast shows the file can neither define
nor build a model, nor hold a rule's finding, the libcst parse and the interpreter are skipped.

The test is conservative; a file goes to the full engine when any of these holds:
- a class has a base or a keyword that is not a standard-library or builtin name
  (any other base may be an `nn.Module`, through any alias);
- module-level code (class bodies, decorators and default values included; function
  bodies excluded, since only a call runs them) reads a name that is not a standard-library
  import, a harmless builtin, a dunder, or a module-level variable given such a value:
  a torch import, a sibling import, a local function or class (calling it runs its body);
- module-level code asserts (SHP014 evaluates asserts);
- the text mentions softmax (SHP404 reads every function of the file);
- CPython cannot parse it (the full engine reports the error its way).
tests/test_model_free.py proves on every file of fixtures/ and examples/ that a file this
module skips has no model and no finding in the full engine.
"""

from __future__ import annotations

import ast
import builtins
import gc
import os
import re
import sys
from typing import Optional, Set

# builtins that reach code or names by string: never harmless
_DENIED_BUILTINS = {"getattr", "setattr", "delattr", "globals", "locals", "vars", "eval", "exec", "compile",
                    "__import__", "type", "super", "breakpoint", "input", "__build_class__"}
_HARMLESS_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - _DENIED_BUILTINS
_DUNDERS = {"__name__", "__file__", "__doc__", "__all__", "__version__", "__author__", "__spec__", "__package__"}
# standard-library modules that import or reach other modules by name
_DENIED_STDLIB = {"importlib", "sys", "builtins", "runpy", "pkgutil", "imp", "zipimport", "ctypes"}
_STDLIB = frozenset(sys.stdlib_module_names) - _DENIED_STDLIB
_TEXT_HINTS = ("oftm",)  # SHP404 (softmax without dim) reads plain functions too


_CLASS_BASES = re.compile(r"^[ \t]*class\s+\w+\s*\(([^)]*)\)", re.M)


def _has_a_model_like_class(text: str) -> bool:
    """A class head whose base is not a builtin name (`class Net(nn.Module)`, `class B(Base)`):
    nearly every model file has one, and the ast walk would send it to the engine anyway."""
    for m in _CLASS_BASES.finditer(text):
        for base in m.group(1).split(","):
            name = base.strip().split("=")[0].strip()
            if name and name not in _HARMLESS_BUILTINS:
                return True
    return False


class _NeedsEngine(Exception):
    pass


def cannot_hold_findings(text: str, path: Optional[str] = None) -> bool:
    """True when the full engine would find no model and no finding in `text`."""
    if any(h in text for h in _TEXT_HINTS) or _has_a_model_like_class(text):
        return False  # the full engine parses it anyway: no second parse with ast first
    enabled = gc.isenabled()
    gc.disable()  # an ast has no cycles: the collector would only re-walk the new nodes
    try:
        tree = ast.parse(text)
        _ModuleLevel(_shadowed(path)).check(tree)
        return True
    except (_NeedsEngine, SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    finally:
        if enabled:
            gc.enable()


def _shadowed(path: Optional[str]):
    """A stdlib name is only the stdlib when no sibling file or package of that name exists
    (a script's own directory comes first on sys.path)."""
    directory = os.path.dirname(os.path.abspath(path)) if path else None

    def shadowed(name: str) -> bool:
        if directory is None:
            return False
        return os.path.exists(os.path.join(directory, name + ".py")) or os.path.isdir(os.path.join(directory, name))
    return shadowed


class _ModuleLevel:
    """Walks the code that runs at import; raises _NeedsEngine at the first thing it cannot clear."""

    def __init__(self, shadowed):
        self.shadowed = shadowed
        self.safe: Set[str] = set()  # standard-library modules, and variables module-level code assigns
        self.unsafe: Set[str] = set()  # non-stdlib imports, and every def or class (calling one runs it)

    def check(self, tree: ast.Module) -> None:
        code = list(self._module_level(tree.body))
        for node in code:
            self._bind(node)
        for node in code:
            self._clear(node)

    def _module_level(self, body):
        """Every node that runs at import: all but function bodies (their decorators and
        defaults run) and annotations (the engine never evaluates them)."""
        stack = list(body)
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.unsafe.add(node.name)
                args = node.args
                stack.extend(node.decorator_list + args.defaults + [d for d in args.kw_defaults if d is not None])
                continue
            if isinstance(node, ast.ClassDef):
                self.unsafe.add(node.name)
            for name, value in ast.iter_fields(node):
                if name in ("annotation", "returns"):
                    continue
                if isinstance(value, ast.AST):
                    stack.append(value)
                elif isinstance(value, list):
                    stack.extend(v for v in value if isinstance(v, ast.AST))

    def _bind(self, node) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.partition(".")[0]
                (self.safe if self._stdlib(top) else self.unsafe).add(a.asname or top)
        elif isinstance(node, ast.ImportFrom):
            top = (node.module or "").partition(".")[0]
            for a in node.names:
                if a.name == "*":
                    raise _NeedsEngine  # the names it binds are not in this file
                (self.safe if not node.level and self._stdlib(top) else self.unsafe).add(a.asname or a.name)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            self.safe.add(node.id)  # its value comes from module-level code, which is cleared too
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self.safe.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            raise _NeedsEngine

    def _stdlib(self, top: str) -> bool:
        return top in _STDLIB and not self.shadowed(top)

    def _clear(self, node) -> None:
        if isinstance(node, (ast.Assert, ast.Lambda)):
            raise _NeedsEngine  # SHP014 evaluates asserts; a lambda's body runs wherever it goes
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id
            if name in self.unsafe or not (name in self.safe or name in _HARMLESS_BUILTINS or name in _DUNDERS):
                raise _NeedsEngine
