"""`[tool.shapelint]` in the nearest pyproject.toml, read with tomllib.

Rule selection follows ruff: `select` picks codes or code prefixes ("SHP0" is every
shape rule), `extend-select` adds to it, `ignore` removes; within one layer (the
config file, then the command line) the more specific selector wins and `ignore`
wins a tie. A layer that sets `select` starts afresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .inputs import as_declaration


class ConfigError(Exception):
    """A configuration the user must fix; reported as a usage error (exit 2)."""


KNOWN_KEYS = {
    "select", "ignore", "extend-select", "per-file-ignores", "exclude",
    "input-shapes", "init-args", "trace", "cache-dir",
}


@dataclass
class Selection:
    """One layer of rule selection (the config file, or the command line)."""

    select: Optional[List[str]] = None
    extend_select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)


@dataclass
class Config:
    path: Optional[str] = None
    input_shapes: Dict[str, tuple] = field(default_factory=dict)  # target -> its declaration (core.inputs)
    selection: Selection = field(default_factory=Selection)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    exclude: List[str] = field(default_factory=list)
    init_args: Dict[str, dict] = field(default_factory=dict)
    trace: bool = False
    cache_dir: Optional[str] = None  # `cache-dir`, absolute (inside the configuration's directory)

    @property
    def root(self) -> str:
        """Globs in the config are relative to the directory holding it."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def is_excluded(self, path: str) -> bool:
        return bool(self.exclude) and _matches_any(self.exclude, path, self.root, dirs=True)

    def ignored_for(self, path: str) -> List[str]:
        out: List[str] = []
        for pattern, codes in self.per_file_ignores.items():
            if _matches_any([pattern], path, self.root, dirs=True):
                out.extend(codes)
        return out


def _matches_any(patterns: Sequence[str], path: str, root: str, dirs: bool) -> bool:
    """A glob matches the path relative to root, its basename, or (for dirs) any parent."""
    import fnmatch

    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root).replace(os.sep, "/")
    candidates = [rel, os.path.basename(absolute)]
    if dirs:
        parts = rel.split("/")
        candidates += ["/".join(parts[:i]) for i in range(1, len(parts))]
        candidates += parts[:-1]
    for pattern in patterns:
        p = pattern.replace(os.sep, "/").rstrip("/")
        if p.startswith("./"):
            p = p[2:]
        if any(fnmatch.fnmatchcase(c, p) for c in candidates):
            return True
    return False


def all_codes() -> List[str]:
    from .rules import REGISTRY

    return sorted(REGISTRY)


def check_selectors(selectors: Iterable[str], where: str) -> List[str]:
    """Codes or prefixes (SHP0, SHP00, SHP001) or ALL; anything else is an error."""
    codes = all_codes()
    out = []
    for s in selectors:
        s2 = s.strip().upper()
        if not s2:
            continue
        if s2 != "ALL" and not any(c.startswith(s2) for c in codes):
            raise ConfigError(f"{where}: unknown rule selector {s!r} (rule codes look like SHP001; prefixes like SHP0 select groups)")
        out.append(s2)
    return out


def _specificity(selectors: Sequence[str], code: str) -> int:
    """Length of the longest selector matching code (ALL counts as the least specific)."""
    best = -1
    for s in selectors:
        if s == "ALL":
            best = max(best, 0)
        elif code.startswith(s):
            best = max(best, len(s))
    return best


def enabled_codes(layers: Sequence[Selection]) -> set:
    codes = all_codes()
    enabled = set(codes)  # the default: every rule
    for layer in layers:
        out = set()
        for c in codes:
            sel = max(_specificity(layer.select or [], c), _specificity(layer.extend_select, c))
            ign = _specificity(layer.ignore, c)
            if ign >= 0 and ign >= sel:
                continue  # ignored (ignore wins a tie)
            if sel >= 0 or (layer.select is None and c in enabled):
                out.add(c)
        enabled = out
    return enabled


def code_matches(code: str, selectors: Iterable[str]) -> bool:
    return any(s == "ALL" or code.startswith(s) for s in selectors)


def find_pyproject(start: str) -> Optional[str]:
    looked = pyproject_candidates(start)
    return looked[-1] if os.path.isfile(looked[-1]) else None


def pyproject_candidates(start: str) -> List[str]:
    """The pyproject.toml paths `find_pyproject` looks at, nearest first, up to the one it
    finds (or to the filesystem's root): all the files whose appearance, change or removal
    can change the configuration of `start`."""
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    looked = []
    while True:
        candidate = os.path.join(d, "pyproject.toml")
        looked.append(candidate)
        if os.path.isfile(candidate):
            return looked
        parent = os.path.dirname(d)
        if parent == d:
            return looked
        d = parent


def _str_list(value, path: str, key: str) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.shapelint] {key} must be a list of strings, such as [\"SHP001\"]")
    return list(value)


def load_config(path: Optional[str]) -> Config:
    if path is None:
        return Config()
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    table = data.get("tool", {}).get("shapelint", {}) if os.path.basename(path) == "pyproject.toml" else data.get("tool", {}).get("shapelint", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.shapelint] must be a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)} in [tool.shapelint] "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    cfg = Config(path=path)
    where = f"{path}: [tool.shapelint]"
    if "select" in table:
        cfg.selection.select = check_selectors(_str_list(table["select"], path, "select"), f"{where} select")
    if "extend-select" in table:
        cfg.selection.extend_select = check_selectors(_str_list(table["extend-select"], path, "extend-select"), f"{where} extend-select")
    if "ignore" in table:
        cfg.selection.ignore = check_selectors(_str_list(table["ignore"], path, "ignore"), f"{where} ignore")
    if "exclude" in table:
        cfg.exclude = _str_list(table["exclude"], path, "exclude")
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where} per-file-ignores must be a table of \"glob\" = [codes]")
    for pattern, codes in pfi.items():
        cfg.per_file_ignores[pattern] = check_selectors(_str_list(codes, path, f"per-file-ignores.{pattern!r}"), f"{where} per-file-ignores")
    if "trace" in table:
        if not isinstance(table["trace"], bool):
            raise ConfigError(f"{where} trace must be true or false")
        cfg.trace = table["trace"]
    if "cache-dir" in table:
        if not isinstance(table["cache-dir"], str) or not table["cache-dir"].strip():
            raise ConfigError(f"{where} cache-dir must be a directory name")
        cfg.cache_dir = os.path.normpath(os.path.join(cfg.root, table["cache-dir"]))
    init_args = table.get("init-args", {})
    if not isinstance(init_args, dict) or not all(isinstance(v, dict) for v in init_args.values()):
        raise ConfigError(f"{where} init-args must be a table of NAME = {{ keyword = value, ... }}")
    cfg.init_args = {k: dict(v) for k, v in init_args.items()}
    shapes = table.get("input-shapes", {})
    if not isinstance(shapes, dict):
        raise ConfigError(f"{path}: [tool.shapelint.input-shapes] must be a table of NAME = [dims]")
    for name, value in shapes.items():
        declared = as_declaration(value)
        if declared is None:
            raise ConfigError(
                f"{path}: input-shapes.{name} must be a list of sizes such as [4, 3, 32, 32] (strings for symbols), "
                f'a string such as "idx=(2, 16):long, targets=(2, 16):long", or a table such as {{idx = "2,16:long"}}'
            )
        cfg.input_shapes[name] = declared
    return cfg


def split_codes(values: Iterable[str]) -> List[str]:
    """`--select SHP001,SHP002 --select SHP3` -> ["SHP001", "SHP002", "SHP3"]."""
    out: List[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


class ConfigCache:
    """The configuration each file is checked with: each pyproject.toml is read once
    (with `reload`, again whenever it changed on disk, as the editor needs)."""

    def __init__(self):
        self._by_dir: Dict[str, Optional[str]] = {}
        self._loaded: Dict[Optional[str], Tuple[Optional[int], object]] = {}  # path -> (mtime, Config | ConfigError)

    def lookup(self, path: str, config_file: Optional[str] = None, isolated: bool = False, reload: bool = False) -> Config:
        """The Config for a file (raises ConfigError for one the user must fix)."""
        if isolated:
            key = None
        elif config_file:
            key = config_file
        else:
            d = os.path.abspath(path) if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
            if reload or d not in self._by_dir:
                self._by_dir[d] = find_pyproject(path)
            key = self._by_dir[d]
        stamp = _mtime(key) if reload else None
        cached = self._loaded.get(key)
        if cached is None or cached[0] != stamp:
            try:
                value: object = load_config(key)
            except ConfigError as e:
                value = e
            cached = self._loaded[key] = (stamp, value)
        if isinstance(cached[1], ConfigError):
            raise cached[1]
        return cached[1]


def _mtime(path: Optional[str]) -> Optional[int]:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1
