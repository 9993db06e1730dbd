"""Classes imported from the user's own package: `from .blocks import BasicBlock`.

A sibling module is parsed and its definitions evaluated by the same static
interpreter (nothing is imported or executed). A sibling is loaded when a name
imported from it is first used (`LazyImport`), once per checked file, and parsed once
per process while it is unchanged; a cycle sees the partly defined module, as Python
would.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import libcst as cst

from .extract import STAR_IMPORT, dotted
from ..core.cache import content_digest
from ..core.collector import built_and_frozen
from ..core.source import SourceError, decode_source, too_deep_to_parse
from ..core.values import Namespace, Unknown

MAX_BYTES = 2_000_000
STAR_RESOLVED = "<from sibling import * resolved>"  # a key of bindings(): the statement's star marker can go
# The sibling source one checked file may read: at least this, or a quarter of the file.
# Reading a package's worth of siblings would make the cost of a file that of its
# package (torch/_inductor/lowering.py reached 26 modules); what is not read is unknown.
MIN_BUDGET_CHARS = 120_000


class LazyImport:
    """A name imported from a sibling module, read only when the code uses it.

    Parsing and running a sibling costs about what the checked file costs; a file that
    imports from twenty siblings (and they from theirs) would pay for a whole package.
    So `from .blocks import Block` binds this placeholder, and the sibling is parsed
    (once) and run when `Block` is first evaluated (`resolve`).
    """

    __slots__ = ("loader", "path", "name", "_value")

    def __init__(self, loader: "SiblingLoader", path: str, name: str):
        self.loader = loader
        self.path = path
        self.name = name
        self._value = _PENDING

    @property
    def resolved(self) -> bool:
        return self._value is not _PENDING

    def value(self):
        if self._value is _PENDING:
            self._value = Unknown(f"`{self.name}` imported in a cycle")  # while it loads
            self._value = resolve(self.loader.member(self.path, self.name))
        return self._value


class LazyNamespace(Namespace):
    """`from . import blocks`: the sibling is parsed and run when an attribute is first read."""

    __slots__ = ("loader",)

    def __init__(self, loader: "SiblingLoader", path: str):
        super().__init__(path, None)
        self.loader = loader

    def scope(self) -> dict:
        if self.globals is None:
            self.globals = self.loader.load(self.path) or {}
        return self.globals


_PENDING = object()


def resolve(v):
    """A value as the code sees it: a pending sibling import is loaded now."""
    while type(v) is LazyImport:
        v = v.value()
    return v


class SiblingLoader:
    """The sibling modules one checked file reaches, each parsed once and run once.

    `run_module(module, globals)` runs a sibling's top level; the checker gives one that
    uses its module-level interpreter, whatever model's check first needed the sibling.
    """

    def __init__(self, run_module=None, main: Optional[str] = None, main_globals: Optional[dict] = None,
                 budget_chars: int = MIN_BUDGET_CHARS):
        self.run_module = run_module
        self.loaded: Dict[str, Optional[dict]] = {}
        if main:  # a sibling importing the checked file gets the checked file's names: no second parse
            self.loaded[os.path.abspath(main)] = main_globals
        self.modules: List[Tuple[str, cst.Module]] = []
        self.budget_chars = budget_chars  # sibling source read per checked file, at most
        self.read_chars = 0
        self.over_budget: List[str] = []  # siblings left unread, for the file's info note
        self.probed: set = set()  # every file a sibling import looked for, found or not (for the cache)

    def _find(self, base: str, dotted_name: str) -> Optional[str]:
        return _module_file(base, dotted_name, self.probed)

    def _find_absolute(self, here: str, dotted_name: str) -> Optional[str]:
        """An absolute import: beside the importing file (the script's own directory), else from the
        root of the package the file belongs to (`from timm.layers import Mlp` in timm/models/vit.py,
        YOLOv5's `from utils.general import ...` in models/yolo.py: that root is on sys.path
        whenever the package imports itself)."""
        found = self._find(here, dotted_name)
        if found is None:
            root = package_root(here, self.probed)
            if root is not None:
                found = self._find(root, dotted_name)
        return found

    def bindings(self, stmt, importer_file: Optional[str], interp=None) -> Dict[str, object]:
        """Names this import binds from sibling files; {} when it is not a sibling import."""
        if not importer_file:
            return {}
        here = os.path.dirname(os.path.abspath(importer_file))
        out: Dict[str, object] = {}
        if isinstance(stmt, cst.ImportFrom):
            level = len(stmt.relative)
            base = here
            for _ in range(max(level - 1, 0)):
                base = os.path.dirname(base)
            mod = dotted(stmt.module) if stmt.module is not None else None
            if isinstance(stmt.names, cst.ImportStar):
                return self._star(base, here, mod, level, interp)
            if mod is None and level:
                for alias in stmt.names:
                    name = dotted(alias.name)
                    path = self._find(base, name)
                    if path:
                        local = alias.asname.name.value if alias.asname is not None else name
                        out[local] = LazyNamespace(self, path)
                return out
            if mod is None:
                return {}
            path = self._find(base, mod) if level else self._find_absolute(here, mod)
            if path is None:
                return {}
            for alias in stmt.names:
                name = dotted(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                out[local] = LazyImport(self, path, name)
        elif isinstance(stmt, cst.Import):
            for alias in stmt.names:
                name = dotted(alias.name)
                if alias.asname is None and "." in (name or ""):
                    continue
                path = self._find_absolute(here, name) if name else None
                if path:
                    local = alias.asname.name.value if alias.asname is not None else name
                    out[local] = LazyNamespace(self, path)
        return out

    def _star(self, base: str, here: str, mod: Optional[str], level: int, interp) -> Dict[str, object]:
        """`from .layers import *` of a sibling: the names it exports (its `__all__`, else every name
        not starting with `_`), read now; {} when it is no sibling or cannot be read (then the
        names it may bind stay unknown)."""
        if mod is None:
            path = os.path.join(base, "__init__.py") if level and os.path.isfile(os.path.join(base, "__init__.py")) else None
        else:
            path = self._find(base, mod) if level else self._find_absolute(here, mod)
        g = self.load(path, interp) if path else None
        if g is None:
            return {}
        exported = g.get("__all__")
        if isinstance(exported, (list, tuple)) and all(isinstance(n, str) for n in exported):
            names = [n for n in exported if n in g]
            if len(names) < len(exported):
                return {}  # an exported name shapelint did not bind: the import is not followed
        else:
            names = [n for n in g if not n.startswith("_") and n != STAR_IMPORT]
        out = {n: LazyImport(self, path, n) for n in names}  # as `from x import n`: checked here only if used
        if STAR_IMPORT not in g:
            out[STAR_RESOLVED] = True  # every name it binds is known: the importer has no unknown names from it
        return out

    def member(self, path: str, name: str):
        """`name` of the sibling module at `path`, as `from module import name` binds it."""
        g = self.load(path)
        if g is None:
            return Unknown(f"`{name}` from a sibling module that could not be read")
        if name in g:
            return g[name]
        sub = self._find(os.path.dirname(path), name) if path.endswith("__init__.py") else None
        if sub and self.load(sub) is not None:
            return LazyNamespace(self, sub)
        return Unknown(f"`{name}` not found in {os.path.basename(path)}")

    def load(self, path: str, interp=None) -> Optional[dict]:
        path = os.path.abspath(path)
        if path in self.loaded:
            return self.loaded[path]
        self.loaded[path] = None
        try:
            size = os.path.getsize(path)
        except OSError:
            return None
        if self.read_chars + size > self.budget_chars:
            self.over_budget.append(path)  # its names are unknown; the file says so once
            return None
        module = parsed(path)
        if module is None:
            return None
        self.read_chars += size
        g = {"__name__": "shapelint", "__file__": path}
        self.loaded[path] = g  # before running: an import cycle sees the partial module
        self.modules.append((path, module))
        if self.run_module is not None:
            self.run_module(module, g)
        elif interp is not None:
            interp.exec_module(module, g)
        return g


# ---------------------------------------------------------------------------- shared parses

_PARSES: "OrderedDict[str, tuple]" = OrderedDict()  # path -> (content digest, text length, module)
_CACHE_FILES = 32
_CACHE_CHARS = 1_500_000  # a parsed module holds ~100x its text in memory: keep the cache small


def parsed(path: str) -> Optional[cst.Module]:
    """The sibling at `path`, parsed once per process while its content is unchanged (a tree
    run or the editor checks many files of one package); None when it cannot be read.

    Kept by the digest of its bytes (core.cache.content_digest), not its modification time:
    an edit that keeps the size within the clock's resolution is still seen; reading the
    bytes costs little next to a parse.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None
        key = content_digest(data)
        hit = _PARSES.get(path)
        if hit is not None and hit[0] == key:
            _PARSES.move_to_end(path)
            return hit[2]
        text = decode_source(data)
        if too_deep_to_parse(text) is not None:
            return None
        module = built_and_frozen(lambda: cst.parse_module(text))
    except (OSError, SourceError, cst.ParserSyntaxError, RecursionError, MemoryError):
        return None
    _PARSES[path] = (key, len(text), module)
    while len(_PARSES) > _CACHE_FILES or (len(_PARSES) > 1 and sum(v[1] for v in _PARSES.values()) > _CACHE_CHARS):
        _PARSES.popitem(last=False)
    return module


def package_root(here: str, probed: Optional[set] = None, depth: int = 12) -> Optional[str]:
    """The directory holding the top-level package that directory `here` is part of (the one
    without an `__init__.py` above a chain of them); None when `here` is no package."""
    d = os.path.abspath(here)
    marker = os.path.join(d, "__init__.py")
    if probed is not None:
        probed.add(marker)
    if not os.path.isfile(marker):
        return None
    for _ in range(depth):
        parent = os.path.dirname(d)
        marker = os.path.join(parent, "__init__.py")
        if probed is not None:
            probed.add(marker)
        if parent == d or not os.path.isfile(marker):
            return parent
        d = parent
    return None


def _module_file(base: str, dotted_name: str, probed: Optional[set] = None) -> Optional[str]:
    parts = dotted_name.split(".")
    if parts[0] in ("torch", "torchvision", "numpy", "typing", "collections", "math", "functools", "os", "sys"):
        return None
    stem = os.path.join(base, *parts)
    for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
        if probed is not None:
            probed.add(os.path.abspath(candidate))
        if os.path.isfile(candidate):
            return candidate
    return None
