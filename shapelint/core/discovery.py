"""Which files to check: explicit files as given, directories walked respecting .gitignore.

Inside a git work tree, `git ls-files --cached --others --exclude-standard` lists what
git would (tracked files plus untracked ones that are not ignored); elsewhere a plain
walk skips hidden directories, virtual environments and build outputs.
"""

from __future__ import annotations

import os
from typing import Callable, List, Optional, Tuple

SKIP_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "site-packages",
}
PY_SUFFIXES = (".py", ".pyi")


def _git_files(directory: str) -> Optional[List[str]]:
    """Python files under directory as git sees them, or None when git cannot tell."""
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory, capture_output=True, timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None  # not a work tree, or git refuses (e.g. dubious ownership)
    out = []
    for raw in proc.stdout.split(b"\0"):
        if not raw:
            continue
        rel = os.fsdecode(raw)
        if not rel.endswith(PY_SUFFIXES):
            continue
        full = os.path.join(directory, rel) if directory != "." else rel
        if os.path.isfile(full):  # tracked but deleted in the work tree: skip
            out.append(os.path.normpath(full))
    return sorted(set(out))


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
    use_git = True
    for p in paths:
        if os.path.isdir(p):
            found = _git_files(p) if use_git else None
            if found is None:
                use_git = False  # not a git tree: do not ask again for each directory
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
