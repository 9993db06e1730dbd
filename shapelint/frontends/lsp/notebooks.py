"""Notebooks in the editor (LSP 3.17 notebook document sync): diagnostics, hints, hover
and quick fixes per cell.

pygls keeps the notebook and its cells' text in the workspace; after each
notebookDocument/didOpen or didChange (and a short pause), the code cells are checked
together, as `shapelint notebook.ipynb` checks them (core.notebook: cells in order,
magics skipped), by the same `lint_source`. One snapshot is built over the module the
cells make (`Notebook.python`, where each cell's lines keep their columns), and cut into
one view per cell, its lines counted from the cell's first line (`cell_view`): each cell
gets its own publishDiagnostics, and hover, inlay hints and code actions on a cell's URI
read its view (`cell_snapshot`), so a quick fix edits that cell. Imported only by `handlers`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ...core.config import ConfigError
from ...core.notebook import Notebook, to_python
from ...engine.check import Settings, lint_source
from .session import CONFIG_CODE, ShapelintServer
from .snapshot import Diag, Edit, OpenText, Snapshot, build_snapshot, split_lines

log = logging.getLogger("shapelint.lsp")
_waiting: Dict[str, asyncio.Task] = {}
_views: Dict[str, Tuple[int, Dict[str, Snapshot]]] = {}  # notebook URI -> (version, cell URI -> view)


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


def _whole_snapshot(nb: Notebook, result, path: Optional[str]) -> Snapshot:
    """The snapshot of the module the code cells make (positions of `nb.python`)."""
    whole = copy.copy(result)
    whole.findings = [f for f in to_python(nb, result.findings, path) if f.path == path]
    whole.notebook = None
    whole.models = []
    for m in result.models:  # class spans are looked up by the class line in nb.python
        m2 = copy.copy(m)
        if m.cell is not None:
            m2.line = nb.python_line(m.cell, m.line)
        whole.models.append(m2)
    return build_snapshot(whole, nb.python)


def _cut(r, first: int, count: int):
    if r is None or not (first <= r[0] and r[2] < first + count):
        return None
    return (r[0] - first, r[1], r[2] - first, r[3])


CellSpan = Tuple[int, int, OpenText]  # a code cell's first line in `whole` (0-based), its line count, its text


def _related_in_cells(related: List[tuple], first: int, count: int, cells: Sequence[CellSpan]) -> List[tuple]:
    """A diagnostic's related locations, those in the notebook's module moved to the cell they
    are in: this cell's own (path None) or another cell's (an OpenText); other files' kept."""
    out = []
    for x, why, path in related:
        if path is not None:
            out.append((x, why, path))
            continue
        own = _cut(x, first, count)
        if own is not None:
            out.append((own, why, None))
            continue
        for other_first, other_count, text in cells:
            there = _cut(x, other_first, other_count)
            if there is not None:
                out.append((there, why, text))
                break
    return out


def cell_view(whole: Snapshot, first: int, count: int, text: str, version,
              cells: Sequence[CellSpan] = ()) -> Snapshot:
    """What of `whole` is on lines first..first+count-1 (0-based), with those lines counted
    from 0: the cell's own snapshot, over the cell's text. A related location in another of
    `cells` points at that cell."""
    diags = []
    for d in whole.diagnostics:
        r = _cut(d.range, first, count)
        if r is None:
            continue
        edits = [Edit(_cut(e.range, first, count), e.text) for e in d.edits]
        diags.append(replace(d, range=r, edits=edits if all(e.range for e in edits) else [],
                             related=_related_in_cells(d.related, first, count, cells)))
    hints = [replace(h, line=h.line - first) for h in whole.hints if first <= h.line < first + count]
    layers = []
    for site in whole.layers:
        def_range = _cut(site.def_range, first, count)
        calls = [dict(c, call_range=_cut(c["call_range"], first, count)) for c in site.calls]
        call_ranges = [x for x in (_cut(r, first, count) for r in site.call_ranges) if x is not None]
        if def_range is not None or call_ranges:
            layers.append(replace(site, def_range=def_range, call_ranges=call_ranges, calls=calls))
    names = {(ln - first, name): shapes for (ln, name), shapes in whole.names.items() if first <= ln < first + count}
    return Snapshot(version, text, split_lines(text), diags, hints, layers, parsed=whole.parsed, names=names)


async def check(ls: ShapelintServer, uri: str, delay: float = 0.0) -> None:
    if delay:
        await asyncio.sleep(delay)
    found = _cells(ls, uri)
    if found is None:
        return
    version, uris, sources = found
    nb = Notebook.from_sources(sources)
    path = to_fs_path(uri) if uri.startswith("file:") else None

    def work():
        result, problem = _lint(ls, path, nb)
        return _whole_snapshot(nb, result, path), problem

    try:
        whole, problem = await asyncio.get_running_loop().run_in_executor(ls.executor, work)
    except Exception:  # a bug in shapelint must not take the editor's server down
        log.exception("internal error while checking notebook %s", uri)
        return
    now = _cells(ls, uri)
    if now is None or now[0] != version:
        return  # a newer version is on its way
    views: Dict[str, Snapshot] = {}
    spans = [(nb.cell(n).start - 1, len(nb.cell(n).lines), OpenText(cell_uri, tuple(split_lines(text))))
             for n, (cell_uri, (_kind, text)) in enumerate(zip(uris, sources), 1) if nb.cell(n).python]
    for n, (cell_uri, (_kind, text)) in enumerate(zip(uris, sources), 1):
        cell = nb.cell(n)
        if cell.python:  # a cell's lines begin after its marker line
            views[cell_uri] = cell_view(whole, cell.start - 1, len(cell.lines), text, None, spans)
        else:
            views[cell_uri] = Snapshot(None, text, split_lines(text), [], [], [], parsed=True)
    if problem and uris:
        first = views[uris[0]]
        first.diagnostics.insert(0, Diag((0, 0, 0, 0), CONFIG_CODE, "error", problem))
    _views[uri] = (version, views)
    for cell_uri in uris:
        view = views[cell_uri]
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=cell_uri, diagnostics=[ls.diagnostic(view.lines, d, cell_uri) for d in view.diagnostics]))


async def cell_snapshot(ls: ShapelintServer, cell_uri: str) -> Optional[Snapshot]:
    """The view of a notebook cell for the notebook's current version (checked now if need be)."""
    nb = ls.workspace.get_notebook_document(cell_uri=cell_uri)
    if nb is None:
        return None
    for _ in range(5):
        done = _views.get(nb.uri)
        if done is not None and done[0] == nb.version:
            return done[1].get(cell_uri)
        task = _waiting.get(nb.uri)
        if task is None or task.done():
            task = _schedule(ls, nb.uri, 0.0)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            pass  # a newer edit restarted the pause: wait for that one
        nb = ls.workspace.get_notebook_document(cell_uri=cell_uri)
        if nb is None:
            return None
    return None


def _schedule(ls: ShapelintServer, uri: str, delay: float) -> asyncio.Task:
    old = _waiting.get(uri)
    if old is not None and not old.done():
        old.cancel()  # a newer edit restarts the pause
    task = _waiting[uri] = asyncio.get_running_loop().create_task(check(ls, uri, delay))
    return task


def did_open(ls: ShapelintServer, params: lsp.DidOpenNotebookDocumentParams):
    _schedule(ls, params.notebook_document.uri, 0.0)


def did_change(ls: ShapelintServer, params: lsp.DidChangeNotebookDocumentParams):
    _schedule(ls, params.notebook_document.uri, ls.debounce)


def did_close(ls: ShapelintServer, params: lsp.DidCloseNotebookDocumentParams):
    task = _waiting.pop(params.notebook_document.uri, None)
    _views.pop(params.notebook_document.uri, None)
    if task is not None:
        task.cancel()
    for cell in params.cell_text_documents:
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))


FEATURES = [
    (lsp.NOTEBOOK_DOCUMENT_DID_OPEN, did_open, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CHANGE, did_change, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CLOSE, did_close, None),
]
