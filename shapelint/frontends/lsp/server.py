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
import sys
from typing import List, Optional

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
