"""shapelint reads model source; it never runs it.

The fixture below would, if imported, write a marker file, run a shell command that
writes another marker, and exit the process. Running shapelint on it must leave no
marker, exit normally with the shape error it contains, and never import torch.
"""

import json
import os
import sys

import pytest

from conftest import run_cli

FIXTURE = '''\
import os
import sys

import pytest
import torch.nn as nn

open({marker!r}, "w").write("the module body ran")
os.system("echo ran > " + {shell_marker!r})
__import__("subprocess").run(["touch", {sub_marker!r}])
if True:
    raise SystemExit(3)


def helper():
    open({marker!r}, "w").write("a function body ran")
    return 16


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        os.system("touch " + {shell_marker!r})
        self.conv1 = nn.Conv2d(3, helper(), 3)
        self.conv2 = nn.Conv2d(8, 4, 3)

    def forward(self, x):
        open({marker!r}, "w").write("forward ran")
        return self.conv2(self.conv1(x))
'''


def _fixture(tmp_path):
    markers = [str(tmp_path / n) for n in ("marker.txt", "shell_marker.txt", "sub_marker.txt")]
    src = FIXTURE.format(marker=markers[0], shell_marker=markers[1], sub_marker=markers[2])
    path = tmp_path / "evil_model.py"
    path.write_text(src)
    return str(path), markers, src


def test_cli_never_runs_the_file_but_still_finds_its_shape_error(tmp_path):
    path, markers, src = _fixture(tmp_path)
    r = run_cli("--format", "json", path)
    assert r.returncode == 1, r.stderr  # not 3: the SystemExit never ran
    assert [m for m in markers if os.path.exists(m)] == []
    diags = json.loads(r.stdout)
    conv2_line = next(i for i, line in enumerate(src.splitlines(), 1) if "self.conv2 =" in line)
    assert [(d["code"], d["line"]) for d in diags] == [("SHP001", conv2_line)]
    assert "16" in diags[0]["message"] and "8" in diags[0]["message"]


def test_explain_never_runs_the_file_either(tmp_path):
    path, markers, _ = _fixture(tmp_path)
    r = run_cli("--explain", "--format", "json", path)
    assert "Traceback" not in r.stderr
    assert [m for m in markers if os.path.exists(m)] == []
    assert any(m["class"] == "Net" for m in json.loads(r.stdout)["models"])


def test_static_check_does_not_import_torch(tmp_path):
    path, markers, _ = _fixture(tmp_path)
    code = (
        "import sys\n"
        "from shapelint.engine.check import check_source\n"
        f"res = check_source({path!r}, open({path!r}, 'rb').read(), explain=True)\n"
        "assert [f.code for f in res.findings] == ['SHP001'], res.findings\n"
        "print('torch' in sys.modules)\n"
    )
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert [m for m in markers if os.path.exists(m)] == []


# ---------------------------------------------------------------- the checked tree's git config

BROKEN_MODEL = (
    "import torch.nn as nn\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 16, 3)\n        self.conv2 = nn.Conv2d(8, 4, 3)\n\n"
    "    def forward(self, x):\n        return self.conv2(self.conv1(x))\n"
)
HOOKS = ["pre-commit", "post-checkout", "post-index-change", "fsmonitor-watchman", "reference-transaction",
         "pre-auto-gc", "post-rewrite", "pre-push", "commit-msg", "prepare-commit-msg"]


def _evil_tree(tmp_path, *, via):
    """A git work tree whose configuration runs `evil.sh KEY` (leaving a marker) wherever git allows.

    via: "config" (every key in .git/config), "include" (fsmonitor set by an include.path
    file), "includeif" (by an includeIf gitdir: section), "gitfile" (.git is a file pointing
    to a repository directory elsewhere, whose config sets fsmonitor).
    """
    import subprocess

    markers = tmp_path / "markers"
    markers.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text(f'#!/bin/sh\ntouch "{markers}/$1"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n')
    evil.chmod(0o755)
    tree = tmp_path / "tree"
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q", str(tree)], check=True, env=env)
    for i in range(10):  # enough files for --jobs 2 to fork workers
        (tree / f"m{i}.py").write_text(BROKEN_MODEL if i == 0 else "x = 1\n")
    (tree / "ignored").mkdir()
    (tree / "ignored" / "skip.py").write_text(BROKEN_MODEL)
    (tree / ".gitignore").write_text("ignored/\n")
    (tree / ".gitattributes").write_text("*.py filter=evil diff=evil merge=evil\n")
    gitdir = tree / ".git"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        for d in (gitdir / "hooks", hooks):
            (d / name).write_text(f'#!/bin/sh\ntouch "{markers}/hook-{name}"\n')
            (d / name).chmod(0o755)
    run = lambda key: f"{evil} {key}"  # noqa: E731
    everything = f"""
[core]
\tfsmonitor = {run("core.fsmonitor")}
\thooksPath = {hooks}
\tpager = {run("core.pager")}
\teditor = {run("core.editor")}
\tsshCommand = {run("core.sshCommand")}
\taskPass = {run("core.askPass")}
\talternateRefsCommand = {run("core.alternateRefsCommand")}
\tuntrackedCache = true
[pager]
\tls-files = {run("pager.ls-files")}
\trev-parse = {run("pager.rev-parse")}
[sequence]
\teditor = {run("sequence.editor")}
[diff]
\texternal = {run("diff.external")}
[diff "evil"]
\ttextconv = {run("diff.textconv")}
\tcommand = {run("diff.command")}
[filter "evil"]
\tclean = {run("filter.clean")}
\tsmudge = {run("filter.smudge")}
\tprocess = {run("filter.process")}
[merge "evil"]
\tdriver = {run("merge.driver")}
[credential]
\thelper = !{run("credential.helper")}
[gpg]
\tprogram = {run("gpg.program")}
[uploadpack]
\tpackObjectsHook = {run("uploadpack.packObjectsHook")}
[alias]
\tls-files = !{run("alias.ls-files")}
\trev-parse = !{run("alias.rev-parse")}
"""
    config = gitdir / "config"
    if via == "config":
        config.write_text(config.read_text() + everything)
    elif via == "include":
        (tmp_path / "included").write_text(f"[core]\n\tfsmonitor = {run('include.fsmonitor')}\n")
        config.write_text(config.read_text() + f"[include]\n\tpath = {tmp_path / 'included'}\n")
    elif via == "includeif":
        (tmp_path / "included").write_text(f"[core]\n\tfsmonitor = {run('includeif.fsmonitor')}\n")
        config.write_text(config.read_text() + f'[includeIf "gitdir:{tree}/"]\n\tpath = {tmp_path / "included"}\n')
    elif via == "gitfile":
        elsewhere = tmp_path / "elsewhere.git"
        gitdir.rename(elsewhere)
        (tree / ".git").write_text(f"gitdir: {elsewhere}\n")
        config = elsewhere / "config"
        config.write_text(config.read_text() + f"[core]\n\tfsmonitor = {run('gitfile.fsmonitor')}\n")
    # the trap is live: git itself, run in this tree, springs it (so the test below can fail)
    probe = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=tree, env=env,
                           capture_output=True, timeout=60)
    sprung = sorted(os.listdir(markers))
    assert sprung, (probe.stderr, "git did not run the trap: the test would prove nothing")
    for m in sprung:
        os.unlink(markers / m)
    return tree, markers


@pytest.mark.parametrize("via", ["config", "include", "includeif", "gitfile"])
def test_a_hostile_git_config_in_the_checked_tree_runs_nothing(tmp_path, via):
    tree, markers = _evil_tree(tmp_path, via=via)
    runs = [
        ("--format", "json", "."),
        ("--format", "sarif", "."),  # SARIF wants the work tree's root
        ("--format", "json", "--jobs", "2", "."),
        ("--explain", "--show-unknown", "."),
        ("--diff", "."),
        ("--fix", "."),
        ("--statistics", str(tree)),
    ]
    for args in runs:
        r = run_cli(*args, cwd=str(tree))
        assert "Traceback" not in r.stderr, r.stderr
        assert sorted(os.listdir(markers)) == [], (args, r.stderr)
        if args[:2] == ("--format", "json"):
            diags = json.loads(r.stdout)
            assert {(d["path"], d["code"]) for d in diags} == {("m0.py", "SHP001")}  # ignored/ skipped


def test_a_directory_lint_starts_no_process_at_all(tmp_path):
    """Under strace: the only program executed is python itself, whatever the format or --jobs."""
    import shutil
    import subprocess

    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    tree, markers = _evil_tree(tmp_path, via="config")
    log = tmp_path / "strace.log"
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    python = os.path.realpath(sys.executable)
    for args in [("--format", "sarif", "."), ("--jobs", "2", "--fix", ".")]:
        r = subprocess.run([strace, "-f", "-qq", "-e", "trace=execve,execveat", "-o", str(log), python, "-m", "shapelint", *args],
                           cwd=tree, capture_output=True, text=True, env=env, timeout=300)
        if not log.exists() or "PTRACE" in r.stderr.upper() or "Operation not permitted" in r.stderr:
            pytest.skip(f"strace cannot trace here: {r.stderr.strip()[:200]}")
        execs = [line for line in log.read_text().splitlines() if "execve" in line]
        assert len(execs) == 1 and python in execs[0], execs
        assert r.returncode in (0, 1), r.stderr
    assert sorted(os.listdir(markers)) == []


def test_a_pyproject_in_the_checked_tree_cannot_turn_the_trace_on(tmp_path):
    """`trace = true` would import the checked file; found in the tree (a pull request can add
    one) it is not honoured, so the module body never runs."""
    path, markers, _src = _fixture(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint]\ntrace = true\n")
    proc = run_cli("--format", "json", str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "not honoured" in proc.stderr
    assert {d["code"] for d in json.loads(proc.stdout)} == {"SHP001"}
    assert not any(os.path.exists(m) for m in markers)
