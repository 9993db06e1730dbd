"""shapelint's own .gitignore reading, checked against git itself.

Directories are expanded without running git (git would honour the checked tree's
`.git/config`). The oracle is real git, run here on trees the tests build, with no
system or global configuration: `git ls-files --others --exclude-standard` for which
files a directory expands to, and `git check-ignore` for each path's verdict.
"""

import os
import random
import subprocess
import time

import pytest

from shapelint.core.discovery import iter_python_files
from shapelint.core.gitignore import WorkTree


@pytest.fixture
def env(tmp_path, monkeypatch):
    """One environment for git and for shapelint: no system/global config, a private home."""
    home = tmp_path / "home"
    home.mkdir()
    values = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
              "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
              "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return dict(os.environ)


def make_repo(root, ignores, files, env):
    subprocess.run(["git", "init", "-q", "--template=", str(root)], check=True, env=env)
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n")
    for rel, text in ignores.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))


def git_listing(cwd, env):
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                         cwd=cwd, capture_output=True, env=env, check=True).stdout
    return sorted(p for p in os.fsdecode(out).split("\0") if p.endswith(".py"))


def git_ignored(root, paths, env):
    out = subprocess.run(["git", "check-ignore", "--stdin", "-z"], input=os.fsencode("\0".join(paths)),
                         cwd=root, capture_output=True, env=env).stdout
    return sorted(p for p in os.fsdecode(out).split("\0") if p)


def our_listing(cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    files, missing = iter_python_files(["."])
    assert missing == []
    return sorted(files)


def our_ignored(root, paths):
    tree = WorkTree(os.path.realpath(root))

    def ignored(p):
        parent = p.rsplit("/", 1)[0] if "/" in p else ""
        return tree.ignored(p, False) or tree.inside_ignored(parent)

    return sorted(p for p in paths if ignored(p))


# (.gitignore files by path, files to create); each exercises one rule of gitignore(5)
TRICKY = {
    "negation": ({".gitignore": "*.py\n!keep.py\n"}, ["a.py", "keep.py", "d/keep.py", "d/b.py"]),
    "directory-only": ({".gitignore": "build/\n"}, ["build/a.py", "x/build/b.py", "build.py", "c.py"]),
    "anchored": ({".gitignore": "/top.py\nsub/x.py\n"}, ["top.py", "d/top.py", "sub/x.py", "d/sub/x.py"]),
    "double-star": ({".gitignore": "**/gen\nlib/**\n!lib/ok.py\na/**/b.py\n"},
                    ["gen/a.py", "x/y/gen/b.py", "lib/m.py", "lib/ok.py", "lib/z/ok.py",
                     "a/b.py", "a/x/b.py", "a/x/y/b.py", "c/a/b.py"]),
    "no-reinclude-under-ignored-dir": ({".gitignore": "d/\n!d/keep.py\n"}, ["d/keep.py", "d/x.py"]),
    "nested-overrides-parent": ({".gitignore": "*.py\n", "sub/.gitignore": "!*.py\n"},
                                ["a.py", "sub/b.py", "sub/deep/c.py"]),
    "nested-anchored-to-its-dir": ({".gitignore": "!x.py\n", "sub/.gitignore": "x.py\n/only.py\n"},
                                   ["x.py", "sub/x.py", "sub/only.py", "sub/z/only.py"]),
    "escapes-and-trailing-spaces": ({".gitignore": "foo\\ \nbar \n\\#hash.py\n#c.py\n\\!bang.py\n"},
                                    ["foo .py", "bar", "bar.py", "#hash.py", "c.py", "!bang.py"]),
    "brackets": ({".gitignore": "[ab].py\n[!c]x.py\nq?.py\n[a-c]z.py\n[z-a]r.py\n"},
                 ["a.py", "b.py", "c.py", "cx.py", "dx.py", "q1.py", "q12.py", "bz.py", "dz.py", "zr.py", "ar.py"]),
    "bracket-edge-cases": ({".gitignore": "[]].py\n[!]]x.py\n[a-].py\n[[:digit:]]*.py\n[[:upper:]].py\n[abc\n"},
                           ["].py", "ax.py", "]x.py", "-.py", "a.py", "b.py", "1a.py", "A.py", "[abc"]),
    "stars-not-between-slashes": ({".gitignore": "a**b.py\n***/m.py\nd/x**\ne**/f\n"},
                                  ["ab.py", "axxb.py", "d/axb.py", "m.py", "d/m.py", "d/xy/z.py", "ef/q.py", "ex/f.py"]),
    "crlf-and-bom": ({".gitignore": "\ufeff*.py\r\n!keep.py\r\n"}, ["a.py", "keep.py"]),
    "reinclude-a-subdirectory": ({".gitignore": "d/*\n!d/sub\nd/sub/*\n!d/sub/keep.py\n"},
                                 ["d/a.py", "d/sub/b.py", "d/sub/keep.py"]),
    "one-star-one-level": ({".gitignore": "*/a.py\ndoc/*.py\n"},
                           ["a.py", "d/a.py", "d/e/a.py", "doc/b.py", "doc/x/b.py", "x/doc/c.py"]),
    "degenerate-lines": ({".gitignore": "/\n//\nx//\n!\n\\\nz.py\\\n**/\n"}, ["x/a.py", "b.py", "z.py"]),
    "info-exclude-below-gitignore": ({".git/info/exclude": "info.py\nboth.py\n", ".gitignore": "!both.py\n"},
                                     ["info.py", "both.py", "z.py"]),
}


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_gitignore_files_match_git(tmp_path, env, monkeypatch, case):
    ignores, files = TRICKY[case]
    root = tmp_path / "repo"
    make_repo(root, ignores, files, env)
    assert our_listing(root, monkeypatch) == git_listing(root, env)
    existing = [f for f in files if (root / f).is_file()]
    assert our_ignored(root, existing) == git_ignored(root, existing, env)


TOKENS = ["a", "b", "d", "x", "*", "**", "?", "/", "/", ".py", "*.py", "**/", "/**", "[ab]", "[!a]", "[a-c]",
          "[]a]", "[a-]", "[[:alpha:]]", "\\*", "\\ ", "\\\\", " ", "!", "#", "a**", "b**/", "[", "]"]
NAMES = ["a", "b", "d", "x", "ab", "ba", "dx", "a b", "#a", "!b", "]"]


def random_tree(rng):
    files = set()
    for _ in range(rng.randint(3, 12)):
        parts = [rng.choice(NAMES) for _ in range(rng.randint(0, 3))]
        files.add("/".join(parts + [rng.choice(NAMES) + ".py"]))
    dirs = sorted({f.rsplit("/", 1)[0] if "/" in f else "" for f in files})
    ignores = {}
    for d in dirs:
        if rng.random() < (0.9 if d == "" else 0.3):
            lines = []
            for _ in range(rng.randint(1, 4)):
                line = "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 4)))
                lines.append(("!" if rng.random() < 0.3 else "") + line + ("/" if rng.random() < 0.2 else ""))
            ignores[(d + "/" if d else "") + ".gitignore"] = "\n".join(lines) + "\n"
    return ignores, sorted(files)


@pytest.mark.parametrize("seed", range(120))
def test_random_gitignore_files_match_git(tmp_path, env, monkeypatch, seed):
    ignores, files = random_tree(random.Random(seed))
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--template=", str(root)], check=True, env=env)
    for rel in files:
        p = root / rel
        if p.parent.is_file() or p.is_dir():
            continue  # a name used both as a file and a directory: keep the first
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n")
    for rel, text in ignores.items():
        if (root / rel).parent.is_dir():
            (root / rel).write_text(text)
    assert our_listing(root, monkeypatch) == git_listing(root, env), ignores
    existing = [f for f in files if (root / f).is_file()]
    assert our_ignored(root, existing) == git_ignored(root, existing, env), ignores


def test_a_subdirectory_uses_the_ignore_files_above_it(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {".gitignore": "gen_*.py\n/pkg/sub/skip.py\n", "pkg/.gitignore": "!gen_keep.py\n"},
              ["pkg/sub/a.py", "pkg/sub/gen_x.py", "pkg/sub/gen_keep.py", "pkg/sub/skip.py"], env)
    sub = root / "pkg" / "sub"
    assert our_listing(sub, monkeypatch) == git_listing(sub, env) == ["a.py", "gen_keep.py"]


def test_a_directory_inside_an_ignored_one_expands_to_nothing(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {".gitignore": "build/\n"}, ["build/lib/a.py", "src/b.py"], env)
    lib = root / "build" / "lib"
    assert our_listing(lib, monkeypatch) == git_listing(lib, env) == []


def test_nested_repositories_are_not_entered(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {}, ["a.py", "vendor/lib/b.py"], env)
    subprocess.run(["git", "init", "-q", "--template=", str(root / "vendor" / "lib")], check=True, env=env)
    assert our_listing(root, monkeypatch) == git_listing(root, env) == ["a.py"]


def test_global_ignore_file_at_its_default_place(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {}, ["a.py", "scratch.py"], env)
    ignore = tmp_path / "home" / ".config" / "git" / "ignore"
    ignore.parent.mkdir(parents=True)
    ignore.write_text("scratch.py\n")
    assert our_listing(root, monkeypatch) == git_listing(root, env) == ["a.py"]


def test_a_linked_worktree_reads_the_common_info_exclude(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {".git/info/exclude": "local_*.py\n"}, ["a.py"], env)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(git + ["add", "a.py"], cwd=root, check=True, env=env)
    subprocess.run(git + ["commit", "-qm", "a"], cwd=root, check=True, env=env)
    wt = tmp_path / "wt"
    subprocess.run(git + ["worktree", "add", "-q", str(wt)], cwd=root, check=True, env=env)
    (wt / "local_x.py").write_text("x = 1\n")
    (wt / "b.py").write_text("x = 1\n")
    assert os.path.isfile(wt / ".git")  # a worktree's .git is a file pointing to the repository
    assert our_listing(wt, monkeypatch) == git_listing(wt, env) == ["a.py", "b.py"]


def test_ignore_files_that_are_links_or_devices_are_not_read(tmp_path, env, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {}, ["a.py", "d/b.py", "e/c.py"], env)
    (tmp_path / "outside").write_text("a.py\n")
    os.symlink(tmp_path / "outside", root / ".gitignore")  # git does not follow it either
    os.symlink("/dev/zero", root / "d" / ".gitignore")  # reading it would never end
    assert git_listing(root, env) == ["a.py", "d/b.py", "e/c.py"]
    os.mkfifo(root / "e" / ".gitignore")  # opening it for reading blocks (git itself hangs on it)
    t = time.monotonic()
    assert our_listing(root, monkeypatch) == ["a.py", "d/b.py", "e/c.py"]
    assert time.monotonic() - t < 10


def test_a_tracked_file_that_gitignore_matches_is_skipped_unless_named(tmp_path, env, monkeypatch):
    """Unlike `git ls-files --cached` (and like ruff): the index is not read; name the file to check it."""
    root = tmp_path / "repo"
    make_repo(root, {".gitignore": "vendored.py\n"}, ["a.py", "vendored.py"], env)
    subprocess.run(["git", "add", "-f", "vendored.py"], cwd=root, check=True, env=env)
    assert git_listing(root, env) == ["a.py", "vendored.py"]
    assert our_listing(root, monkeypatch) == ["a.py"]
    files, _ = iter_python_files(["vendored.py"])
    assert files == ["vendored.py"]

