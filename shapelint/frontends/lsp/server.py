"""`shapelint lsp`: a language server over stdio (pygls 2, imported only in this mode).

Features: diagnostics (on open, save, and change after a short pause), inlay hints
with tensor shapes, hover on layers with the arithmetic behind their shapes, and the
findings' fixes as quick fixes. Each document version is analysed at most once, in a
worker thread, into a `lsp_snapshot.Snapshot`; every feature reads that snapshot.
Positions inside shapelint are code points; they are converted to the client's
negotiated units (UTF-16 unless the client asks otherwise) only here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

from ...core.config import Config, ConfigError, find_pyproject, load_config
from .hover import hover_markdown
from .snapshot import Diag, Range, Snapshot, build_snapshot, carry_over, contains, split_lines

log = logging.getLogger("shapelint.lsp")

DEBOUNCE_SECONDS = 0.15
# editor-only diagnostics, named rather than numbered so they never collide with rule codes
CONFIG_CODE = "config-error"  # a pyproject.toml shapelint cannot use: shown on line 1 of each file
INTERNAL_CODE = "internal-error"  # a bug in shapelint: the file keeps its last good results


class DocState:
    """Per open document: the latest snapshot, the last one that parsed, work in flight."""

    def __init__(self):
        self.snapshot: Optional[Snapshot] = None
        self.last_good: Optional[Snapshot] = None
        self.waiting: Optional[asyncio.Task] = None  # debounce timer
        self.inflight: Optional[asyncio.Future] = None
        self.inflight_version: Optional[int] = None
        self.published_version: object = "none yet"  # the version last published


def _seconds(text: Optional[str], default: float) -> float:
    try:
        value = float(text) if text else default
    except ValueError:
        log.warning("SHAPELINT_LSP_DEBOUNCE=%r is not a number of seconds; using %s", text, default)
        return default
    return min(max(value, 0.0), 10.0)


def _missing_dependency() -> Optional[str]:
    try:
        import lsprotocol  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as e:
        return (
            f"shapelint lsp needs pygls 2 and lsprotocol ({e}); "
            "install them with: pip install 'shapelint[lsp]'"
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


def create_server():
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer

    from ... import __version__ as version

    class ShapelintServer(LanguageServer):
        def __init__(self):
            super().__init__("shapelint", version, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
            self.docs: Dict[str, DocState] = {}
            self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapelint")
            self.debounce = _seconds(os.environ.get("SHAPELINT_LSP_DEBOUNCE"), DEBOUNCE_SECONDS)
            self.configs: Dict[str, Tuple[int, object]] = {}  # pyproject path -> (mtime, Config | error)

        # -------------------------------------------------------------- scheduling
        def state(self, uri: str) -> DocState:
            return self.docs.setdefault(uri, DocState())

        def schedule(self, uri: str, delay: float) -> None:
            st = self.state(uri)
            if st.waiting is not None and not st.waiting.done():
                st.waiting.cancel()  # a newer edit restarts the pause
            st.waiting = asyncio.get_running_loop().create_task(self._after_pause(uri, delay))

        async def _after_pause(self, uri: str, delay: float) -> None:
            if delay:
                await asyncio.sleep(delay)
            if uri in self.docs:
                await self.snapshot(uri)

        async def snapshot(self, uri: str) -> Optional[Snapshot]:
            """The snapshot of the document's current version (analysed now if need be)."""
            doc = self.workspace.get_text_document(uri)
            st = self.state(uri)
            version = doc.version
            if st.snapshot is not None and st.snapshot.version == version and st.snapshot.text == doc.source:
                return st.snapshot
            if st.inflight is None or st.inflight_version != version:
                text, path = doc.source, doc.path
                fut = asyncio.get_running_loop().run_in_executor(
                    self.executor, self.build, path, text, version, st.last_good
                )
                st.inflight, st.inflight_version = fut, version
                fut.add_done_callback(lambda f, uri=uri: self.finished(uri, f))
            return await asyncio.shield(st.inflight)

        def build(self, path: str, text: str, version, last_good: Optional[Snapshot]) -> Snapshot:
            """Runs in the worker thread. Never raises: a failure keeps the last good results."""
            config_problem = None
            started = time.perf_counter()
            try:
                shapes, config_problem = self.input_shapes(path)
                snap = build_snapshot(path, text, shapes, version, last_good)
                log.info("checked %s version %s in %.0f ms", path, version, (time.perf_counter() - started) * 1000)
            except Exception as e:  # a bug in shapelint must not take the editor's server down
                log.exception("internal error while checking %s", path)
                problem = Diag((0, 0, 0, 0), INTERNAL_CODE, "warning",
                               f"shapelint could not check this version: {type(e).__name__}: {e} (please report this)")
                if last_good is None:
                    snap = Snapshot(version, text, split_lines(text), [problem], [], [], parsed=False)
                else:
                    snap = carry_over(last_good, text, split_lines(text), version, [problem])
            if config_problem:
                snap.diagnostics.insert(0, Diag((0, 0, 0, 0), CONFIG_CODE, "error", config_problem))
            return snap

        def finished(self, uri: str, fut: asyncio.Future) -> None:
            """In the event loop: keep the snapshot and publish it if it is still current."""
            st = self.docs.get(uri)
            if st is None or fut.cancelled() or fut.exception() is not None:
                return
            snap = fut.result()
            if st.inflight is fut:
                st.inflight, st.inflight_version = None, None
            if st.snapshot is None or (snap.version or 0) >= (st.snapshot.version or 0):
                st.snapshot = snap
                if snap.parsed:
                    st.last_good = snap
            try:
                current = self.workspace.get_text_document(uri).version
            except Exception:
                return
            if snap.version == current and st.published_version != snap.version:
                st.published_version = snap.version
                self.publish(uri, snap)
                self.refresh_hints()

        def input_shapes(self, path: Optional[str]) -> Tuple[Dict[str, list], Optional[str]]:
            start = path if path else (self.workspace.root_path or os.getcwd())
            pyproject = find_pyproject(start)
            if pyproject is None:
                return {}, None
            try:
                mtime = os.stat(pyproject).st_mtime_ns
            except OSError:
                mtime = -1
            cached = self.configs.get(pyproject)
            if cached is None or cached[0] != mtime:
                try:
                    value = load_config(pyproject)
                except ConfigError as e:
                    value = str(e)
                cached = self.configs[pyproject] = (mtime, value)
            value = cached[1]
            if isinstance(value, Config):
                return dict(value.input_shapes), None
            return {}, f"shapelint: {value}"

        # -------------------------------------------------------------- positions
        def units(self, s: str) -> int:
            return self.workspace.position_codec.client_num_units(s)

        def to_client(self, lines: List[str], line: int, col: int) -> "lsp.Position":
            if line >= len(lines):
                return lsp.Position(line=max(len(lines) - 1, 0), character=self.units(lines[-1]) if lines else 0)
            return lsp.Position(line=line, character=self.units(lines[line][:col]))

        def from_client(self, lines: List[str], pos: "lsp.Position") -> Tuple[int, int]:
            if pos.line >= len(lines):
                return pos.line, 0
            text, seen = lines[pos.line], 0
            for i, ch in enumerate(text):
                if seen >= pos.character:
                    return pos.line, i
                seen += self.units(ch)
            return pos.line, len(text)

        def lsp_range(self, lines: List[str], r: Range) -> "lsp.Range":
            return lsp.Range(start=self.to_client(lines, r[0], r[1]), end=self.to_client(lines, r[2], r[3]))

        def our_range(self, lines: List[str], r: "lsp.Range") -> Range:
            return self.from_client(lines, r.start) + self.from_client(lines, r.end)

        # -------------------------------------------------------------- output
        def diagnostic(self, snap: Snapshot, d: Diag) -> "lsp.Diagnostic":
            severity = {
                "error": lsp.DiagnosticSeverity.Error,
                "warning": lsp.DiagnosticSeverity.Warning,
            }.get(d.severity, lsp.DiagnosticSeverity.Information)
            return lsp.Diagnostic(
                range=self.lsp_range(snap.lines, d.range),
                message=d.message,
                severity=severity,
                code=d.code,
                source="shapelint",
                data={"fix": d.fix, "stale": d.stale} if (d.fix or d.stale) else None,
            )

        def publish(self, uri: str, snap: Snapshot) -> None:
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=uri, version=snap.version, diagnostics=[self.diagnostic(snap, d) for d in snap.diagnostics]
                )
            )

        def refresh_hints(self) -> None:
            caps = self.client_capabilities
            ws = caps.workspace if caps else None
            if ws is not None and ws.inlay_hint is not None and ws.inlay_hint.refresh_support:
                self.workspace_inlay_hint_refresh(None)

    server = ShapelintServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ShapelintServer, params: lsp.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ShapelintServer, params: lsp.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ShapelintServer, params: lsp.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        if uri.endswith("pyproject.toml"):
            for open_uri in list(ls.docs):  # new input shapes: check every open file again
                st = ls.docs[open_uri]
                st.snapshot, st.published_version = None, "none yet"
                ls.schedule(open_uri, 0)
        elif uri in ls.docs:
            ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ShapelintServer, params: lsp.DidCloseTextDocumentParams):
        st = ls.docs.pop(params.text_document.uri, None)
        if st is not None and st.waiting is not None:
            st.waiting.cancel()
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT, lsp.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: ShapelintServer, params: lsp.InlayHintParams):
        snap = await ls.snapshot(params.text_document.uri)
        if snap is None:
            return []
        first, last = params.range.start.line, params.range.end.line
        return [
            lsp.InlayHint(
                position=ls.to_client(snap.lines, h.line, h.character),
                label=h.label,
                kind=lsp.InlayHintKind.Type,
                padding_left=True,
            )
            for h in snap.hints
            if first <= h.line <= last
        ]

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: ShapelintServer, params: lsp.HoverParams):
        snap = await ls.snapshot(params.text_document.uri)
        if snap is None:
            return None
        line, col = ls.from_client(snap.lines, params.position)
        found = layers_at(snap, line, col)
        if not found:
            return None
        r = found[0][1]
        findings: List[Diag] = []
        for site, _r, _calls in found:
            for area in [site.def_range] + list(site.call_ranges):
                if area is not None:
                    findings += [d for d in snap.findings_in(area) if d not in findings]
        return lsp.Hover(
            contents=lsp.MarkupContent(
                kind=lsp.MarkupKind.Markdown,
                value=hover_markdown([(site, calls) for site, _r, calls in found], findings),
            ),
            range=ls.lsp_range(snap.lines, r),
        )

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    async def code_action(ls: ShapelintServer, params: lsp.CodeActionParams):
        uri = params.text_document.uri
        snap = await ls.snapshot(uri)
        if snap is None:
            return []
        wanted = ls.our_range(snap.lines, params.range)
        actions = []
        for d in snap.findings_in(wanted):
            if not d.edits:
                continue
            edits = [lsp.TextEdit(range=ls.lsp_range(snap.lines, e.range), new_text=e.text) for e in d.edits]
            actions.append(
                lsp.CodeAction(
                    title=d.fix or f"Apply the shapelint fix for {d.code}",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[ls.diagnostic(snap, d)],
                    is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={uri: edits}),
                )
            )
        return actions

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: ShapelintServer, *args):
        ls.executor.shutdown(wait=False, cancel_futures=True)

    return server
