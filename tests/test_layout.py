"""The package's shape: no import circles, small modules and functions (or a reason written beside them).

Read from the source with `ast` (module-level imports only: an import inside a
function runs after every module has loaded, so it cannot close a circle).
"""

import ast
import os

from conftest import ROOT

PKG = os.path.join(ROOT, "shapelint")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _modules():
    out = {}
    for d, _dirs, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                name = rel[: -len(".__init__")] if rel.endswith(".__init__") else rel
                out[name] = path
    return out


def _imports(name: str, path: str, modules) -> set:
    """The shapelint modules `name` imports when it loads."""
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.parse(open(path, encoding="utf-8").read()).body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            if base in modules:
                found.add(base)
            for a in node.names:  # `from . import interpreter` imports a module
                if f"{base}.{a.name}" in modules:
                    found.add(f"{base}.{a.name}")
    found.discard(name)
    return found


def _cycle(graph):
    """One import circle as a list of modules, or None."""
    state = {}

    def visit(n, stack):
        state[n] = "open"
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == "open":
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m, stack)
                if found:
                    return found
        stack.pop()
        state[n] = "done"
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n, [])
            if found:
                return found
    return None


def test_the_import_graph_is_read_correctly():
    modules = _modules()
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    assert "shapelint.torch.kernels" in graph["shapelint.torch.modules"]  # `from .kernels import (...)`
    assert "shapelint.engine.branches" in graph["shapelint.engine.interpreter"]  # `from . import branches`
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_circles():
    modules = _modules()
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    assert _cycle(graph) is None


def test_modules_and_functions_are_small_or_say_why():
    too_long = []
    for name, path in _modules().items():
        src = open(path, encoding="utf-8").read()
        tree = ast.parse(src)
        doc = ast.get_docstring(tree) or ""
        if src.count("\n") > MAX_MODULE_LINES and f"{MAX_MODULE_LINES} lines" not in doc:
            too_long.append(f"{name}: {src.count(chr(10))} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{MAX_FUNCTION_LINES} lines" not in (ast.get_docstring(node) or ""):
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == [], "write the reason in the docstring, or split: " + "; ".join(too_long)
