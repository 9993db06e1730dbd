"""`shapelint lsp` on a package (issue 16.4 in the editor), driven by the real pytest-lsp client.

A wrong argument passed to a class defined in another file of the package is reported at the
call that passed it. When that call is in a sibling module (the open file uses a backbone whose
file builds the shared ConvBNAct block with a wrong number), the finding is published on that
sibling's URI, in its positions, with related locations in the helper's file; its quick fix
edits the sibling at the call, never the shared helper. The package is confirmed broken, and
then fixed by applying the WorkspaceEdit, with real torch.
"""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from conftest import ROOT
from lsp_client import SERVER_CONFIG, Doc, RecordingClient, apply_edits, position_of

lsp_test = pytest.mark.asyncio(loop_scope="module")

LAYERS = """import torch.nn as nn


class ConvBNAct(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))
"""
BACKBONE = """import torch.nn as nn

from .layers import ConvBNAct


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBNAct(3, 32, stride=2)
        self.stage = ConvBNAct(64, 64)

    def forward(self, x):
        return self.stage(self.stem(x))
"""
NET = """import torch.nn as nn

from .backbone import Backbone


class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)
    def __init__(self):
        super().__init__()
        self.body = Backbone()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.pool(self.body(x)).flatten(1))
"""


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def client(lsp_client: RecordingClient, tmp_path_factory):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                text_document=lsp.TextDocumentClientCapabilities(
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True,
                                                                                 related_information=True))),
            root_uri=from_fs_path(str(tmp_path_factory.mktemp("workspace"))),
        )
    )
    yield
    await lsp_client.shutdown_session()


def _package(root, name: str, files: dict) -> str:
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for f, text in files.items():
        (pkg / f).write_text(text, encoding="utf-8")
    return str(pkg)


async def _published_on(client: RecordingClient, uri: str, after: int, timeout: float = 30.0) -> list:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for p in client.published[after:]:
            if p.uri == uri and p.diagnostics:
                return list(p.diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing published on {uri}")


async def _quick_fix(client: RecordingClient, uri: str, d: lsp.Diagnostic) -> lsp.CodeAction:
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=d.range,
        context=lsp.CodeActionContext(diagnostics=[d])))
    (action,) = [a for a in actions or [] if a.kind == lsp.CodeActionKind.QuickFix]
    return action


@pytest.mark.torch
@lsp_test
async def test_a_wrong_argument_in_a_sibling_module_is_published_and_fixed_there(client: RecordingClient, tmp_path):
    from torch_oracle import run_module_file

    pkg = _package(tmp_path, "sibpkg_a", {"layers.py": LAYERS, "backbone.py": BACKBONE, "net.py": NET})
    net = os.path.join(pkg, "net.py")
    assert run_module_file(net, str(tmp_path), "Net", [2, 3, 16, 16]).verdict == "crash"
    backbone_uri = from_fs_path(os.path.join(pkg, "backbone.py"))
    layers_uri = from_fs_path(os.path.join(pkg, "layers.py"))

    before = len(client.published)
    doc = Doc(client, tmp_path / "sibpkg_a" / "net.py", NET)  # only the using file is open
    assert await doc.diagnostics() == []  # nothing wrong is written in net.py itself
    (d,) = await _published_on(client, backbone_uri, before)
    assert d.code == "SHP001" and "64" in d.message and "32" in d.message
    assert d.range == position_of(BACKBONE, "64", 0)  # the first argument of ConvBNAct(64, 64)
    spots = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    helper_line = LAYERS.splitlines().index("        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)")
    assert (layers_uri, helper_line) in spots
    assert all(r.message for r in d.related_information)
    assert not [p for p in client.published[before:] if p.uri == layers_uri and p.diagnostics]

    action = await _quick_fix(client, backbone_uri, d)
    assert set(action.edit.changes) == {backbone_uri}  # the sibling with the call, never the shared helper
    fixed = apply_edits(BACKBONE, action.edit.changes[backbone_uri])
    assert fixed == BACKBONE.replace("ConvBNAct(64, 64)", "ConvBNAct(32, 64)")
    with open(os.path.join(pkg, "backbone.py"), "w", encoding="utf-8") as f:
        f.write(fixed)
    # a new name: torch imports it afresh (without the bytecode of the first import: the fix keeps the
    # file size, and within the same second of mtime a cached .pyc would still be taken for it)
    shutil.copytree(pkg, tmp_path / "sibpkg_a_fixed", ignore=shutil.ignore_patterns("__pycache__"))
    outcome = run_module_file(str(tmp_path / "sibpkg_a_fixed" / "net.py"), str(tmp_path), "Net", [2, 3, 16, 16])
    assert outcome.verdict == "ok", outcome.error

    # the fixed sibling saved: the next check of net.py clears what it published there
    before = len(client.published)
    doc.replace("nn.Linear(64, 10)", "nn.Linear(64, 10) ")
    assert await doc.diagnostics() == []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline and not [p for p in client.published[before:] if p.uri == backbone_uri]:
        await asyncio.sleep(0.02)
    (last,) = [p for p in client.published[before:] if p.uri == backbone_uri][-1:]
    assert list(last.diagnostics) == []


@pytest.mark.torch
@lsp_test
async def test_a_wrong_argument_to_a_sibling_class_is_on_the_using_file_related_to_the_helper(client, tmp_path):
    """fixtures/real/convbn_pkg/net_bad.py: `ConvBNAct(256, 256)` is wrong at the call in the open
    file; the related location is in layers.py, and the quick fix edits net_bad.py at the call."""
    from torch_oracle import run_module_file

    src = os.path.join(ROOT, "fixtures", "real", "convbn_pkg")
    pkg = tmp_path / "convbn_lsp_copy"
    shutil.copytree(src, pkg)
    text = (pkg / "net_bad.py").read_text(encoding="utf-8")
    layers = (pkg / "layers.py").read_text(encoding="utf-8")
    doc = Doc(client, pkg / "net_bad.py", text)
    (d,) = [x for x in await doc.diagnostics() if x.severity == lsp.DiagnosticSeverity.Error]
    call = position_of(text, "ConvBNAct(256, 256)")
    assert (d.range.start.line, d.range.start.character) == (call.start.line, call.start.character + len("ConvBNAct("))
    assert d.range.end.character == d.range.start.character + len("256")
    helper_line = next(i for i, ln in enumerate(layers.splitlines()) if "self.conv = nn.Conv2d(in_ch, out_ch" in ln)
    spots = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    assert (from_fs_path(str(pkg / "layers.py")), helper_line) in spots

    action = await _quick_fix(client, doc.uri, d)
    assert set(action.edit.changes) == {doc.uri}
    fixed = apply_edits(text, action.edit.changes[doc.uri])
    assert fixed == text.replace("ConvBNAct(256, 256)", "ConvBNAct(128, 256)")
    (pkg / "net_bad.py").write_text(fixed, encoding="utf-8")
    assert (pkg / "layers.py").read_text(encoding="utf-8") == layers
    outcome = run_module_file(str(pkg / "net_bad.py"), str(tmp_path), "Classifier", [2, 3, 16, 16])
    assert outcome.verdict == "ok", outcome.error


# ---------------------------------------------------------------------------- unchanged siblings are not parsed again


class _ParseSpy:
    """libcst as engine/siblings sees it, counting the sibling parses by their text."""

    def __init__(self):
        import libcst

        self._cst, self.parsed = libcst, []

    def __getattr__(self, name):
        return getattr(self._cst, name)

    def parse_module(self, text, *args, **kwargs):
        self.parsed.append(text)
        return self._cst.parse_module(text, *args, **kwargs)


def test_the_server_reuses_an_unchanged_siblings_parse_and_sees_an_edit_of_the_same_size(tmp_path, monkeypatch):
    """The server's check (ShapelintServer.build, the code path each document version takes):
    a second check of net.py whose siblings did not change parses neither again; an edit of
    backbone.py that keeps its size and modification time is still seen (the parse is kept
    by the content's digest), and only that sibling is parsed again."""
    from shapelint.engine import siblings
    from shapelint.frontends.lsp.server import create_server

    pkg = _package(tmp_path, "sibpkg_cache", {"layers.py": LAYERS, "backbone.py": BACKBONE, "net.py": NET})
    net, backbone = os.path.join(pkg, "net.py"), os.path.join(pkg, "backbone.py")
    spy = _ParseSpy()
    monkeypatch.setattr(siblings, "cst", spy)
    server = create_server()
    try:
        first = server.build(net, NET, 1, None)
        assert sorted(spy.parsed) == sorted([BACKBONE, LAYERS])
        assert [d.code for d in first.elsewhere[backbone]] == ["SHP001"]

        second = server.build(net, NET + "\n", 2, first)
        assert sorted(spy.parsed) == sorted([BACKBONE, LAYERS])  # nothing parsed again
        assert [d.code for d in second.elsewhere[backbone]] == ["SHP001"]

        fixed = BACKBONE.replace("ConvBNAct(64, 64)", "ConvBNAct(32, 64)")
        assert len(fixed) == len(BACKBONE)
        st = os.stat(backbone)
        with open(backbone, "w", encoding="utf-8") as f:
            f.write(fixed)
        os.utime(backbone, ns=(st.st_atime_ns, st.st_mtime_ns))
        third = server.build(net, NET, 3, second)
        assert sorted(spy.parsed) == sorted([BACKBONE, LAYERS, fixed])  # only the edited sibling again
        assert third.elsewhere == {} and third.diagnostics == []
    finally:
        server.executor.shutdown(wait=False)
