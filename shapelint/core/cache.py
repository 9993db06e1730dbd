"""A content cache (as ruff's): an unchanged file is not checked again.

An entry is the findings `lint_source` gave for one file, stored as JSON (never pickle:
the cache lies in the checked project, and nothing from the checked tree may run). It
is used only when all of these are as they were:

- the file's bytes (a hash, not the modification time);
- shapelint itself: its version and the size and modification time of each of its
  modules (a development checkout changes without a new version);
- what the run asks for and the configuration that applies to the file (rules,
  per-file-ignores, input shapes, --show-unknown, ...);
- every file its sibling imports looked for, read or found missing (a sibling that
  appears, changes or goes away invalidates the file that imports it), and, where a
  finding is published on a sibling, the pyproject.toml files that choose the sibling's
  configuration (engine.check: a nested one may ignore what the file's own does not).

An entry keeps the findings and, per model checked, which declaration applied (its source
and key), so a cached run warns about declared targets as an uncached one does.

Entries live in `.shapelint_cache/` (git-ignored by the `.gitignore` written inside it)
under the directory of the configuration found from the working directory, else the
working directory; `--cache-dir`, `SHAPELINT_CACHE_DIR` or `cache-dir` in the
configuration move it; `--no-cache` or `SHAPELINT_NO_CACHE=1` turns it off. Writes are
atomic (a temporary file renamed over the entry), so concurrent runs never see half an
entry; an entry that cannot be read or does not match is ignored and rewritten.
Results of `--trace` (they depend on the installed torch), `--fix`, `--diff`, `--explain`
and standard input are never cached.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Optional

from .findings import Edit, Finding, Related
from .results import FileResult

DIRNAME = ".shapelint_cache"
FORMAT = 3  # the layout of an entry
_FINGERPRINT: Optional[str] = None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def content_digest(data: bytes) -> str:
    """What a file's content is known by: in entries, and in the parses kept in memory
    (engine.siblings: the editor and a tree run reuse an unchanged sibling's parse)."""
    return _digest(data)


def fingerprint() -> str:
    """shapelint's version and its modules' sizes and times: a changed shapelint misses."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        from .. import __version__

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        parts = [__version__, str(FORMAT)]
        for dirpath, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for n in sorted(names):
                if n.endswith((".py", ".md")):
                    st = os.stat(os.path.join(dirpath, n))
                    parts.append(f"{os.path.relpath(os.path.join(dirpath, n), root)}:{st.st_size}:{st.st_mtime_ns}")
        _FINGERPRINT = _digest("\n".join(parts).encode())
    return _FINGERPRINT


def file_digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            return _digest(fh.read())
    except OSError:
        return None


# ------------------------------------------------------------------ entries as JSON


def _finding_data(f: Finding) -> dict:
    return {"code": f.code, "severity": f.severity, "path": f.path, "pos": [f.line, f.column, f.end_line, f.end_column],
            "message": f.message, "fix": f.fix, "source": f.source, "module": f.module, "cell": f.cell,
            "file_position": list(f.file_position) if f.file_position else None,
            "edits": [[e.text, e.line, e.column, e.end_line, e.end_column, e.cell] for e in f.edits],
            "related": [[r.message, r.path, list(r.range), r.cell, list(r.file_position) if r.file_position else None]
                        for r in f.related if r.range]}


def _finding(d: dict) -> Finding:
    f = Finding(d["code"], d["severity"], (), path=d["path"], message=d["message"], fix=d["fix"], source=d["source"],
                module=d["module"], cell=d["cell"], file_position=tuple(d["file_position"]) if d["file_position"] else None)
    f.line, f.column, f.end_line, f.end_column = d["pos"]
    f.edits = [Edit(None, t, a, b, c, e, cell) for t, a, b, c, e, cell in d["edits"]]
    f.related = [Related(m, None, p, tuple(r), cell, tuple(fp) if fp else None)
                 for m, p, r, cell, fp in d.get("related", [])]
    return f


@dataclass
class Cache:
    """Where entries are and what this run's key is (picklable: workers get a copy)."""

    directory: str
    run_key: str  # shapelint's fingerprint and the run's settings

    def _entry(self, path: str, config_key: str) -> str:
        name = _digest(f"{os.path.abspath(path)}\0{self.run_key}\0{config_key}".encode())
        return os.path.join(self.directory, name[:2], name + ".json")

    def get(self, path: str, data: bytes, config_key: str) -> Optional[FileResult]:
        import json

        try:
            with open(self._entry(path, config_key), "rb") as fh:
                entry = json.loads(fh.read())
            if entry["content"] != _digest(data) or entry["path"] != os.path.abspath(path):
                return None
            for dep, digest in entry["dependencies"].items():
                if file_digest(dep) != digest:
                    return None
            result = FileResult(path)
            result.findings = [_finding(d) for d in entry["findings"]]
            result.trace_ignored = bool(entry["trace_ignored"])
            result.dependencies = list(entry["dependencies"])
            result.declared = [tuple(d) for d in entry["declared"]]
            return result
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, unreadable or corrupt: checked again, and rewritten

    def put(self, path: str, data: bytes, config_key: str, result: FileResult) -> None:
        """Store a result (after `lint_source`, before it is detached); failures are silent."""
        import json

        if result.trace or result.internal_error:
            return
        entry = {
            "path": os.path.abspath(path),
            "content": _digest(data),
            "dependencies": {dep: file_digest(dep) for dep in result.dependencies},
            "trace_ignored": result.trace_ignored,
            "findings": [_finding_data(f) for f in result.findings],
            "declared": [list(d) for d in result.declared],  # the CLI's warnings about declared targets
        }
        target = self._entry(path, config_key)
        try:
            self._prepare(os.path.dirname(target))
            _write_atomic(target, json.dumps(entry).encode())
        except OSError:
            pass  # a read-only project still gets checked

    def _prepare(self, subdir: str) -> None:
        if not os.path.isdir(subdir):
            fresh = not os.path.isdir(self.directory)
            os.makedirs(subdir, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if fresh or not os.path.exists(ignore):
                _write_atomic(ignore, b"# Automatically created by shapelint.\n*\n")


def _write_atomic(target: str, data: bytes) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def config_key(config) -> str:
    """What of a file's configuration can change its findings."""
    return repr((config.path, config.input_shapes, config.selection, config.per_file_ignores, config.init_args, config.trace))


def open_cache(settings, cli_dir: Optional[str], disabled: bool) -> Optional[Cache]:
    """The run's cache, or None when it is off (or this run's results must not be cached)."""
    if disabled or os.environ.get("SHAPELINT_NO_CACHE", "") not in ("", "0") or settings.trace or settings.explain:
        return None
    directory = cli_dir or os.environ.get("SHAPELINT_CACHE_DIR") or None
    if directory is None:
        base = os.getcwd()
        try:
            config = settings.config_for(".")
        except Exception:  # a configuration error is reported where the files are checked
            config = None
        if config is not None and config.path:
            base = config.root
            if config.cache_dir and _inside(config.cache_dir, base):  # never outside the project
                directory = config.cache_dir
        directory = directory or os.path.join(base, DIRNAME)
    run = repr((fingerprint(), settings.input_shapes, settings.selection, settings.config_file, settings.isolated,
                settings.show_unknown))
    return Cache(os.path.abspath(directory), _digest(run.encode()))


def _inside(path: str, root: str) -> bool:
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    return rel != ".." and not rel.startswith(".." + os.sep)
