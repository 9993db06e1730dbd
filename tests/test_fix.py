"""--fix and --diff: torch runs the fixed file cleanly; every other byte is kept.

The oracle for "fixed" is real torch (tests/torch_oracle.run_model on the rewritten
file), never a comparison with an expected string.
"""

import os
import shutil
import stat
import subprocess

import pytest

from conftest import run_cli
from shapelint.frontends import fix as fixmod
from shapelint.core.findings import Edit, Finding
from torch_oracle import run_model

CNN = (
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
    "class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 32, 32)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, padding=1)  # first\n"
    "        self.bn = nn.BatchNorm2d(16)\n"
    "        self.pool = nn.MaxPool2d(2, 2)\n"
    "        # 18 * 32 * 32 ignores the pool\n"
    "        self.fc1 = nn.Linear(18 * 32 * 32,\n"
    "                             64)\n"
    "        self.fc2 = nn.Linear(64, 10)\n"
    "\n"
    "    def forward(self, x):\n"
    "        x = self.pool(F.relu(self.bn(self.conv1(x))))\n"
    "        x = torch.flatten(x, 1)\n"
    "        return self.fc2(F.relu(self.fc1(x)))\n"
)

FOLD = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class Folded(nn.Module):  # shapelint: input=(2, 32, 4, 4)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(128, 10)\n"
    "\n"
    "    def forward(self, x):\n"
    "        x = x.view(-1, 128)  # hand-computed size\n"
    "        return self.fc(x)\n"
)


def write(tmp_path, name, text, newline="\n"):
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return p


@pytest.mark.torch
def test_fix_makes_torch_run_the_model(tmp_path):
    p = write(tmp_path, "cnn.py", CNN)
    assert run_model(CNN, "SimpleCNN", [4, 3, 32, 32]).verdict == "crash"
    r = run_cli("--fix", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    fixed = p.read_text()
    outcome = run_model(fixed, "SimpleCNN", [4, 3, 32, 32])
    assert outcome.verdict == "ok", outcome.error
    assert "# 18 * 32 * 32 ignores the pool" in fixed and "# first" in fixed  # comments kept


@pytest.mark.torch
def test_fix_of_a_batch_folding_view_keeps_the_batch(tmp_path):
    p = write(tmp_path, "fold.py", FOLD)
    assert run_model(FOLD, "Folded", [2, 32, 4, 4]).verdict == "batch-changed"
    r = run_cli("--fix", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    fixed = p.read_text()
    outcome = run_model(fixed, "Folded", [2, 32, 4, 4])
    assert outcome.verdict == "ok" and outcome.output == [2, 10], (outcome, fixed)
    assert "# hand-computed size" in fixed


def test_second_fix_changes_nothing(tmp_path):
    p = write(tmp_path, "cnn.py", CNN)
    run_cli("--fix", str(p))
    once = p.read_bytes()
    r = run_cli("--fix", str(p))
    assert r.returncode == 0 and p.read_bytes() == once
    assert run_cli("--diff", str(p)).stdout == ""


@pytest.mark.torch
def test_fix_preserves_crlf_and_every_untouched_line(tmp_path):
    p = write(tmp_path, "crlf.py", CNN, newline="\r\n")
    before = p.read_bytes()
    assert run_cli("--fix", str(p)).returncode == 0
    after = p.read_bytes()
    assert after.count(b"\r\n") == before.count(b"\r\n") and b"\n" not in after.replace(b"\r\n", b"")
    old_lines, new_lines = before.split(b"\r\n"), after.split(b"\r\n")
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert 0 < len(changed) <= 2  # only the lines holding the wrong numbers
    assert run_model(after.decode(), "SimpleCNN", [4, 3, 32, 32]).verdict == "ok"


@pytest.mark.torch
def test_fix_keeps_the_file_mode_and_a_bom(tmp_path):
    p = tmp_path / "bom.py"
    p.write_bytes(b"\xef\xbb\xbf" + CNN.encode())
    os.chmod(p, 0o751)
    assert run_cli("--fix", str(p)).returncode == 0
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o751
    data = p.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf" * 2)
    assert run_model(data[3:].decode(), "SimpleCNN", [4, 3, 32, 32]).verdict == "ok"
    assert [n for n in os.listdir(tmp_path) if n != "bom.py"] == []  # no temporary file left


@pytest.mark.torch
def test_diff_prints_a_patch_writes_nothing_and_exits_1(tmp_path):
    p = write(tmp_path, "cnn.py", CNN)
    r = run_cli("--diff", "cnn.py", cwd=str(tmp_path))
    assert r.returncode == 1 and p.read_text() == CNN
    assert r.stdout.startswith("--- a/cnn.py\n+++ b/cnn.py\n")
    if shutil.which("patch"):  # the diff is a real patch: applying it fixes the model
        subprocess.run(["patch", "-p1", "-s"], input=r.stdout, text=True, cwd=tmp_path, check=True)
        assert run_model(p.read_text(), "SimpleCNN", [4, 3, 32, 32]).verdict == "ok"


@pytest.mark.torch
def test_fix_from_stdin_prints_the_fixed_source(tmp_path):
    r = run_cli("--fix", "--stdin-filename", "cnn.py", "-", input=CNN, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert run_model(r.stdout, "SimpleCNN", [4, 3, 32, 32]).verdict == "ok"


def test_write_is_refused_when_the_file_changed_since_it_was_read(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(b"x = 1\n")
    original = p.read_bytes()
    p.write_bytes(b"x = 2  # edited meanwhile in the editor\n")
    with pytest.raises(fixmod.FixError, match="changed"):
        fixmod.write_atomic(str(p), original, b"x = 3\n")
    assert p.read_bytes() == b"x = 2  # edited meanwhile in the editor\n"
    assert os.listdir(tmp_path) == ["m.py"]


def test_a_fix_the_recheck_does_not_confirm_is_not_applied():
    text = "a = 1\nb = 2\n"
    f = Finding("SHP002", "error", (), line=1, column=5, end_line=1, end_column=6,
                edits=[Edit(None, "7", 1, 5, 1, 6)])

    def still_wrong(new_text):  # the engine keeps reporting it after the edit
        return [Finding("SHP002", "error", (), line=1, column=5, end_line=1, end_column=6)]

    assert fixmod.fix_text(text, still_wrong, [f]).text == text

    def confirmed(new_text):
        return []

    out = fixmod.fix_text(text, confirmed, [f])
    assert out.text == "a = 7\nb = 2\n" and out.fixed == [f]


def test_splice_counts_columns_in_characters_not_bytes():
    text = "é = f(ü, 12)\r\nz = 1\r\n"
    assert fixmod.splice(text, [Edit(None, "34", 1, 10, 1, 12)]) == "é = f(ü, 34)\r\nz = 1\r\n"


def test_diff_with_fix_still_writes_nothing(tmp_path):
    p = write(tmp_path, "cnn.py", CNN)
    r = run_cli("--fix", "--diff", str(p))
    assert r.returncode == 1 and r.stdout.startswith("---") and p.read_text() == CNN


@pytest.mark.torch
def test_parallel_fix_of_a_generated_tree_makes_every_model_run(tmp_path):
    import importlib.util

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("bench_tree", os.path.join(root, "scripts", "bench_tree.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.generate(str(tmp_path), 20, seed=3) > 0  # some files have defects
    from torch_oracle import declared_inputs

    def verdicts():
        out = {}
        for dirpath, _, names in os.walk(tmp_path):
            for n in sorted(names):
                text = open(os.path.join(dirpath, n)).read()
                for target, shape in declared_inputs(text).items():
                    out[(n, target)] = run_model(text, target, shape).verdict
        return out

    before = verdicts()
    assert any(v != "ok" for v in before.values())
    r = run_cli("--fix", "--jobs", "2", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    after = verdicts()
    assert after.keys() == before.keys() and set(after.values()) == {"ok"}
