"""How much expanding a directory costs: shapelint's own .gitignore reading vs asking git.

Builds a git work tree of N generated model files (scripts/bench_tree.py) with a root
.gitignore of typical Python-project patterns, a nested one, ignored build and venv
folders, and measures, each in a fresh process (median of --runs; CPU time includes
git's own, as os.wait4 counts reaped children):

  (a) python that does nothing (the interpreter's start, to subtract);
  (b) shapelint.discovery.iter_python_files(DIR) (pure Python, runs nothing);
  (c) `git ls-files --cached --others --exclude-standard` from Python, hardened the
      way it would have to be (no system/global config, fsmonitor, hooks or pager);
  (d) `shapelint DIR` end to end.

It also checks that (b) and (c) list the same files (no tracked-but-ignored files here).

    python scripts/bench_discovery.py [--files 1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# typical entries of a Python project's .gitignore (written for this benchmark)
ROOT_IGNORE = """\
# byte code and caches
__pycache__/
*.py[cod]
*$py.class
.pytest_cache/
.mypy_cache/
.ruff_cache/
.hypothesis/
# packaging
build/
dist/
*.egg-info/
.eggs/
wheels/
pip-wheel-metadata/
# environments
.venv/
venv/
env/
.env
# editors and tools
.idea/
.vscode/
*.swp
.DS_Store
.coverage
htmlcov/
# data and checkpoints
data/**
!data/README.md
checkpoints/
*.ckpt
*.pt
wandb/
lightning_logs/
/outputs/
**/generated_*.py
"""
NESTED_IGNORE = "scratch_*.py\n!scratch_keep.py\n"

HARDENED_GIT = """
import os, subprocess, sys
env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
           GIT_PAGER="cat", PAGER="cat", GIT_OPTIONAL_LOCKS="0")
cmd = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=" + os.devnull,
       "-c", "core.untrackedCache=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]
out = subprocess.run(cmd, cwd=sys.argv[1], capture_output=True, env=env, timeout=60).stdout
files = sorted(os.path.normpath(os.path.join(sys.argv[1], os.fsdecode(r))) for r in out.split(b"\\0")
               if r.endswith((b".py", b".pyi")))
if len(sys.argv) > 2:
    print("\\n".join(files))
"""
PURE = """
import sys
from shapelint.core.discovery import iter_python_files
files, _ = iter_python_files([sys.argv[1]])
if len(sys.argv) > 2:
    print("\\n".join(files))
"""


def build(directory: str, n: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_tree", os.path.join(ROOT, "scripts", "bench_tree.py"))
    bench_tree = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_tree)
    bench_tree.generate(directory, n, seed=1)
    with open(os.path.join(directory, ".gitignore"), "w") as fh:
        fh.write(ROOT_IGNORE)
    sub = next(os.path.join(r, d) for r, ds, _ in os.walk(directory) for d in ds if not d.startswith("."))
    with open(os.path.join(sub, ".gitignore"), "w") as fh:
        fh.write(NESTED_IGNORE)
    for rel in ["build/lib/x.py", ".venv/lib/site.py", "data/raw/loader.py", "outputs/run.py",
                "pkg/generated_a.py", os.path.relpath(os.path.join(sub, "scratch_1.py"), directory),
                os.path.relpath(os.path.join(sub, "scratch_keep.py"), directory)]:
        p = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as fh:
            fh.write("x = 1\n")
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q", directory], check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=directory, check=True, env=env)


def measure(cmd, runs: int):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # warm the caches
    walls, cpus = [], []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _pid, _status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def listing(code: str, directory: str):
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code, directory, "print"], capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "tree")
        build(directory, args.files)
        same = listing(PURE, directory) == listing(HARDENED_GIT, directory)
        n = len(listing(PURE, directory))
        print(f"{n} Python files listed; pure Python and git agree: {same}")
        print(f"{'':44} {'wall ms':>8} {'CPU ms':>8}")
        rows = [
            ("(a) python -c pass", [py, "-c", "pass"]),
            ("(b) iter_python_files (pure Python)", [py, "-c", PURE, directory]),
            ("(c) hardened git ls-files from Python", [py, "-c", HARDENED_GIT, directory]),
            ("(d) shapelint DIR", [py, "-m", "shapelint", "--jobs", "1", directory]),
        ]
        for name, cmd in rows:
            wall, cpu = measure(cmd, args.runs)
            print(f"{name:44} {wall:8.1f} {cpu:8.1f}")


if __name__ == "__main__":
    main()
