"""`shapelint lsp` and the content cache (issue 14.3, docs/editors.md "What the server
reuses"): the server never reads nor writes `.shapelint_cache/`, even where the CLI's cache
is on. Every check of a buffer is a fresh lint_source of its text (with the explain tables
hover and hints need, which cache entries do not hold); what it reuses lives in its own
process (sibling parses by content digest: tests/test_lsp_siblings.py).

Driven by the real pytest-lsp client, with a server whose environment has the cache on.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig

from conftest import ROOT, run_cli
from lsp_client import SERVER_ENV, Doc, RecordingClient, make_client

lsp_test = pytest.mark.asyncio(loop_scope="module")

CACHE_ON = {k: v for k, v in SERVER_ENV.items() if k not in ("SHAPELINT_NO_CACHE", "SHAPELINT_CACHE_DIR")}
SERVER_WITH_CACHE_ON = ClientServerConfig(server_command=[sys.executable, "-m", "shapelint", "lsp"],
                                          server_env=CACHE_ON, client_factory=make_client)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("cached_project")
    (root / "pyproject.toml").write_text("[tool.shapelint]\n")
    return root


@pytest_lsp.fixture(config=SERVER_WITH_CACHE_ON, scope="module")
async def client(lsp_client: RecordingClient, project):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(text_document=lsp.TextDocumentClientCapabilities(
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True))),
        root_uri=from_fs_path(str(project))))
    yield
    await lsp_client.shutdown_session()


def _tree(directory) -> dict:
    out = {}
    for d, _dirs, names in os.walk(directory):
        for n in names:
            with open(os.path.join(d, n), "rb") as fh:
                out[os.path.relpath(os.path.join(d, n), directory)] = fh.read()
    return out


async def _next_publication(client: RecordingClient, uri: str, after: int, timeout: float = 30.0) -> list:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for p in client.published[after:]:
            if p.uri == uri:
                return list(p.diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing published on {uri} after message {after}")


@pytest.mark.torch
@lsp_test
async def test_the_server_neither_reads_nor_writes_the_projects_cache(client: RecordingClient, project):
    import torch
    import torch.nn.functional as F
    from torch_oracle import load

    with open(os.path.join(ROOT, "fixtures", "shp002_linear_bad.py")) as fh:
        text = fh.read()
    model = load(text).LeNet()
    x = torch.zeros(8, 1, 28, 28)
    incoming = model.conv2(F.max_pool2d(F.relu(model.conv1(x)), 2)).flatten(1).shape[1]
    with pytest.raises(RuntimeError):
        model(x)

    # the CLI, cache on, stores an entry in the project; that entry is then tampered with
    # (no findings, the content digest kept), and the CLI serves it: a reader of the cache
    # would see a clean file
    (project / "lenet.py").write_text(text)
    env = {k: v for k, v in os.environ.items() if k not in ("SHAPELINT_NO_CACHE", "SHAPELINT_CACHE_DIR")}
    assert run_cli("--format", "json", "lenet.py", cwd=str(project), env=env).returncode == 1
    cache = project / ".shapelint_cache"
    (entry,) = [name for name in _tree(cache) if name.endswith(".json")]
    data = json.loads((cache / entry).read_text())
    data["findings"] = []
    (cache / entry).write_text(json.dumps(data))
    served = run_cli("--format", "json", "lenet.py", cwd=str(project), env=env)
    assert (served.returncode, json.loads(served.stdout)) == (0, [])
    before = _tree(cache)
    elsewhere = os.path.exists(os.path.join(ROOT, ".shapelint_cache")) and _tree(os.path.join(ROOT, ".shapelint_cache"))

    # the server checks the file itself: the finding torch confirms, not the tampered entry
    doc = Doc(client, project / "lenet.py", text)
    (d,) = await doc.diagnostics()
    assert d.code == "SHP002" and f"receives {incoming}" in d.message
    doc.replace("# defect", "# still the defect")
    (d,) = await doc.diagnostics()
    assert d.code == "SHP002"
    (project / "lenet.py").write_text(doc.text)  # saved, then closed (its diagnostics cleared)
    after = len(client.published)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc.uri)))
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc.uri)))
    assert await _next_publication(client, doc.uri, after) == []

    # and wrote nothing: the project's cache is byte for byte as it was, none appeared elsewhere
    assert _tree(cache) == before
    assert sorted(p.name for p in project.iterdir()) == [".shapelint_cache", "lenet.py", "pyproject.toml"]
    now = os.path.exists(os.path.join(ROOT, ".shapelint_cache")) and _tree(os.path.join(ROOT, ".shapelint_cache"))
    assert now == elsewhere
