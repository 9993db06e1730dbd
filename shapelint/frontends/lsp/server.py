"""`shapelint lsp`: a language server over stdio (pygls 2, imported only in this mode).

Features: diagnostics (on open, save, and change after a short pause), inlay hints
with tensor shapes, hover on layers with the arithmetic behind their shapes, and the
findings' fixes as quick fixes. Each document version is checked at most once, in a
worker thread, by the same `lint_source` the CLI calls (configuration, selection,
per-file-ignores and `# noqa` included), into a `snapshot.Snapshot`; every request
handler (`handlers`) reads that snapshot. Positions inside shapelint are code points;
they are converted to the client's negotiated units (UTF-16 unless the client asks
otherwise) only at the protocol boundary (`session`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import List, Optional, Tuple

from ...core.links import install_hint
from .snapshot import Range, Snapshot, contains

log = logging.getLogger("shapelint.lsp")


def _missing_dependency() -> Optional[str]:
    try:
        import lsprotocol  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as e:
        return (
            f"shapelint lsp needs pygls 2 and lsprotocol ({e}); "
            f"install them with: {install_hint('lsp')}"
        )
    return None


def main(argv: Optional[List[str]] = None) -> int:
    """Run the server on stdin/stdout until the client says exit."""
    argv = list(argv or [])
    if any(a in ("-h", "--help") for a in argv):
        print("usage: shapelint lsp\n\nRun the shapelint language server over stdio (for editors).")
        return 0
    problem = _missing_dependency()
    if problem:
        print(f"shapelint: error: {problem}", file=sys.stderr)
        return 2
    level = os.environ.get("SHAPELINT_LSP_LOG", "WARNING").upper()
    log_file = os.environ.get("SHAPELINT_LSP_LOG_FILE")
    try:
        if log_file:
            logging.basicConfig(level=level, filename=log_file, format="%(asctime)s %(name)s %(message)s")
        else:
            logging.basicConfig(level=level, stream=sys.stderr)
    except (ValueError, OSError) as e:
        print(f"shapelint: error: cannot set up logging ({e})", file=sys.stderr)
        return 2
    server = create_server()
    server.start_io()
    return 0


def create_server():
    """The server, with one handler registered per LSP request (pygls is imported here)."""
    from . import handlers
    from .session import ShapelintServer

    server = ShapelintServer()
    handlers.register(server)
    return server


def layers_at(snap: Snapshot, line: int, col: int) -> List[tuple]:
    """(site, range, calls) for the innermost layer definition or call under the cursor.

    Every site with that same range is returned: one definition may be run by several
    models, or several times.
    """
    candidates = []
    for site in snap.layers:
        if site.def_range and contains(site.def_range, line, col):
            candidates.append((site, site.def_range, site.calls))
        for r in site.call_ranges:
            if contains(r, line, col):
                candidates.append((site, r, [c for c in site.calls if c["call_range"] == r]))
    if not candidates:
        return []

    def size(r: Range):
        return (r[2] - r[0], r[3] - r[1] if r[2] == r[0] else 0)

    best = min(size(r) for _s, r, _c in candidates)
    inner = [c for c in candidates if size(c[1]) == best]
    return [c for c in inner if c[1] == inner[0][1]]


_WORD = re.compile(r"[A-Za-z_]\w*")
_TARGET_BEFORE = re.compile(r"\s*(?:[A-Za-z_]\w*\s*,\s*)*\(?\s*$")
_TARGET_AFTER = re.compile(r"\s*\)?\s*(?:,\s*[A-Za-z_]\w*\s*)*\)?\s*(?::[^=]*)?=(?!=)")


def word_at(lines: List[str], line: int, col: int) -> Optional[Tuple[str, int, int]]:
    """(identifier, start, end) under the cursor (0-based, code points), or None."""
    if line >= len(lines):
        return None
    for m in _WORD.finditer(lines[line]):
        if m.start() <= col <= m.end():
            return m.group(), m.start(), m.end()
    return None


def attribute_layers(snap: Snapshot, line: int, col: int) -> List[tuple]:
    """`self.conv1 = nn.Conv2d(...)`: the cursor on `conv1` (or `self`) of the assignment's
    target gives the layer its right-hand side defines, as layers_at gives for the call."""
    word = word_at(snap.lines, line, col)
    if word is None:
        return []
    text = snap.lines[line]
    name, start, end = word
    if name == "self" and text[end:end + 1] == ".":
        attr = word_at(snap.lines, line, end + 1)
        if attr is None:
            return []
        name, end = attr[0], attr[2]
    elif text[max(start - 5, 0):start] != "self.":
        return []
    m = re.match(r"\s*self\.(\w+)\s*(?::[^=]*)?=(?!=)", text)
    if m is None or m.group(1) != name:
        return []
    area = (line, m.start(1) - 5, line, m.end(1))
    found = [(site, area, site.calls) for site in snap.layers
             if site.module is not None and site.def_range is not None and site.def_range[0] == line
             and site.def_range[1] >= m.end(1) and (site.module == name or site.module.endswith("." + name))]
    return found


def _enclosing_def(lines: List[str], line: int) -> int:
    """The line of the `def` holding `line` (0 when there is none)."""
    text = lines[line] if line < len(lines) else ""
    indent = len(text) - len(text.lstrip())
    for i in range(line, -1, -1):
        stripped = lines[i].lstrip()
        if stripped.startswith(("def ", "async def ")) and (len(lines[i]) - len(stripped) < indent or i == line):
            return i
    return 0


def name_shapes(snap: Snapshot, line: int, col: int) -> Optional[Tuple[str, tuple, List[str]]]:
    """(name, its range, shapes) for a tensor variable under the cursor: the value it is
    bound to on this line when it is the assignment's target, else the latest binding
    above it in the same function (the value the code reads there)."""
    word = word_at(snap.lines, line, col)
    if word is None:
        return None
    name, start, end = word
    text = snap.lines[line]
    if text[max(start - 1, 0):start] == "." or name in ("self", "return"):
        return None
    area = (line, start, line, end)
    if _TARGET_BEFORE.fullmatch(text[:start]) and _TARGET_AFTER.match(text[end:]):
        shapes = snap.names.get((line, name))
        return (name, area, shapes) if shapes else None
    first = _enclosing_def(snap.lines, line)
    for ln in range(line - 1, first - 1, -1):
        shapes = snap.names.get((ln, name))
        if shapes:
            return name, area, shapes
    return None
