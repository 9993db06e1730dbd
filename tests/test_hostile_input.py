"""Hostile input through the real CLI: every case gives a diagnostic or a usage error.

Each test runs `python -m shapelint` in a subprocess (as CI and editors do) and checks
the exit status, that the diagnostic names the right line, that no traceback leaks, and,
where the case sits beside a normal file, that the other file is still checked.
"""

import json
import os
import time

import pytest

from conftest import run_cli

# A model torch rejects: conv2 expects 18 channels, conv1 gives 16 (line 7).
BROKEN = (
    "import torch.nn as nn\n"
    "\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)\n"
    "        self.conv2 = nn.Conv2d(18, 32, 3, padding=1)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.conv2(self.conv1(x))\n"
)
BROKEN_LINE = 7


def _write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8", "newline": ""})) as fh:
        fh.write(data)
    return str(path)


def _lint(*paths, expect):
    r = run_cli("--format", "json", *map(str, paths))
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    assert r.returncode == expect, (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout) if r.stdout.strip() else [], r


def _codes_at(diags, path):
    return [(d["code"], d["line"]) for d in diags if d["path"] == str(path)]


@pytest.fixture
def broken(tmp_path):
    return _write(tmp_path / "broken.py", BROKEN)


def _has_broken(diags, broken):
    assert ("SHP001", BROKEN_LINE) in _codes_at(diags, broken), diags


def test_syntax_error_is_a_diagnostic_with_its_line(tmp_path, broken):
    bad = _write(tmp_path / "bad.py", "import torch.nn as nn\n\nx = nn.Linear(3, 4\ny = = 2\n")
    diags, _ = _lint(bad, broken, expect=1)
    (code, line), = _codes_at(diags, bad)
    assert code == "SHP100" and line in (3, 4)
    _has_broken(diags, broken)


def test_half_typed_code_as_in_an_editor(tmp_path, broken):
    half = _write(tmp_path / "half.py", BROKEN.split("self.conv2")[0] + "self.conv2 = nn.Conv2d(16, \n")
    diags, _ = _lint(half, broken, expect=1)
    assert [c for c, _ in _codes_at(diags, half)] == ["SHP100"]
    _has_broken(diags, broken)


def test_empty_file_passes(tmp_path):
    empty = _write(tmp_path / "empty.py", "")
    diags, _ = _lint(empty, expect=0)
    assert diags == []


def test_non_utf8_bytes_are_reported_not_crashed_on(tmp_path, broken):
    bad = _write(tmp_path / "latin.py", b"import torch.nn as nn\nname = '\xff\xfe caf\xe9'\n")
    diags, _ = _lint(bad, broken, expect=1)
    assert [c for c, _ in _codes_at(diags, bad)] == ["SHP101"]
    _has_broken(diags, broken)


def test_null_byte_is_a_diagnostic(tmp_path, broken):
    bad = _write(tmp_path / "nul.py", b"import torch.nn as nn\nx = 1\x00\n")
    diags, _ = _lint(bad, broken, expect=1)
    assert [c for c, _ in _codes_at(diags, bad)] == ["SHP100"]
    _has_broken(diags, broken)


def test_utf8_bom_keeps_lines_and_columns(tmp_path):
    f = _write(tmp_path / "bom.py", b"\xef\xbb\xbf" + BROKEN.encode())
    diags, _ = _lint(f, expect=1)
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]
    assert diags[0]["column"] == BROKEN.splitlines()[BROKEN_LINE - 1].index("18") + 1


def test_crlf_line_endings(tmp_path):
    f = _write(tmp_path / "crlf.py", BROKEN.replace("\n", "\r\n").encode())
    diags, _ = _lint(f, expect=1)
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]


def test_tab_indentation(tmp_path):
    f = _write(tmp_path / "tabs.py", BROKEN.replace("        ", "\t\t").replace("    ", "\t"))
    diags, _ = _lint(f, expect=1)
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]


def test_fifty_thousand_line_file(tmp_path):
    lines = [f"# filler comment {i}" if i % 2 else f"v{i} = {i}" for i in range(50_000)]
    f = _write(tmp_path / "long.py", "\n".join(lines) + "\n" + BROKEN)
    diags, _ = _lint(f, expect=1)
    assert _codes_at(diags, f) == [("SHP001", 50_000 + BROKEN_LINE)]


@pytest.mark.parametrize("expr", [
    "1+(" * 5000 + "1" + ")" * 5000,
    "[" * 5000 + "]" * 5000,
    "not " * 5000 + "y",
    "+".join(["1"] * 20000),
    "a." * 5000 + "b",
], ids=["parens", "lists", "not-chain", "long-sum", "attribute-chain"])
def test_nesting_past_the_recursion_limit(tmp_path, broken, expr):
    deep = _write(tmp_path / "deep.py", "import torch.nn as nn\nx = " + expr + "\n")
    t = time.time()
    diags, _ = _lint(deep, broken, expect=1)
    assert time.time() - t < 60
    assert [c for c, _ in _codes_at(diags, deep)] == ["SHP100"]
    _has_broken(diags, broken)


def test_huge_and_nonsense_sizes_are_unknown_not_errors(tmp_path, broken):
    src = (
        "import torch.nn as nn\n"
        "big = nn.Linear(10**100, 1)\n"
        "tower = 10**10**10\n"
        "neg = nn.Conv2d(3, -4, 0)\n"
        "zero = nn.Conv2d(3, 4, 3, stride=0)\n"
        "flt = nn.Linear(2.5, 3)\n"
        "pool = nn.MaxPool2d(2, 0)\n"
    )
    f = _write(tmp_path / "absurd.py", src)
    t = time.time()
    diags, _ = _lint(f, broken, expect=1)
    assert time.time() - t < 60, "10**10**10 must not be computed"
    # torch rejects a negative out_channels and a float in_features at construction (SHP013,
    # tests/test_constructor_values.py); every other line is unknown, never an error
    errors = [(d["line"], d["code"]) for d in diags if d["path"] == f and d["severity"] == "error"]
    assert errors == [(4, "SHP013"), (6, "SHP013")], errors
    _has_broken(diags, broken)


def test_absurd_sizes_inside_a_model_do_not_crash(tmp_path):
    src = BROKEN.replace("nn.Conv2d(3, 16, 3, padding=1)", "nn.Conv2d(3, 10**100, 10**10**10, stride=0)")
    f = _write(tmp_path / "absurd_model.py", src)
    t = time.time()
    r = run_cli("--format", "json", f)
    assert time.time() - t < 60, "10**10**10 must not be computed"
    assert "Traceback" not in r.stdout + r.stderr and r.returncode in (0, 1), r.stderr
    # sizes shapelint cannot represent become unknown: nothing else may be claimed
    assert {d["code"] for d in json.loads(r.stdout)} <= {"SHP001"}


def test_directory_with_a_symlink_loop(tmp_path):
    d = tmp_path / "proj"
    (d / "pkg").mkdir(parents=True)
    os.symlink("..", d / "pkg" / "up")
    os.symlink(str(d / "pkg"), d / "pkg" / "self")
    f = _write(d / "pkg" / "model.py", BROKEN)
    diags, _ = _lint(d, expect=1)
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]


def test_directory_named_like_a_python_file(tmp_path, broken):
    d = tmp_path / "x.py"
    d.mkdir()
    diags, _ = _lint(d, broken, expect=1)
    _has_broken(diags, broken)


def test_fifo_does_not_block(tmp_path, broken):
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    diags, _ = _lint(fifo, broken, expect=1)
    assert [c for c, _ in _codes_at(diags, fifo)] == ["SHP101"]
    _has_broken(diags, broken)


def test_fifo_inside_a_checked_directory_does_not_block(tmp_path):
    d = tmp_path / "proj"
    d.mkdir()
    os.mkfifo(d / "pipe.py")
    f = _write(d / "model.py", BROKEN)
    diags, _ = _lint(d, expect=1)
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]


def test_dangling_symlink(tmp_path, broken):
    link = tmp_path / "gone.py"
    os.symlink(tmp_path / "nowhere.py", link)
    diags, _ = _lint(link, broken, expect=1)
    assert [c for c, _ in _codes_at(diags, link)] == ["SHP101"]
    _has_broken(diags, broken)


def test_missing_path_is_a_usage_error_but_others_are_checked(tmp_path, broken):
    diags, r = _lint(tmp_path / "does_not_exist.py", broken, expect=2)
    assert "does_not_exist.py" in r.stderr
    _has_broken(diags, broken)


def test_directory_with_thousands_of_files(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(3000):
        _write(d / f"m{i:04d}.py", f"value = {i}\n" if i % 10 else "import torch.nn as nn\nlayer = nn.ReLU()\n")
    f = _write(d / "zz_broken.py", BROKEN)
    t = time.time()
    diags, _ = _lint(d, expect=1)
    assert time.time() - t < 90
    assert _codes_at(diags, f) == [("SHP001", BROKEN_LINE)]
    assert len(diags) == 1


def test_no_paths_is_a_usage_error():
    r = run_cli("--format", "json")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_bad_input_shape_option_is_a_usage_error(broken):
    r = run_cli("--format", "json", "--input-shape", "Net=a,b,c,d,e,f,g+", broken)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
