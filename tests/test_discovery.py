"""Which files a directory argument expands to, and checking many files in parallel.

The oracle for .gitignore is git itself (`git check-ignore`), and for parallel runs
the serial run: same diagnostics, same order.
"""

import json
import os
import subprocess

from conftest import run_cli

MODEL = (
    "import torch.nn as nn\n\n\n"
    "class Net{i}(nn.Module):  # shapelint: input=(2, {c}, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n"
    "    def forward(self, x):\n        return self.conv(x)\n"
)


def model(i, broken=True):
    return MODEL.format(i=i, c=5 if broken else 3)


def paths(r):
    assert r.returncode in (0, 1), r.stderr
    return sorted({d["path"] for d in json.loads(r.stdout)})


def test_gitignore_is_respected_inside_a_git_work_tree(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("ignored/\ngen_*.py\n")
    for rel in ["src/a.py", "ignored/b.py", "src/gen_c.py", "untracked_d.py", ".hidden/e.py"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(model(0))
    subprocess.run(["git", "add", "src/a.py", ".gitignore"], cwd=tmp_path, check=True)
    found = paths(run_cli("--format", "json", ".", cwd=str(tmp_path)))
    ignored_by_git = {
        rel for rel in ["src/a.py", "ignored/b.py", "src/gen_c.py", "untracked_d.py", ".hidden/e.py"]
        if subprocess.run(["git", "check-ignore", "-q", rel], cwd=tmp_path).returncode == 0
    }
    assert ignored_by_git == {"ignored/b.py", "src/gen_c.py"}
    assert set(found) == {"src/a.py", "untracked_d.py", ".hidden/e.py"}  # what git lists, nothing it ignores


def test_outside_git_the_walk_skips_hidden_dirs_and_virtualenvs(tmp_path):
    for rel in ["pkg/a.py", ".venv/lib/b.py", "venv/c.py", "__pycache__/d.py", "pkg/.cache/e.py"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(model(0))
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path.parent))
    r = run_cli("--format", "json", ".", cwd=str(tmp_path), env=env)
    assert paths(r) == ["pkg/a.py"]


def test_a_file_without_torch_is_not_parsed(tmp_path):
    p = tmp_path / "notes.py"
    p.write_text("def f(:\n    pass\n")  # a syntax error, but it cannot hold a model
    r = run_cli("--format", "json", str(p))
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_parallel_output_equals_serial_output_in_order(tmp_path):
    for i in range(24):
        (tmp_path / f"m{i:02d}.py").write_text(model(i, broken=(i % 3 == 0)))
    serial = run_cli("--format", "json", "--jobs", "1", ".", cwd=str(tmp_path))
    parallel = run_cli("--format", "json", "--jobs", "2", ".", cwd=str(tmp_path))
    assert serial.returncode == parallel.returncode == 1
    assert parallel.stdout == serial.stdout
    got = [d["path"] for d in json.loads(parallel.stdout)]
    assert got == sorted(got) and len(got) == 8  # one finding per broken file, files in order


def test_missing_path_is_exit_2_and_other_files_still_checked(tmp_path):
    (tmp_path / "m.py").write_text(model(0))
    r = run_cli("--format", "json", "m.py", "nope.py", cwd=str(tmp_path))
    assert r.returncode == 2 and "nope.py" in r.stderr and "Traceback" not in r.stderr
    assert [d["path"] for d in json.loads(r.stdout)] == ["m.py"]


def test_same_file_twice_is_checked_once(tmp_path):
    (tmp_path / "m.py").write_text(model(0))
    r = run_cli("--format", "json", "m.py", ".", cwd=str(tmp_path))
    assert len(json.loads(r.stdout)) == 1
