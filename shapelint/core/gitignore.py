"""`.gitignore` matching in pure Python, so that walking a work tree never runs git.

Running `git` inside a checked tree would honour that tree's `.git/config`, whose
`core.fsmonitor` (and friends) run arbitrary commands. Reading the ignore files
ourselves executes nothing. The rules are gitignore(5)'s:

- blank lines and `#` comments match nothing; unescaped trailing spaces are dropped;
- `!` re-includes; a trailing `/` matches directories only;
- a pattern with a `/` at its start or middle is relative to its file's directory,
  otherwise it matches a name at any depth;
- `*`, `?` and `[...]` never match `/`; `**/` (leading), `/**` (trailing) and `/**/`
  span directories, other `**` are plain `*`;
- the deepest `.gitignore` decides first, then the shallower ones, then
  `.git/info/exclude`, then the user's global ignore file; in each, the last
  matching pattern wins; a file inside an ignored directory stays ignored.

Like git, ignore files that are symbolic links, not regular files, or over 100 MiB are
not read (a `.gitignore -> /dev/zero` link must not hang the walk).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

MAX_PATTERN_FILE = 100 * 1024 * 1024  # git's own limit (dir.c PATTERN_MAX_FILE_SIZE)
_BOM = "\ufeff"
_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "upper": "A-Z",
    "punct": "!-/:-@\\[-`{-~", "space": " \\t\\n\\r\\f\\v", "xdigit": "0-9A-Fa-f",
}


@dataclass(frozen=True)
class Pattern:
    """One line of an ignore file, compiled to a test on a path relative to its base."""

    source: str
    negated: bool
    dir_only: bool
    basename_only: bool  # no slash in the pattern: matches a name at any depth
    test: Callable[[str], bool]


def _strip_trailing_spaces(line: str) -> str:
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = 0
        i = end - 2
        while i >= 0 and line[i] == "\\":
            backslashes += 1
            i -= 1
        if backslashes % 2:  # "foo\ " keeps its escaped space
            break
        end -= 1
    return line[:end]


def _bracket(p: str, i: int) -> Optional[tuple]:
    """Translate the bracket expression starting at p[i] == '['; None if it is unclosed."""
    j = i + 1
    negate = j < len(p) and p[j] in "!^"
    if negate:
        j += 1
    parts: List[str] = []
    first = True
    while j < len(p):
        c = p[j]
        if c == "]" and not first:
            body = "".join(parts)
            return (f"[^/{body}]" if negate else f"(?!/)[{body}]" if body else "(?!)"), j + 1
        first = False
        if c == "[" and p.startswith("[:", j):
            end = p.find(":]", j + 2)
            cls = _POSIX_CLASSES.get(p[j + 2:end]) if end >= 0 else None
            if cls is not None:
                parts.append(cls)
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(p):
            j += 1
            c = p[j]
        if j + 2 < len(p) and p[j + 1] == "-" and p[j + 2] != "]":
            hi = p[j + 2]
            k = j + 2
            if hi == "\\" and k + 1 < len(p):
                k += 1
                hi = p[k]
            if ord(hi) >= ord(c):
                parts.append(f"{re.escape(c)}-{re.escape(hi)}")
            else:  # wildmatch reads the start as a literal first; a reversed range adds nothing
                parts.append(re.escape(c))
            j = k + 1
            continue
        parts.append(re.escape(c))
        j += 1
    return None


def _translate(p: str) -> Optional[str]:
    """gitignore glob (without `!`, trailing `/` or leading `/`) to an anchored regex.

    git compares the literal prefix (up to the first wildcard) first and globs only the
    rest, so a `**` right after that prefix counts as the glob's start: `x**/y` also
    matches `xy` and `xa/b/y`. Reproduced here, since git is the oracle.
    """
    out: List[str] = []
    i, n = 0, len(p)
    start = _SPECIAL.search(p).start() if _SPECIAL.search(p) else n
    while i < n:
        c = p[i]
        if c == "*":
            j = i
            while j < n and p[j] == "*":
                j += 1
            slash_next = j < n and (p[j] == "/" or p.startswith("\\/", j))
            double = j - i >= 2 and (i == start or p[i - 1] == "/") and (j == n or slash_next)
            if not double:
                out.append("[^/]*")
            elif j == n:
                out.append(".*")  # "x/**": everything inside; "**": everything
            else:
                out.append("(?:.*/)?")  # "**/x", "a/**/x": zero or more directories
                j += 2 if p[j] == "\\" else 1
            i = j
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            got = _bracket(p, i)
            if got is None:
                return None  # wildmatch aborts on an unclosed bracket: the line matches nothing
            out.append(got[0])
            i = got[1]
            continue
        elif c == "\\":
            if i + 1 == n:
                return None  # a trailing lone backslash matches nothing
            i += 1
            out.append(re.escape(p[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


_SPECIAL = re.compile(r"[*?\[\\]")


def _compile(glob: str) -> Callable[[str], bool]:
    if not _SPECIAL.search(glob):
        return glob.__eq__  # a literal name or path: the common case, no regex needed
    if glob.startswith("*") and not _SPECIAL.search(glob, 1) and "/" not in glob:
        suffix = glob[1:]
        return lambda s: s.endswith(suffix) and "/" not in s[: len(s) - len(suffix)]
    rx = _translate(glob)
    if rx is None:
        return lambda s: False
    return re.compile(rx, re.DOTALL).fullmatch


def parse_pattern(line: str) -> Optional[Pattern]:
    source = line
    line = _strip_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    if dir_only:
        line = line[:-1]  # one slash only, as git strips it
    if not line:
        return None
    basename_only = "/" not in line
    if line.startswith("/"):
        line = line[1:]
    return Pattern(source, negated, dir_only, basename_only, _compile(line))


def parse_lines(text: str) -> List[Pattern]:
    if text.startswith(_BOM):
        text = text[1:]
    patterns = []
    for line in text.split("\n"):
        p = parse_pattern(line[:-1] if line.endswith("\r") else line)
        if p is not None:
            patterns.append(p)
    return patterns


def read_pattern_file(path: str, follow_links: bool = False) -> List[Pattern]:
    """The patterns of an ignore file; none when it is missing, not a regular file, or
    (for the work tree's own .gitignore files, as git does) a symbolic link."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO must not block the walk
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return []
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PATTERN_FILE:
            return []
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(MAX_PATTERN_FILE + 1)
    except OSError:
        return []
    finally:
        if fd >= 0:
            os.close(fd)
    return parse_lines(data.decode("utf-8", "surrogateescape"))


class Level:
    """The patterns of one ignore file and the directory (relative to the root) they apply to."""

    def __init__(self, base: str, patterns: List[Pattern]):
        self.base = base  # "" for the root, else "dir/sub"
        self.patterns = patterns
        # last pattern first, as the last match wins; files never match a directory-only one
        rules = [(p.test, p.basename_only, not p.negated) for p in reversed(patterns)]
        self._for_dirs = tuple(rules)
        self._for_files = tuple(r for r, p in zip(rules, reversed(patterns)) if not p.dir_only)

    def decide(self, rel: str, is_dir: bool) -> Optional[bool]:
        """True ignored, False re-included, None when no pattern of this file matches."""
        if self.base:
            if not rel.startswith(self.base + "/"):
                return None
            rel = rel[len(self.base) + 1:]
        name = rel.rsplit("/", 1)[-1]
        for test, on_name, verdict in self._for_dirs if is_dir else self._for_files:
            if test(name if on_name else rel):
                return verdict
        return None


def is_ignored(levels: Sequence[Level], rel: str, is_dir: bool) -> bool:
    """levels: innermost first (as git consults them)."""
    for level in levels:
        verdict = level.decide(rel, is_dir)
        if verdict is not None:
            return verdict
    return False


# ------------------------------------------------------------------ the work tree


def find_work_tree(directory: str) -> Optional[str]:
    """The work tree root above directory (where `.git` is), honouring GIT_CEILING_DIRECTORIES."""
    ceilings = {
        os.path.normpath(c) for c in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep) if c
    }
    d = os.path.abspath(directory)
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d or parent in ceilings:
            return None
        d = parent


def _git_dir(root: str) -> Optional[str]:
    """The repository's common directory (a worktree's or submodule's `.git` is a file)."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        gitdir = dot_git
    else:
        try:
            with open(dot_git, "rb") as fh:
                first = fh.read(4096).decode("utf-8", "surrogateescape").splitlines()[:1]
        except OSError:
            return None
        if not first or not first[0].startswith("gitdir:"):
            return None
        gitdir = os.path.join(root, first[0][len("gitdir:"):].strip())
    try:
        with open(os.path.join(gitdir, "commondir"), "rb") as fh:
            common = fh.read(4096).decode("utf-8", "surrogateescape").strip()
        return os.path.normpath(os.path.join(gitdir, common))
    except OSError:
        return gitdir


def global_excludes_file() -> str:
    """git's default core.excludesFile; the configured one is never read (no git config is)."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(xdg, "git", "ignore")


class WorkTree:
    """Ignore decisions for one work tree; each .gitignore is read once."""

    def __init__(self, root: str):
        self.root = root
        self._dir_levels: Dict[str, Optional[Level]] = {}
        common = _git_dir(root)
        self.outer: List[Level] = []  # consulted after every .gitignore
        for path in ([os.path.join(common, "info", "exclude")] if common else []) + [global_excludes_file()]:
            patterns = read_pattern_file(path, follow_links=True)
            if patterns:
                self.outer.append(Level("", patterns))

    def _level(self, rel_dir: str) -> Optional[Level]:
        if rel_dir not in self._dir_levels:
            path = os.path.join(self.root, rel_dir, ".gitignore") if rel_dir else os.path.join(self.root, ".gitignore")
            patterns = read_pattern_file(path)
            self._dir_levels[rel_dir] = Level(rel_dir, patterns) if patterns else None
        return self._dir_levels[rel_dir]

    def levels_for(self, rel_dir: str) -> List[Level]:
        """The levels that apply to entries of rel_dir, innermost first."""
        chain = []
        parts = rel_dir.split("/") if rel_dir else []
        for k in range(len(parts), -1, -1):
            level = self._level("/".join(parts[:k]))
            if level is not None:
                chain.append(level)
        return chain + self.outer

    def ignored(self, rel: str, is_dir: bool) -> bool:
        parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
        return is_ignored(self.levels_for(parent), rel, is_dir)

    def inside_ignored(self, rel_dir: str) -> bool:
        """Whether rel_dir or one of its parents (below the root) is ignored."""
        parts = rel_dir.split("/") if rel_dir else []
        return any(self.ignored("/".join(parts[: k + 1]), True) for k in range(len(parts)))
