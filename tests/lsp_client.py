"""A real LSP client (pytest-lsp) for the editor tests, and helpers that speak LSP positions.

Expected positions are computed from the text itself (UTF-16 code units, as LSP counts
them by default), never copied from shapelint.
"""

from __future__ import annotations

import asyncio
import os
import sys

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol
from pygls.uris import from_fs_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def position_of(text: str, needle: str, occurrence: int = 0) -> lsp.Range:
    """The LSP range (UTF-16 columns) of the n-th occurrence of needle in text."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    start_of_line = text.rfind("\n", 0, at) + 1
    col = utf16(text[start_of_line:at])
    return lsp.Range(
        start=lsp.Position(line=line, character=col),
        end=lsp.Position(line=line, character=col + utf16(needle)),
    )


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle))


def apply_edits(text: str, edits) -> str:
    """Apply LSP TextEdits (UTF-16 positions), last first, as an editor would."""
    lines = text.split("\n")

    def offset(pos: lsp.Position) -> int:
        line = lines[pos.line]
        units, i = 0, 0
        while i < len(line) and units < pos.character:
            units += utf16(line[i])
            i += 1
        return sum(len(x) + 1 for x in lines[: pos.line]) + i

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


# ---------------------------------------------------------------------------- the client


class RecordingClient(LanguageClient):
    """The pytest-lsp client, also keeping every publishDiagnostics with its version."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list = []


def make_client() -> RecordingClient:
    from pygls.protocol import default_converter

    client = RecordingClient(protocol_cls=LanguageClientProtocol, converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)

    def on_publish(c: RecordingClient, params: lsp.PublishDiagnosticsParams):
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = on_publish
    register_lsp_features(client, features)
    return client


SERVER_ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
SERVER_CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "shapelint", "lsp"],
    server_env=SERVER_ENV,
    client_factory=make_client,
)


class Doc:
    """An open document on the client side: its text, version and edits."""

    def __init__(self, client: RecordingClient, path, text: str):
        self.client, self.text, self.version = client, text, 1
        path.write_text(text, encoding="utf-8")
        self.uri = from_fs_path(str(path))
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=self.uri, language_id="python", version=1, text=text)
            )
        )

    def replace(self, old: str, new: str, occurrence: int = 0) -> None:
        """An incremental didChange replacing one occurrence of `old`."""
        r = position_of(self.text, old, occurrence)
        self.edit(r, new)

    def edit(self, r: lsp.Range, new: str) -> None:
        self.text = apply_edits(self.text, [lsp.TextEdit(range=r, new_text=new)])
        self.version += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=r, text=new)],
            )
        )

    async def diagnostics(self, timeout: float = 30.0) -> list:
        """The diagnostics published for the current version."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            for p in reversed(self.client.published):
                if p.uri == self.uri and p.version == self.version:
                    return list(p.diagnostics)
            await asyncio.sleep(0.02)
        raise AssertionError(f"no diagnostics published for version {self.version}")

    async def hints(self) -> dict:
        hints = await self.client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=self.uri),
                range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=10**4, character=0)),
            )
        )
        return {h.position.line: h for h in hints or []}
