"""The language server's state: open documents, their snapshots, and the protocol boundary.

Imported only by `server.create_server` (it needs pygls). Each document version is
checked at most once, in a worker thread, by `engine.check.lint_source`; a newer edit
restarts a short pause first. Positions are converted to the client's units here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from ...core.config import ConfigError
from ...core.source import SourceError, decode_source
from ...engine.check import Settings, lint_source
from .snapshot import Diag, OpenText, Range, Snapshot, build_snapshot, carry_over, split_lines

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


def _on_json_text(result) -> None:
    """A notebook opened as a plain text document (its JSON): each finding goes where the
    JSON text holds it; no quick fixes or hints there (notebook sync gives them per cell)."""
    from ..report import file_region

    for f in result.findings:
        if f.cell is not None:
            f.line, f.column, f.end_line, f.end_column = file_region(f)
            f.cell, f.edits, f.fix = None, [], None
    result.models = []


class ShapelintServer(LanguageServer):
    def __init__(self):
        notebooks = lsp.NotebookDocumentSyncOptions(notebook_selector=[  # LSP 3.17 notebook sync (lsp.notebooks)
            lsp.NotebookDocumentFilterWithCells(cells=[lsp.NotebookCellLanguage(language="python")], notebook="*")])
        super().__init__("shapelint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=notebooks)
        self.docs: Dict[str, DocState] = {}
        # a sibling module's URI -> {URI of the open file whose check found them: findings in it}
        self.elsewhere: Dict[str, Dict[str, List[Diag]]] = {}
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shapelint")
        self.debounce = _seconds(os.environ.get("SHAPELINT_LSP_DEBOUNCE"), DEBOUNCE_SECONDS)
        # what the CLI does with no options, plus the tables hints and hover need
        self.settings = Settings(explain=True, reload_config=True)

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
        if self.workspace.get_notebook_document(cell_uri=uri) is not None:
            from .notebooks import cell_snapshot

            return await cell_snapshot(self, uri)  # a cell is checked with its notebook
        doc = self.workspace.get_text_document(uri)
        st = self.state(uri)
        version = doc.version
        if st.snapshot is not None and st.snapshot.version == version and st.snapshot.text == doc.source:
            return st.snapshot
        if st.inflight is None or st.inflight_version != version:
            text, path = doc.source, doc.path
            fut = asyncio.get_running_loop().run_in_executor(self.executor, self.build, path, text, version, st.last_good)
            st.inflight, st.inflight_version = fut, version
            fut.add_done_callback(lambda f, uri=uri: self.finished(uri, f))
        return await asyncio.shield(st.inflight)

    def build(self, path: Optional[str], text: str, version, last_good: Optional[Snapshot]) -> Snapshot:
        """Runs in the worker thread. Never raises: a failure keeps the last good results."""
        started = time.perf_counter()
        config_problem = None
        try:
            settings = self.settings
            if not path:  # an unsaved buffer: the workspace's configuration
                settings = Settings(explain=True, reload_config=True, config_start=self.workspace.root_path or os.getcwd())
            try:
                result = lint_source(path, text, settings)
            except ConfigError as e:  # say so on line 1, and check the file as if unconfigured
                config_problem = f"shapelint: {e}"
                result = lint_source(path, text, Settings(explain=True, isolated=True))
            if result.notebook is not None:
                _on_json_text(result)
            snap = build_snapshot(result, text, version, last_good)
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
            self.publish_elsewhere(uri, snap)
            self.refresh_hints()

    def forget(self, uri: str) -> None:
        """A document's snapshot is stale (its configuration changed): check it again."""
        st = self.docs[uri]
        st.snapshot, st.published_version = None, "none yet"
        self.schedule(uri, 0)

    # -------------------------------------------------------------- positions
    def units(self, s: str) -> int:
        return self.workspace.position_codec.client_num_units(s)

    def to_client(self, lines: List[str], line: int, col: int) -> lsp.Position:
        if line >= len(lines):
            return lsp.Position(line=max(len(lines) - 1, 0), character=self.units(lines[-1]) if lines else 0)
        return lsp.Position(line=line, character=self.units(lines[line][:col]))

    def from_client(self, lines: List[str], pos: lsp.Position) -> Tuple[int, int]:
        if pos.line >= len(lines):
            return pos.line, 0
        text, seen = lines[pos.line], 0
        for i, ch in enumerate(text):
            if seen >= pos.character:
                return pos.line, i
            seen += self.units(ch)
        return pos.line, len(text)

    def lsp_range(self, lines: List[str], r: Range) -> lsp.Range:
        return lsp.Range(start=self.to_client(lines, r[0], r[1]), end=self.to_client(lines, r[2], r[3]))

    def our_range(self, lines: List[str], r: lsp.Range) -> Range:
        return self.from_client(lines, r.start) + self.from_client(lines, r.end)

    # -------------------------------------------------------------- output
    def diagnostic(self, lines: List[str], d: Diag, uri: Optional[str] = None) -> lsp.Diagnostic:
        severity = {
            "error": lsp.DiagnosticSeverity.Error,
            "warning": lsp.DiagnosticSeverity.Warning,
        }.get(d.severity, lsp.DiagnosticSeverity.Information)
        related = []
        for r, why, path in d.related if uri else ():
            if isinstance(path, OpenText):
                where, where_lines = path.uri, list(path.lines)
            else:
                where = from_fs_path(path) if path else uri
                where_lines = self.file_lines(where) if path else lines
            if where_lines is not None:  # an open file edited since the check: its positions moved
                related.append(lsp.DiagnosticRelatedInformation(
                    location=lsp.Location(uri=where, range=self.lsp_range(where_lines, r)), message=why))
        return lsp.Diagnostic(
            range=self.lsp_range(lines, d.range),
            message=d.message,
            severity=severity,
            code=d.code,
            source="shapelint",
            data={"fix": d.fix, "stale": d.stale} if (d.fix or d.stale) else None,
            related_information=related or None,
        )

    def publish(self, uri: str, snap: Optional[Snapshot]) -> None:
        """The document's own findings, and those other files' checks found in it."""
        own = [self.diagnostic(snap.lines, d, uri) for d in snap.diagnostics] if snap is not None else []
        lines, found = self.found_elsewhere(uri)
        # a file's own check and another's may both find one wrong argument (named from each model)
        seen = {(d.range, d.code) for d in (snap.diagnostics if snap is not None else [])}
        for d in found:
            if (d.range, d.code) not in seen:
                seen.add((d.range, d.code))
                own.append(self.diagnostic(lines, d, uri))
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=snap.version if snap is not None else None, diagnostics=own))

    # -------------------------------------------------------------- findings in sibling modules
    def file_lines(self, uri: str) -> Optional[List[str]]:
        """A file's lines as the checks read it (from disk); None when it cannot be read, or
        when it is open with changes not saved (the positions found on disk do not hold there)."""
        try:
            with open(to_fs_path(uri), "rb") as fh:
                text = decode_source(fh.read())
        except (OSError, SourceError, TypeError):
            return None
        doc = self.workspace.text_documents.get(uri)
        if doc is not None and doc.source != text:
            return None
        return split_lines(text)

    def found_elsewhere(self, uri: str) -> Tuple[List[str], List[Diag]]:
        """(the file's lines, the findings other open files' checks made in it)."""
        sources = self.elsewhere.get(uri) or {}
        lines = self.file_lines(uri) if sources else None
        if lines is None:
            return [], []
        return lines, [d for src in sorted(sources) for d in sources[src]]

    def publish_elsewhere(self, uri: str, snap: Snapshot) -> None:
        """Publish on each sibling module what this check found in it (and clear what it no
        longer finds there)."""
        now = {from_fs_path(path): diags for path, diags in snap.elsewhere.items()}
        before = {t for t, sources in self.elsewhere.items() if uri in sources}
        for target in sorted(before | set(now)):
            sources = self.elsewhere.setdefault(target, {})
            if target in now:
                sources[uri] = now[target]
            else:
                sources.pop(uri, None)
            self.publish(target, self.published_snapshot(target))

    def published_snapshot(self, uri: str) -> Optional[Snapshot]:
        """The open document's snapshot last published (None: not open, or not checked yet)."""
        st = self.docs.get(uri)
        if st is None or uri not in self.workspace.text_documents or st.published_version == "none yet":
            return None
        return st.snapshot

    def forget_source(self, uri: str) -> None:
        """A closed file's findings in other files go with it."""
        for target, sources in self.elsewhere.items():
            if sources.pop(uri, None) is not None:
                self.publish(target, self.published_snapshot(target))

    def refresh_hints(self) -> None:
        caps = self.client_capabilities
        ws = caps.workspace if caps else None
        if ws is not None and ws.inlay_hint is not None and ws.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)
