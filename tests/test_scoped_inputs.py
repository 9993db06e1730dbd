"""Declared inputs scoped to a file, and targets that match nothing (issue 16.3).

`[tool.shapelint.input-shapes]` and `--input-shape` accept `path/to/file.py::Name`: it applies to
that file only (its path ending with those parts) and beats a bare `Name`. A declared target that
names no model of the checked files is a warning naming the nearest model.
"""

import json
import textwrap

from conftest import run_cli

NET = textwrap.dedent("""\
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.conv(x)
    """)


def _project(tmp_path):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "net.py").write_text(NET)
    (tmp_path / "b" / "net.py").write_text(NET)
    (tmp_path / "c" / "subnet.py").write_text(NET)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.shapelint.input-shapes]
        Net = [2, 3, 16, 16]
        "a/net.py::Net" = [1, 3, 8, 8]
        "net.py::Unused" = [1, 3]
        """))
    return tmp_path


def _inputs(proc):
    assert proc.returncode == 0, proc.stderr
    return {m["path"].replace("\\\\", "/"): m["input"] for m in json.loads(proc.stdout)["models"]}


def test_a_scoped_key_applies_to_its_file_only_and_beats_the_bare_name(tmp_path):
    root = _project(tmp_path)
    got = _inputs(run_cli("--no-cache", "--explain", "--format", "json", "a", "b", "c", cwd=str(root)))
    assert got == {"a/net.py": [1, 3, 8, 8], "b/net.py": [2, 3, 16, 16], "c/subnet.py": [2, 3, 16, 16]}


def test_a_scoped_key_on_the_command_line(tmp_path):
    root = _project(tmp_path)
    got = _inputs(run_cli("--isolated", "--no-cache", "--explain", "--format", "json",
                          "--input-shape", "b/net.py::Net=4,3,10,10", "a", "b", cwd=str(root)))
    assert got["b/net.py"] == [4, 3, 10, 10]
    assert got["a/net.py"] is None or got["a/net.py"][1:] != [3, 10, 10]  # not declared for a/net.py


def test_a_target_that_matches_nothing_is_a_warning_with_the_nearest_name(tmp_path):
    root = _project(tmp_path)
    proc = run_cli("--isolated", "--no-cache", "--input-shape", "Nett=2,3,8,8", "a", cwd=str(root))
    assert proc.returncode == 0
    assert "warning: --input-shape Nett: no model of that name" in proc.stderr
    assert "did you mean Net?" in proc.stderr
    quiet = run_cli("--isolated", "--no-cache", "--input-shape", "Net=2,3,8,8", "a", cwd=str(root))
    assert "warning" not in quiet.stderr


def _two_files(tmp_path, table):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "net.py").write_text(NET)
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint.input-shapes]\n" + table)
    return tmp_path


def test_a_bare_pyproject_key_that_matches_models_in_several_files_is_a_warning_naming_them(tmp_path):
    root = _two_files(tmp_path, "Net = [2, 3, 16, 16]\n")
    proc = run_cli("--no-cache", "a", "b", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if "declares the input of models in 2 files" in ln]
    assert len(warning) == 1, proc.stderr
    assert "[tool.shapelint.input-shapes] key Net" in warning[0]
    assert "a/net.py" in warning[0] and "b/net.py" in warning[0]
    assert '"a/net.py::Net"' in warning[0]


def test_a_bare_command_line_key_that_matches_models_in_several_files_is_a_warning(tmp_path):
    root = _two_files(tmp_path, "")
    proc = run_cli("--no-cache", "--input-shape", "Net=2,3,8,8", "a", "b", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    assert "--input-shape Net declares the input of models in 2 files (a/net.py, b/net.py)" in proc.stderr
    assert "no model of that name" not in proc.stderr


def test_no_warning_when_scoped_keys_or_one_file_take_the_declaration(tmp_path):
    root = _two_files(tmp_path, 'Net = [2, 3, 16, 16]\n"b/net.py::Net" = [1, 3, 8, 8]\n')
    assert "declares the input" not in run_cli("--no-cache", "a", "b", cwd=str(root)).stderr  # b has its own key
    assert "declares the input" not in run_cli("--no-cache", "a", cwd=str(root)).stderr  # one file checked


def test_a_cached_run_warns_about_declared_targets_as_an_uncached_one(tmp_path):
    import os

    root = _two_files(tmp_path, "Net = [2, 3, 16, 16]\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SHAPELINT_NO_CACHE", "SHAPELINT_CACHE_DIR")}
    args = ("--cache-dir", str(tmp_path / "cache"), "--input-shape", "Net=1,3,8,8", "a", "b")
    first, second = (run_cli(*args, cwd=str(root), env=env) for _ in range(2))
    assert os.listdir(tmp_path / "cache")  # the second run read entries
    assert first.stderr == second.stderr and "declares the input of models in 2 files" in first.stderr
    assert "no model of that name" not in second.stderr


SIZED = textwrap.dedent("""\
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(144, 2)  # 4*6*6: an 8x8 input

        def forward(self, x):
            return self.fc(torch.flatten(self.conv(x), 1))
    """)


def test_the_cache_keeps_what_a_result_depended_on_the_declaration_that_applied(tmp_path):
    import os

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "net.py").write_text(SIZED)
    env = {k: v for k, v in os.environ.items() if k not in ("SHAPELINT_NO_CACHE", "SHAPELINT_CACHE_DIR")}

    def codes(table):
        (tmp_path / "pyproject.toml").write_text("[tool.shapelint.input-shapes]\n" + table)
        proc = run_cli("--cache-dir", str(tmp_path / "cache"), "--format", "json", "a", cwd=str(tmp_path), env=env)
        return [d["code"] for d in json.loads(proc.stdout) if d["severity"] == "error"]

    # by arithmetic: a 3x3 conv gives 4*6*6 = 144 features on 8x8, 4*8*8 = 256 on 10x10
    assert codes('Net = [2, 3, 8, 8]\n') == []
    assert codes('Net = [2, 3, 8, 8]\n"a/net.py::Net" = [2, 3, 10, 10]\n') == ["SHP002"]  # the scoped key applies
    assert codes('Net = [2, 3, 8, 8]\n"b/net.py::Net" = [2, 3, 10, 10]\n') == []  # another file's key
    assert codes('Net = [2, 3, 10, 10]\n') == ["SHP002"]


# A pyproject.toml key that names no model (issue 16.3): judged where the run can tell, that is a
# scoped key whose file was checked, or any key when the configuration's own directory was checked.

PYPROJECT_TYPO = "[tool.shapelint.input-shapes] key Nett (pyproject.toml): no model of that name"


def test_a_pyproject_key_that_matches_nothing_is_a_warning_with_the_nearest_name(tmp_path):
    root = _two_files(tmp_path, "Nett = [2, 3, 16, 16]\n")
    proc = run_cli("--no-cache", ".", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    assert f"shapelint: warning: {PYPROJECT_TYPO} in the checked files; did you mean Net?" in proc.stderr


def test_a_pyproject_key_is_not_judged_by_a_run_over_part_of_its_tree(tmp_path):
    # pre-commit checks the changed files only: the key may name a model of a file not checked
    root = _two_files(tmp_path, "Nett = [2, 3, 16, 16]\n")
    proc = run_cli("--no-cache", "a/net.py", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr


def test_a_scoped_pyproject_key_is_judged_where_its_file_was_checked(tmp_path):
    root = _two_files(tmp_path, '"a/net.py::Nett" = [2, 3, 16, 16]\n"b/net.py::Net" = [2, 3, 16, 16]\n')
    proc = run_cli("--no-cache", "a/net.py", cwd=str(root))
    assert ("shapelint: warning: [tool.shapelint.input-shapes] key a/net.py::Nett (pyproject.toml): "
            "no model of that name in a/net.py; did you mean Net?") in proc.stderr
    assert "b/net.py::Net" not in proc.stderr  # its file was not checked
    assert "warning" not in run_cli("--no-cache", "b/net.py", cwd=str(root)).stderr


def test_a_scoped_key_whose_file_is_missing_is_a_warning_when_the_whole_tree_was_checked(tmp_path):
    root = _two_files(tmp_path, '"c/net.py::Net" = [2, 3, 16, 16]\n')
    proc = run_cli("--no-cache", ".", cwd=str(root))
    assert ("[tool.shapelint.input-shapes] key c/net.py::Net (pyproject.toml): no checked file's path "
            "ends with c/net.py") in proc.stderr


def test_the_per_input_form_of_a_key_that_matches_nothing_is_a_warning(tmp_path):
    root = _two_files(tmp_path, 'Nett = { x = [2, 3, 16, 16] }\n')
    assert f"{PYPROJECT_TYPO} in the checked files; did you mean Net?" in run_cli("--no-cache", ".", cwd=str(root)).stderr
    proc = run_cli("--isolated", "--no-cache", "--input-shape", "Nett.x=2,3,8,8", "a", cwd=str(root))
    assert "shapelint: warning: --input-shape Nett: no model of that name in the checked files; did you mean Net?" in proc.stderr


def test_an_init_args_key_that_matches_nothing_is_a_warning(tmp_path):
    root = _two_files(tmp_path, "")
    with open(root / "pyproject.toml", "a") as fh:
        fh.write("[tool.shapelint.init-args.Nett]\nwidth = 4\n")
    proc = run_cli("--no-cache", ".", cwd=str(root))
    assert ("shapelint: warning: [tool.shapelint.init-args] key Nett (pyproject.toml): no model of that name "
            "in the checked files; did you mean Net?") in proc.stderr
    proc = run_cli("--isolated", "--no-cache", "--init-args", 'Nett={"width": 4}', "a", cwd=str(root))
    assert "shapelint: warning: --init-args Nett: no model of that name in the checked files; did you mean Net?" in proc.stderr


def test_no_warning_when_every_pyproject_key_matches(tmp_path):
    root = _two_files(tmp_path, '"a/net.py::Net" = [2, 3, 16, 16]\n"b/net.py::Net" = { x = [1, 3, 8, 8] }\n')
    with open(root / "pyproject.toml", "a") as fh:
        fh.write("[tool.shapelint.init-args.Net]\n")
    proc = run_cli("--no-cache", ".", cwd=str(root))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    proc = run_cli("--no-cache", "--input-shape", "Net.x=2,3,8,8", "--init-args", "Net={}", "a", cwd=str(root))
    assert "warning" not in proc.stderr
