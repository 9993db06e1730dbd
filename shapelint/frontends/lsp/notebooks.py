"""Notebooks in the editor (LSP 3.17 notebook document sync): diagnostics per cell.

pygls keeps the notebook and its cells' text in the workspace; after each
notebookDocument/didOpen or didChange (and a short pause), the code cells are checked
together, as `shapelint notebook.ipynb` checks them (core.notebook: cells in order,
magics skipped), by the same `lint_source`, and each cell gets its own
publishDiagnostics with positions in that cell. Imported only by `handlers`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Dict, List, Optional, Tuple

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ...core.config import ConfigError
from ...core.notebook import Notebook
from ...engine.check import Settings, lint_source
from .session import ShapelintServer
from .snapshot import split_lines

log = logging.getLogger("shapelint.lsp")
_waiting: Dict[str, asyncio.Task] = {}


def _cells(ls: ShapelintServer, uri: str) -> Optional[Tuple[int, List[str], List[Tuple[str, str]]]]:
    """(version, cell URIs, (kind, text) per cell) of an open notebook, or None."""
    nb = ls.workspace.get_notebook_document(notebook_uri=uri)
    if nb is None:
        return None
    uris, sources = [], []
    for cell in nb.cells:
        doc = ls.workspace.get_text_document(cell.document)
        code = cell.kind == lsp.NotebookCellKind.Code and (doc.language_id or "python") == "python"
        uris.append(cell.document)
        sources.append(("code" if code else "markup", doc.source))
    return nb.version, uris, sources


def _lint(ls: ShapelintServer, path: Optional[str], nb: Notebook):
    settings = ls.settings
    if not path:
        settings = Settings(explain=True, reload_config=True, config_start=ls.workspace.root_path)
    try:
        return lint_source(path, nb, settings), None
    except ConfigError as e:
        return lint_source(path, nb, Settings(explain=True, isolated=True)), f"shapelint: {e}"


async def check(ls: ShapelintServer, uri: str, delay: float = 0.0) -> None:
    if delay:
        await asyncio.sleep(delay)
    found = _cells(ls, uri)
    if found is None:
        return
    version, uris, sources = found
    nb = Notebook.from_sources(sources)
    path = to_fs_path(uri) if uri.startswith("file:") else None
    try:
        result, problem = await asyncio.get_running_loop().run_in_executor(ls.executor, _lint, ls, path, nb)
    except Exception:  # a bug in shapelint must not take the editor's server down
        log.exception("internal error while checking notebook %s", uri)
        return
    now = _cells(ls, uri)
    if now is None or now[0] != version:
        return  # a newer version is on its way
    per_cell: Dict[int, List[lsp.Diagnostic]] = {n: [] for n in range(1, len(uris) + 1)}
    for f in result.findings:
        if f.cell is None or f.cell not in per_cell or f.path != path:
            continue  # a sibling module's finding belongs to that file
        lines = split_lines(sources[f.cell - 1][1])
        start = ls.to_client(lines, f.line - 1, f.column - 1)
        end = ls.to_client(lines, f.end_line - 1, f.end_column - 1)
        severity = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}.get(
            f.severity, lsp.DiagnosticSeverity.Information)
        per_cell[f.cell].append(lsp.Diagnostic(range=lsp.Range(start=start, end=end), message=f.message,
                                               severity=severity, code=f.code, source="shapelint",
                                               data={"fix": f.fix} if f.fix else None))
    if problem and per_cell:
        first = min(per_cell)
        per_cell[first].insert(0, lsp.Diagnostic(range=lsp.Range(start=lsp.Position(line=0, character=0),
                                                                 end=lsp.Position(line=0, character=0)),
                                                 message=problem, severity=lsp.DiagnosticSeverity.Error,
                                                 code="config-error", source="shapelint"))
    for n, diags in per_cell.items():
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uris[n - 1], diagnostics=diags))


def _schedule(ls: ShapelintServer, uri: str, delay: float) -> None:
    old = _waiting.get(uri)
    if old is not None and not old.done():
        old.cancel()  # a newer edit restarts the pause
    _waiting[uri] = asyncio.get_running_loop().create_task(check(ls, uri, delay))


def did_open(ls: ShapelintServer, params: lsp.DidOpenNotebookDocumentParams):
    _schedule(ls, params.notebook_document.uri, 0.0)


def did_change(ls: ShapelintServer, params: lsp.DidChangeNotebookDocumentParams):
    _schedule(ls, params.notebook_document.uri, ls.debounce)


def did_close(ls: ShapelintServer, params: lsp.DidCloseNotebookDocumentParams):
    task = _waiting.pop(params.notebook_document.uri, None)
    if task is not None:
        task.cancel()
    for cell in params.cell_text_documents:
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))


FEATURES = [
    (lsp.NOTEBOOK_DOCUMENT_DID_OPEN, did_open, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CHANGE, did_change, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CLOSE, did_close, None),
]
