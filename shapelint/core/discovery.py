"""Which files to check: explicit files as given, directories walked respecting .gitignore.

Python files and Jupyter notebooks (.py, .pyi, .ipynb) are found in directories.

Inside a git work tree a directory expands to the files git would not ignore: its
`.gitignore` files, `.git/info/exclude` and the global ignore file are read by
shapelint.core.gitignore, never by running git (git would honour the checked tree's own
`.git/config`, and `core.fsmonitor` there runs any command). Elsewhere a plain walk
skips hidden directories, virtual environments and build outputs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from .gitignore import WorkTree


SKIP_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "site-packages", ".ipynb_checkpoints",
    ".shapelint_cache",
}
PY_SUFFIXES = (".py", ".pyi", ".ipynb")  # notebooks are checked too (shapelint.core.notebook)
# Jupyter's autosaved copies of every notebook: never the user's source, even where git keeps them
ALWAYS_SKIP = {".ipynb_checkpoints"}


def _join(rel_dir: str, name: str) -> str:
    return f"{rel_dir}/{name}" if rel_dir else name


def _work_tree_files(directory: str, tree: "WorkTree") -> Optional[List[str]]:
    """Python files under directory that git would list (tracked or not) unless it ignores them.

    Nested repositories are skipped as git skips them; None when directory lies inside
    the `.git` directory itself (not part of the work tree).
    """
    from .gitignore import is_ignored

    start = os.path.relpath(os.path.realpath(directory), tree.root).replace(os.sep, "/")
    start = "" if start == "." else start
    if start.split("/")[0] == ".git":
        return None
    if tree.inside_ignored(start):
        return []
    out = []
    for dirpath, dirs, names in os.walk(directory):  # followlinks=False, as git never follows links
        below = os.path.relpath(dirpath, directory).replace(os.sep, "/")
        rel_dir = start if below == "." else _join(start, below)
        levels = tree.levels_for(rel_dir)
        kept = []
        for d in sorted(dirs):
            if d == ".git" or d in ALWAYS_SKIP or os.path.lexists(os.path.join(dirpath, d, ".git")):
                continue  # the repository itself, or a nested one (git lists it as one entry)
            if not is_ignored(levels, _join(rel_dir, d), True):
                kept.append(d)
        dirs[:] = kept
        for n in names:
            if not n.endswith(PY_SUFFIXES) or is_ignored(levels, _join(rel_dir, n), False):
                continue
            full = os.path.join(dirpath, n)
            if os.path.isfile(full):  # not a FIFO, a dangling link or a link to a directory
                out.append(os.path.normpath(full))
    return sorted(out)


def _walk(directory: str) -> List[str]:
    found = []
    for root, dirs, names in os.walk(directory):  # followlinks=False: no symlink loops
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        found.extend(os.path.normpath(os.path.join(root, n)) for n in names if n.endswith(PY_SUFFIXES))
    return sorted(found)


def iter_python_files(
    paths: List[str], excluded: Optional[Callable[[str], bool]] = None, force_exclude: bool = False
) -> Tuple[List[str], List[str]]:
    """Files to check, in a stable order without duplicates, and the paths that do not exist.

    `excluded(path)` (the config's `exclude` globs) prunes files found in directories;
    files named explicitly are checked anyway unless force_exclude is set (as in ruff,
    so that pre-commit, which passes every staged file, still honours `exclude`).
    """
    files: List[str] = []
    missing: List[str] = []
    seen = set()
    trees: Dict[str, "WorkTree"] = {}  # one per work tree, so each .gitignore is read once
    for p in paths:
        if os.path.isdir(p):
            from .gitignore import WorkTree, find_work_tree  # only directories need it

            found = None
            root = find_work_tree(os.path.realpath(p))  # git, too, starts from the physical directory
            if root is not None:
                if root not in trees:
                    trees[root] = WorkTree(root)
                found = _work_tree_files(p, trees[root])
            if found is None:
                found = _walk(p)
            candidates = [f for f in found if not (excluded and excluded(f))]
        elif os.path.exists(p) or os.path.islink(p):
            candidates = [] if (force_exclude and excluded and excluded(p)) else [p]
        else:
            missing.append(p)
            continue
        for f in candidates:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, missing
