"""--fix never loses a byte: a save made while shapelint fixes the file is kept, and
everything about the file that the fix does not touch stays as it was.

The race is injected deterministically: `shapelint.frontends.safe_replace.before_swap` runs the
"editor save" after shapelint's last check and before its swap (in-process, and in the
real CLI through a sitecustomize module). The oracle for a fixed model is real torch.
"""

import os
import re
import stat
import textwrap

import libcst
import pytest

from conftest import run_cli
from shapelint.frontends import fix as fixmod
from shapelint.frontends import safe_replace
from test_fix import CNN
from torch_oracle import run_model

ORIGINAL = CNN.encode()
FIXED = b"# fixed by shapelint\n" + ORIGINAL
USER_EDIT = ORIGINAL.replace(b"# first", b"# the user's edit, saved while shapelint worked")


def _leftovers(directory):
    return sorted(n for n in os.listdir(directory) if n.startswith(".shapelint-"))


def _save_in_place(path):
    with open(path, "r+b") as fh:  # same inode, new bytes (vim with backupcopy=yes, nano)
        fh.write(USER_EDIT)
        fh.truncate()


def _save_by_rename(path):
    tmp = path + ".editor-tmp"  # a new inode renamed over the path (VS Code, PyCharm, vim default)
    with open(tmp, "wb") as fh:
        fh.write(USER_EDIT)
    os.replace(tmp, path)


def _save_same_length(path):
    data = ORIGINAL.replace(b"64)", b"65)")  # same size; the mtime may not even tick
    assert len(data) == len(ORIGINAL)
    with open(path, "r+b") as fh:
        fh.write(data)
    return data


SAVES = {"in-place": _save_in_place, "by-rename": _save_by_rename, "same-length": _save_same_length}


def _swap_supported(tmp_path):
    a, b = tmp_path / "swap_a", tmp_path / "swap_b"
    a.write_text("a")
    b.write_text("b")
    try:
        return safe_replace._exchange(str(a), str(b)) and a.read_text() == "b"
    finally:
        a.unlink()
        b.unlink()


@pytest.fixture(params=["exchange", "rename"])
def swap_mode(request, monkeypatch, tmp_path):
    """Both ways of replacing: the atomic exchange (Linux) and the check-then-rename fallback."""
    if request.param == "exchange":
        if not _swap_supported(tmp_path):
            pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    else:
        monkeypatch.setattr(safe_replace, "_exchange", lambda a, b: False)
    return request.param


@pytest.mark.parametrize("save", sorted(SAVES))
def test_a_save_between_the_check_and_the_swap_is_kept(tmp_path, monkeypatch, swap_mode, save):
    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    read_stat = os.stat(p)
    saved = {}

    def editor_saves(path):
        saved["bytes"] = SAVES[save](path) or USER_EDIT

    monkeypatch.setattr(safe_replace, "before_swap", editor_saves)
    with pytest.raises(fixmod.FixError, match=r"changed on disk after shapelint read it; your version is kept"):
        fixmod.write_atomic(str(p), ORIGINAL, FIXED, read_stat)
    assert saved, "the save was not injected: the test proves nothing"
    assert p.read_bytes() == saved["bytes"]
    assert _leftovers(tmp_path) == []


def test_a_deletion_between_the_check_and_the_swap_stays_a_deletion(tmp_path, monkeypatch, swap_mode):
    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    monkeypatch.setattr(safe_replace, "before_swap", os.unlink)
    with pytest.raises(fixmod.FixError, match="changed on disk"):
        fixmod.write_atomic(str(p), ORIGINAL, FIXED)
    assert os.listdir(tmp_path) == []


def test_without_a_concurrent_save_the_fix_is_written(tmp_path, swap_mode):
    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    fixmod.write_atomic(str(p), ORIGINAL, FIXED, os.stat(p))
    assert p.read_bytes() == FIXED and _leftovers(tmp_path) == []


def test_a_rename_save_with_identical_bytes_after_the_read_is_refused(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    read_stat = os.stat(p)
    tmp = tmp_path / "editor-tmp"
    tmp.write_bytes(ORIGINAL)
    os.replace(tmp, p)  # same bytes, another file: its mode or owner may differ
    with pytest.raises(fixmod.FixError, match="changed on disk"):
        fixmod.write_atomic(str(p), ORIGINAL, FIXED, read_stat)
    assert p.read_bytes() == ORIGINAL


def test_a_file_locked_by_another_run_is_not_written(tmp_path, monkeypatch):
    import fcntl

    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    monkeypatch.setattr(safe_replace, "LOCK_WAIT_SECONDS", 0.2)
    with open(p, "rb") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        with pytest.raises(fixmod.FixError, match="held a lock on it"):
            fixmod.write_atomic(str(p), ORIGINAL, FIXED)
    assert p.read_bytes() == ORIGINAL and _leftovers(tmp_path) == []


def test_a_file_with_hard_links_is_not_split(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(ORIGINAL)
    os.link(p, tmp_path / "other_name.py")
    with pytest.raises(fixmod.FixError, match="2 hard links"):
        fixmod.write_atomic(str(p), ORIGINAL, FIXED)
    assert p.read_bytes() == (tmp_path / "other_name.py").read_bytes() == ORIGINAL


# ------------------------------------------------------------------ the real CLI

SITECUSTOMIZE = textwrap.dedent('''\
    """Injected by the test: the editor saves {target!r} inside shapelint's last window."""
    import os

    TARGET = {target!r}
    USER_EDIT = {user_edit!r}
    done = []


    def editor_saves(path=None):
        if not done:
            done.append(1)
            with open(TARGET, "r+b") as fh:
                fh.write(USER_EDIT)
                fh.truncate()
            open(TARGET + ".injected", "w").close()


    try:  # this version's seam, right before the swap
        import shapelint.frontends.safe_replace as _sr

        _sr.before_swap = editor_saves
    except ImportError:  # an older shapelint: save right before its os.replace instead
        _replace = os.replace

        def replace(src, dst, *a, **k):
            if os.path.abspath(dst) == TARGET:
                editor_saves()
            return _replace(src, dst, *a, **k)

        os.replace = replace
''')


def test_the_cli_refuses_and_keeps_the_save_made_during_its_fix(tmp_path):
    p = tmp_path / "cnn.py"
    p.write_bytes(ORIGINAL)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(target=str(p), user_edit=USER_EDIT))
    env = dict(os.environ, PYTHONPATH=str(hook))
    r = run_cli("--fix", str(p), env=env)
    assert os.path.exists(str(p) + ".injected"), r.stderr  # the save did happen inside the window
    assert p.read_bytes() == USER_EDIT
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"not fixing {p}: it changed on disk after shapelint read it; your version is kept" in r.stderr
    assert _leftovers(tmp_path) == []



def test_a_save_made_during_a_notebooks_fix_is_kept(tmp_path):
    """--fix on a notebook replaces the file by the same locked swap as a .py file's."""
    from notebook_helpers import write_notebook

    net = ("import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
           "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 8, 3)\n"
           "        self.fc = nn.Linear(100, 10)\n\n    def forward(self, x):\n        return self.fc(self.conv(x).flatten(1))")
    p = write_notebook(tmp_path / "nb.ipynb", [("markdown", "# first"), ("code", net)])
    original = p.read_bytes()
    user_edit = original.replace(b"# first", b"# the user's edit, saved while shapelint worked")
    assert run_cli("--fix", "--diff", str(p)).returncode == 1  # there is a fix to write
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(target=str(p), user_edit=user_edit))
    r = run_cli("--fix", str(p), env=dict(os.environ, PYTHONPATH=str(hook)))
    assert os.path.exists(str(p) + ".injected"), r.stderr  # the save did happen inside the window
    assert p.read_bytes() == user_edit
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"not fixing {p}: it changed on disk after shapelint read it; your version is kept" in r.stderr
    assert _leftovers(tmp_path) == []

# ------------------------------------------------------------------ what the fix keeps

def _endings(data: bytes):
    return re.findall(rb"\r\n|\r|\n", data)


def _fix_and_run(p):
    r = run_cli("--fix", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    data = p.read_bytes()
    libcst.parse_module(data)  # the written file parses again
    source = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    outcome = run_model(source, "SimpleCNN", [4, 3, 32, 32])
    assert outcome.verdict == "ok", outcome
    return data


def _mixed(text):
    """Each line ends in LF, CRLF or CR in turn (CR never before an empty line, where CR+LF would merge)."""
    lines = text.split("\n")[:-1]
    out = []
    for i, line in enumerate(lines):
        ending = ["\n", "\r\n", "\r"][i % 3]
        if ending == "\r" and (i + 1 == len(lines) or lines[i + 1] == ""):
            ending = "\n"
        out.append(line + ending)
    return "".join(out)


@pytest.mark.parametrize("style", ["lf", "crlf", "cr", "mixed"])
def test_fix_keeps_every_line_ending(tmp_path, style):
    text = {"lf": CNN, "crlf": CNN.replace("\n", "\r\n"), "cr": CNN.replace("\n", "\r"), "mixed": _mixed(CNN)}[style]
    p = tmp_path / "cnn.py"
    p.write_bytes(text.encode())
    before = p.read_bytes()
    assert run_model(CNN, "SimpleCNN", [4, 3, 32, 32]).verdict == "crash"
    after = _fix_and_run(p)
    assert _endings(after) == _endings(before)
    old_lines, new_lines = re.split(rb"\r\n|\r|\n", before), re.split(rb"\r\n|\r|\n", after)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b]
    assert len(old_lines) == len(new_lines) and 0 < len(changed) <= 2


def test_fix_keeps_a_utf8_bom_once(tmp_path):
    p = tmp_path / "cnn.py"
    p.write_bytes(b"\xef\xbb\xbf" + ORIGINAL)
    after = _fix_and_run(p)
    assert after.startswith(b"\xef\xbb\xbf") and not after[3:].startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("mode", [0o640, 0o755, 0o600, 0o444])
def test_fix_keeps_the_permissions(tmp_path, mode):
    p = tmp_path / "cnn.py"
    p.write_bytes(ORIGINAL)
    os.chmod(p, mode)
    _fix_and_run(p)
    assert stat.S_IMODE(os.stat(p).st_mode) == mode
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_fix_keeps_the_owner_and_group(tmp_path):
    p = tmp_path / "cnn.py"
    p.write_bytes(ORIGINAL)
    os.chown(p, 4321, 8765)
    _fix_and_run(p)
    st = os.stat(p)
    assert (st.st_uid, st.st_gid) == (4321, 8765)


def test_fix_through_a_symlink_rewrites_the_target_and_keeps_the_link(tmp_path):
    real_dir = tmp_path / "src"
    real_dir.mkdir()
    target = real_dir / "cnn.py"
    target.write_bytes(ORIGINAL)
    link = tmp_path / "model.py"
    os.symlink(os.path.relpath(target, tmp_path), link)
    _fix_and_run(link)
    assert os.path.islink(link) and os.readlink(link) == os.path.relpath(target, tmp_path)
    assert target.read_bytes() != ORIGINAL  # the fix went to the target
    assert _leftovers(tmp_path) == [] and _leftovers(real_dir) == []


def test_fix_of_a_file_in_a_read_only_directory_says_why(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only directories")
    d = tmp_path / "ro"
    d.mkdir()
    p = d / "cnn.py"
    p.write_bytes(ORIGINAL)
    os.chmod(d, 0o555)
    try:
        r = run_cli("--fix", str(p))
    finally:
        os.chmod(d, 0o755)
    assert r.returncode == 2 and "cannot write a temporary file" in r.stderr and p.read_bytes() == ORIGINAL

