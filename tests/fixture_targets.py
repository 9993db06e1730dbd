"""What a fixture file declares, read from its text: targets, their inputs, the author's defect marks.

Shared by the soundness tests (tests/test_real_models.py) and scripts/coverage.py, so both read
fixtures the same way. Nothing here asks shapelint anything: these are the author's statements.

- a target is a class whose line carries `# shapelint: input=(...)`, or a module-level variable
  whose line carries `# oracle: input=(...)` (`oracle=int` on that line: integer input);
- `# defect` marks the line that holds a `_bad` fixture's bug; `# defect: every input` says the
  bug does not depend on the input's size, so a run with nothing declared must find it too;
- a file inside a package (a folder with `__init__.py`) is imported as part of that package,
  so its relative imports work in torch.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

_CLASS = re.compile(r"^class\s+(\w+)\s*\(.*#\s*shapelint:\s*input\s*=\s*\(([^)]*)\)", re.MULTILINE)
_VARIABLE = re.compile(r"^(\w+)\s*=.*#\s*oracle:\s*input\s*=\s*\(([^)]*)\)", re.MULTILINE)
_DEFECT = re.compile(r"#.*\bdefect\b")
_EVERY_INPUT = re.compile(r"#.*\bdefect:\s*every input\b")
# the declaration shapelint itself reads; removed to lint "with nothing declared"
DECLARATION = re.compile(r"#\s*shapelint:\s*input\s*=\s*\([^)]*\)")


@dataclass(frozen=True)
class Target:
    path: str  # absolute
    name: str
    dims: tuple[int, ...]
    kind: str  # "class" | "variable"
    int_input: bool = False

    @property
    def bad(self) -> bool:
        return os.path.basename(self.path).endswith("_bad.py")


def _dims(text: str) -> list[int] | None:
    parts = [d.strip() for d in text.split(",") if d.strip()]
    if not all(p.lstrip("-").isdigit() for p in parts):
        return None  # symbolic dims: not a torch-runnable target
    return [int(p) for p in parts]


def targets_in(path: str, source: str | None = None) -> list[Target]:
    if source is None:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    out = []
    for regex, kind in ((_CLASS, "class"), (_VARIABLE, "variable")):
        for m in regex.finditer(source):
            dims = _dims(m.group(2))
            if dims is not None:
                line = source[m.start():source.find("\n", m.start())]
                out.append(Target(os.path.abspath(path), m.group(1), tuple(dims), kind, "oracle=int" in line))
    return out


def defect_lines(source: str) -> set[int]:
    return {i for i, ln in enumerate(source.splitlines(), 1) if _DEFECT.search(ln)}


def every_input_defect_lines(source: str) -> set[int]:
    return {i for i, ln in enumerate(source.splitlines(), 1) if _EVERY_INPUT.search(ln)}


def undeclared(source: str) -> str:
    """The source with shapelint's input declarations removed (same lines, same columns of code)."""
    return DECLARATION.sub("", source)


def _reaches(tree: ast.Module, root: str) -> set[str]:
    """Top-level names reachable from `root` through the names (and name-like strings) their code uses."""
    uses = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        else:
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        used |= {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        for name in names:
            uses.setdefault(name, set()).update(used)
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(uses.get(name, ()))
    return seen


def foreign_lines(source: str, target: str, others: list[str]) -> set[int]:
    """Lines of top-level classes/functions that other targets of the file reach and `target` does not.

    A finding there belongs to those other targets; code no target reaches belongs to every target.
    """
    tree = ast.parse(source)
    mine = _reaches(tree, target)
    theirs = set().union(*(_reaches(tree, o) for o in others if o != target)) if others else set()
    lines = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in theirs - mine:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines |= set(range(start, node.end_lineno + 1))
    return lines


def package_root(path: str) -> str | None:
    """The folder above the outermost package holding `path`, or None for a plain file."""
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(os.path.join(d, "__init__.py")):
        return None
    while os.path.exists(os.path.join(os.path.dirname(d), "__init__.py")):
        d = os.path.dirname(d)
    return os.path.dirname(d)


def run_in_torch(target: Target):
    """torch's outcome for a target (tests/torch_oracle.py), importing package files as packages."""
    from torch_oracle import run_model, run_module_file

    root = package_root(target.path)
    if root is not None:
        return run_module_file(target.path, root, target.name, list(target.dims))
    with open(target.path, encoding="utf-8") as f:
        source = f.read()
    return run_model(source, target.name, list(target.dims), filename=target.path, int_input=target.int_input)


def torch_module_names(target: Target) -> set[str] | None:
    """Every name in the target model's named_modules() (those that did not run included)."""
    import importlib
    import sys

    import torch
    from torch_oracle import load

    root = package_root(target.path)
    try:
        torch.manual_seed(0)
        if root is not None:
            rel = os.path.relpath(os.path.splitext(target.path)[0], root).replace(os.sep, ".")
            sys.path.insert(0, root)
            try:
                mod = importlib.import_module(rel)
            finally:
                sys.path.remove(root)
        else:
            with open(target.path, encoding="utf-8") as f:
                mod = load(f.read(), target.path)
        obj = getattr(mod, target.name)
        model = obj() if isinstance(obj, type) else obj
    except Exception:  # noqa: BLE001 - a model torch cannot build has no module names
        return None
    return {name for name, _ in model.named_modules() if name}
