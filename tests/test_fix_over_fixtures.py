"""`--fix` over every fixture and example (issue 15.6): it never changes a model torch runs, and
every model it changes runs in torch afterwards.

The whole of fixtures/ and examples/ is copied and fixed by one CLI run (`--fix`, as a user
would run it on a repository). Then, for each file the fix changed, the original and the fixed file are each imported and
every declared target of the file runs in real torch, in a fresh process
(tests/fix_torch_worker.py: a symbolic dim runs as 2):
- a file that imported and whose targets all ran before the fix must not have been changed;
- each target that failed before must run after, unless shapelint still reports an error in
  the fixed file (a partial fix that says so), and each that ran before must still run;
- a file that torch could not import before (a constructor raising at import) must import after.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from shapelint.engine.check import check_source


pytestmark = pytest.mark.torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREES = ("fixtures", "examples")


def _python_files(base):
    for tree in TREES:
        for dirpath, dirs, names in os.walk(os.path.join(base, tree)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for n in sorted(names):
                if n.endswith(".py"):
                    yield os.path.relpath(os.path.join(dirpath, n), base)


WORKER = os.path.join(ROOT, "tests", "fix_torch_worker.py")


def _torch(paths):
    """path -> {"import_error", "targets": {name: [verdict, error]}}, from one fresh process."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, WORKER, *map(str, paths)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {row["path"]: row for row in rows}


@pytest.fixture(scope="module")
def fixed_tree(tmp_path_factory):
    base = tmp_path_factory.mktemp("fixed")
    for tree in TREES:
        shutil.copytree(os.path.join(ROOT, tree), base / tree, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "shapelint", "--isolated", "--no-cache", "--fix", "--exit-zero", *TREES],
                          cwd=base, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    changed = []
    for rel in _python_files(ROOT):
        with open(os.path.join(ROOT, rel), encoding="utf-8") as a, open(base / rel, encoding="utf-8") as b:
            if a.read() != b.read():
                changed.append(rel)
    return base, changed


def _errors_left(base, rel):
    path = str(base / rel)
    with open(path, "rb") as fh:
        result = check_source(path, fh.read())
    return [f for f in result.findings if f.severity == "error"]


def test_fix_changes_some_files(fixed_tree):
    """The suite's _bad fixtures hold fixable defects: a fix run that changes nothing proves nothing."""
    _base, changed = fixed_tree
    assert len(changed) >= 5, changed


def test_fix_leaves_every_model_torch_runs_untouched_and_every_fixed_model_runs(fixed_tree):
    base, changed = fixed_tree
    originals = _torch(os.path.join(ROOT, rel) for rel in changed)
    copies = _torch(base / rel for rel in changed)
    problems = []
    for rel in changed:
        before, after = originals[os.path.join(ROOT, rel)], copies[str(base / rel)]
        ran = {t for t, (verdict, _e) in before["targets"].items() if verdict == "ok"}
        if before["import_error"] is None and not before["targets"]:
            problems.append(f"{rel}: changed, but it declares no target torch could check")
            continue
        if before["import_error"] is None and ran == set(before["targets"]):
            problems.append(f"{rel}: every model ran in torch, and --fix changed the file")
            continue
        if after["import_error"] is not None:
            problems.append(f"{rel}: torch cannot import the fixed file: {after['import_error']}")
            continue
        failing = {t: e for t, (verdict, e) in after["targets"].items() if verdict != "ok"}
        for t in sorted(set(failing) & ran):
            problems.append(f"{rel}::{t}: ran before the fix, fails after it: {failing[t]}")
        if set(failing) - ran and not _errors_left(base, rel):
            for t in sorted(set(failing) - ran):
                problems.append(f"{rel}::{t}: fixed, shapelint says it is clean, torch still fails: {failing[t]}")
    assert problems == [], "\n".join(problems)
