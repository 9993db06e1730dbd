"""One small handler per LSP request; each reads the document's snapshot, none rechecks.

`FEATURES` lists (method, handler, options); `register` attaches them to the server.
Imported only by `server.create_server` (it needs lsprotocol).
"""

from __future__ import annotations

from typing import List

from lsprotocol import types as lsp

from .hover import hover_markdown, name_markdown
from .server import attribute_layers, layers_at, name_shapes
from .session import ShapelintServer
from .snapshot import Diag, overlaps


def did_open(ls: ShapelintServer, params: lsp.DidOpenTextDocumentParams):
    ls.schedule(params.text_document.uri, 0)


def did_change(ls: ShapelintServer, params: lsp.DidChangeTextDocumentParams):
    ls.schedule(params.text_document.uri, ls.debounce)


def did_save(ls: ShapelintServer, params: lsp.DidSaveTextDocumentParams):
    uri = params.text_document.uri
    if uri.endswith("pyproject.toml"):
        for open_uri in list(ls.docs):  # new configuration: check every open file again
            ls.forget(open_uri)
    elif uri in ls.docs:
        ls.schedule(uri, 0)


def did_close(ls: ShapelintServer, params: lsp.DidCloseTextDocumentParams):
    st = ls.docs.pop(params.text_document.uri, None)
    if st is not None and st.waiting is not None:
        st.waiting.cancel()
    ls.publish(params.text_document.uri, None)  # what open files found in it stays
    ls.forget_source(params.text_document.uri)


async def inlay_hint(ls: ShapelintServer, params: lsp.InlayHintParams):
    snap = await ls.snapshot(params.text_document.uri)
    if snap is None:
        return []
    first, last = params.range.start.line, params.range.end.line
    return [
        lsp.InlayHint(position=ls.to_client(snap.lines, h.line, h.character), label=h.label,
                      kind=lsp.InlayHintKind.Type, padding_left=True)
        for h in snap.hints
        if first <= h.line <= last
    ]


async def hover(ls: ShapelintServer, params: lsp.HoverParams):
    snap = await ls.snapshot(params.text_document.uri)
    if snap is None:
        return None
    line, col = ls.from_client(snap.lines, params.position)
    named = name_shapes(snap, line, col)  # a tensor variable, even as a layer's argument
    if named is not None:
        name, area, shapes = named
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=name_markdown(name, shapes)),
                         range=ls.lsp_range(snap.lines, area))
    found = attribute_layers(snap, line, col) or layers_at(snap, line, col)
    if not found:
        return None
    findings: List[Diag] = []
    for site, _r, _calls in found:
        for area in [site.def_range] + list(site.call_ranges):
            if area is not None:
                findings += [d for d in snap.findings_in(area) if d not in findings]
    text = hover_markdown([(site, calls) for site, _r, calls in found], findings)
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=ls.lsp_range(snap.lines, found[0][1]))


async def code_action(ls: ShapelintServer, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    snap = await ls.snapshot(uri) if uri in ls.workspace.text_documents else None
    found = []
    if snap is not None:
        found = [(snap.lines, d) for d in snap.findings_in(ls.our_range(snap.lines, params.range))]
    lines, elsewhere = ls.found_elsewhere(uri)  # a wrong argument this file passes, found by another file's check
    if elsewhere:
        found += [(lines, d) for d in elsewhere if overlaps(d.range, ls.our_range(lines, params.range))
                  and all((d.range, d.code) != (x.range, x.code) for _l, x in found)]
    actions = []
    for doc_lines, d in found:
        if not d.edits:
            continue
        edits = [lsp.TextEdit(range=ls.lsp_range(doc_lines, e.range), new_text=e.text) for e in d.edits]
        actions.append(
            lsp.CodeAction(
                title=d.fix or f"Apply the shapelint fix for {d.code}",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[ls.diagnostic(doc_lines, d, uri)],
                is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={uri: edits}),  # a finding's edits are in its own file
            )
        )
    return actions


def shutdown(ls: ShapelintServer, *args):
    ls.executor.shutdown(wait=False, cancel_futures=True)


FEATURES = [
    (lsp.TEXT_DOCUMENT_DID_OPEN, did_open, None),
    (lsp.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
    (lsp.TEXT_DOCUMENT_DID_SAVE, did_save, None),
    (lsp.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
    (lsp.TEXT_DOCUMENT_INLAY_HINT, inlay_hint, lsp.InlayHintOptions(resolve_provider=False)),
    (lsp.TEXT_DOCUMENT_HOVER, hover, None),
    (lsp.TEXT_DOCUMENT_CODE_ACTION, code_action, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])),
    (lsp.SHUTDOWN, shutdown, None),
]


def register(server: ShapelintServer) -> None:
    from . import notebooks

    for method, handler, options in FEATURES + notebooks.FEATURES:
        server.feature(method, options)(handler)
