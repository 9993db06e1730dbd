"""Classes imported from the user's own package: `from .blocks import BasicBlock`.

A sibling module is parsed and its definitions evaluated by the same static
interpreter (nothing is imported or executed). Each module is loaded once; a cycle
sees the partly defined module, as Python would.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

import libcst as cst

from .extract import dotted
from ..core.source import SourceError, decode_source
from ..core.values import Namespace, Unknown

MAX_BYTES = 2_000_000


class SiblingLoader:
    def __init__(self):
        self.loaded: Dict[str, Optional[dict]] = {}
        self.modules: List[Tuple[str, cst.Module]] = []
        self.probed: set = set()  # every file a sibling import looked for, found or not (for the cache)

    def bindings(self, stmt, importer_file: Optional[str], interp) -> Dict[str, object]:
        """Names this import binds from sibling files; {} when it is not a sibling import."""
        if not importer_file:
            return {}
        here = os.path.dirname(os.path.abspath(importer_file))
        out: Dict[str, object] = {}
        if isinstance(stmt, cst.ImportFrom):
            if isinstance(stmt.names, cst.ImportStar):
                return {}
            level = len(stmt.relative)
            base = here
            for _ in range(max(level - 1, 0)):
                base = os.path.dirname(base)
            mod = dotted(stmt.module) if stmt.module is not None else None
            if mod is None and level:
                for alias in stmt.names:
                    name = dotted(alias.name)
                    path = self._find(base, name)
                    if path:
                        g = self.load(path, interp)
                        local = alias.asname.name.value if alias.asname is not None else name
                        out[local] = Namespace(path, g) if g is not None else Unknown("sibling module")
                return out
            if mod is None:
                return {}
            path = self._find(base, mod)
            if path is None:
                return {}
            g = self.load(path, interp)
            for alias in stmt.names:
                name = dotted(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                if g is None:
                    out[local] = Unknown(f"`{name}` from a sibling module that could not be read")
                elif name in g:
                    out[local] = g[name]
                else:
                    sub = self._find(os.path.dirname(path), name) if path.endswith("__init__.py") else None
                    sg = self.load(sub, interp) if sub else None
                    out[local] = Namespace(sub, sg) if sg is not None else Unknown(f"`{name}` not found in {os.path.basename(path)}")
        elif isinstance(stmt, cst.Import):
            for alias in stmt.names:
                name = dotted(alias.name)
                if alias.asname is None and "." in (name or ""):
                    continue
                path = self._find(here, name) if name else None
                if path:
                    g = self.load(path, interp)
                    local = alias.asname.name.value if alias.asname is not None else name
                    out[local] = Namespace(path, g) if g is not None else Unknown("sibling module")
        return out

    def _find(self, base: str, dotted_name: str) -> Optional[str]:
        return _module_file(base, dotted_name, self.probed)

    def load(self, path: str, interp) -> Optional[dict]:
        path = os.path.abspath(path)
        if path in self.loaded:
            return self.loaded[path]
        self.loaded[path] = None
        try:
            if os.path.getsize(path) > MAX_BYTES:
                return None
            with open(path, "rb") as fh:
                module = cst.parse_module(decode_source(fh.read()))
        except (OSError, SourceError, cst.ParserSyntaxError, RecursionError):
            return None
        g = {"__name__": "shapelint", "__file__": path}
        self.loaded[path] = g  # before running: an import cycle sees the partial module
        self.modules.append((path, module))
        interp.exec_module(module, g)
        return g


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
