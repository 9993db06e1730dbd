"""`shapelint lsp` on notebooks (LSP 3.17 notebook document sync), driven by the real
pytest-lsp client: diagnostics are published per cell, in that cell's positions.

The broken model is confirmed broken by running the code cells with real torch;
positions are computed from the cell text (UTF-16 units).
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from lsp_client import SERVER_CONFIG, RecordingClient, apply_edits, position_of
from notebook_helpers import SPLIT_MODEL_CELLS, read_cells, run_code_cells, write_notebook

lsp_test = pytest.mark.asyncio(loop_scope="module")

IMPORTS = "%matplotlib inline\nimport torch\nimport torch.nn as nn\n"
NET = (
    "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        tag = '🔥'; self.conv = nn.Conv2d(3, 8, 3)\n"
    "        self.fc = nn.Linear(100, 10)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.fc(self.conv(x).flatten(1))\n"
)
USE = "model = Net()\n"


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def client(lsp_client: RecordingClient, tmp_path_factory):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                notebook_document=lsp.NotebookDocumentClientCapabilities(
                    synchronization=lsp.NotebookDocumentSyncClientCapabilities()),
                text_document=lsp.TextDocumentClientCapabilities(
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True)),
            ),
            root_uri=from_fs_path(str(tmp_path_factory.mktemp("workspace"))),
        )
    )
    yield
    await lsp_client.shutdown_session()


class NotebookDoc:
    def __init__(self, client, path, cells):
        self.client, self.uri, self.version = client, from_fs_path(str(path)), 1
        self.cells = [[kind, text, f"vscode-notebook-cell:{path}#cell{i}", 1] for i, (kind, text) in enumerate(cells)]
        client.notebook_document_did_open(lsp.DidOpenNotebookDocumentParams(
            notebook_document=lsp.NotebookDocument(
                uri=self.uri, notebook_type="jupyter-notebook", version=1,
                cells=[lsp.NotebookCell(kind=lsp.NotebookCellKind.Code if k == "code" else lsp.NotebookCellKind.Markup,
                                        document=u) for k, _t, u, _v in self.cells]),
            cell_text_documents=[lsp.TextDocumentItem(uri=u, language_id="python" if k == "code" else "markdown",
                                                      version=1, text=t) for k, t, u, _v in self.cells]))

    def replace(self, index: int, old: str, new: str) -> None:
        cell = self.cells[index]
        r = position_of(cell[1], old)
        cell[1] = cell[1].replace(old, new, 1)
        cell[3] += 1
        self.version += 1
        self.client.notebook_document_did_change(lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(uri=self.uri, version=self.version),
            change=lsp.NotebookDocumentChangeEvent(cells=lsp.NotebookDocumentCellChanges(text_content=[
                lsp.NotebookDocumentCellContentChanges(
                    document=lsp.VersionedTextDocumentIdentifier(uri=cell[2], version=cell[3]),
                    changes=[lsp.TextDocumentContentChangePartial(range=r, text=new)])]))))

    async def diagnostics(self, after: int, timeout: float = 30.0) -> dict:
        """{cell index: diagnostics} once every cell has been published after `after` messages."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        uris = {c[2]: i for i, c in enumerate(self.cells)}
        while loop.time() < deadline:
            seen = {}
            for p in self.client.published[after:]:
                if p.uri in uris:
                    seen[uris[p.uri]] = list(p.diagnostics)
            if len(seen) == len(self.cells):
                return seen
            await asyncio.sleep(0.02)
        raise AssertionError(f"not every cell was published: {sorted(seen)}")


@pytest.mark.torch
@lsp_test
async def test_notebook_diagnostics_are_published_per_cell(client: RecordingClient, tmp_path):
    from torch_oracle import run_model

    assert run_model(IMPORTS.replace("%matplotlib inline\n", "") + NET, "Net", [2, 3, 32, 32]).verdict == "crash"
    before = len(client.published)
    doc = NotebookDoc(client, tmp_path / "nb.ipynb",
                      [("markdown", "# Net\nnn.Linear(1, 2)"), ("code", IMPORTS), ("code", NET), ("code", USE)])
    diags = await doc.diagnostics(before)
    assert diags[0] == [] and diags[1] == [] and diags[3] == []
    (d,) = diags[2]
    assert d.code == "SHP002" and d.range == position_of(NET, "100")
    assert "7200" in d.message and "cell 3, line 8" in d.message
    # where the 7200 is made: the same cell, by its URI
    assert [(r.location.uri, r.location.range) for r in d.related_information or []] == [
        (doc.cells[2][2], position_of(NET, "self.conv(x).flatten(1)"))]

    # an edit in the cell fixes it: every cell is published again, all clean
    before = len(client.published)
    doc.replace(2, "nn.Linear(100, 10)", "nn.Linear(7200, 10)")
    assert run_model(IMPORTS.replace("%matplotlib inline\n", "") + doc.cells[2][1], "Net", [2, 3, 32, 32]).verdict == "ok"
    diags = await doc.diagnostics(before)
    assert all(v == [] for v in diags.values()), diags

    # and one in another cell breaks it again (the channels the conv gets)
    before = len(client.published)
    doc.replace(2, "nn.Conv2d(3, 8, 3)", "nn.Conv2d(4, 8, 3)")
    diags = await doc.diagnostics(before)
    assert [x.code for x in diags[2]] == ["SHP001"]
    assert diags[2][0].range.start.line == 3

    before = len(client.published)
    client.notebook_document_did_close(lsp.DidCloseNotebookDocumentParams(
        notebook_document=lsp.NotebookDocumentIdentifier(uri=doc.uri),
        cell_text_documents=[lsp.TextDocumentIdentifier(uri=c[2]) for c in doc.cells]))
    diags = await doc.diagnostics(before)
    assert all(v == [] for v in diags.values())


# ---------------------------------------------------------------------------- hover, hints, quick fixes per cell

FORWARD_NET = (
    "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 8, 3)\n"
    "        self.fc = nn.Linear(100, 10)\n"
    "\n"
    "    def forward(self, x):\n"
    "        y = self.conv(x)\n"
    "        z = y.flatten(1)\n"
    "        return self.fc(z)\n"
)


@pytest.mark.torch
@lsp_test
async def test_notebook_cells_get_hover_hints_and_quick_fixes_in_cell_positions(client: RecordingClient, tmp_path):
    import torch

    cells = read_cells(write_notebook(tmp_path / "nb2.ipynb", [("markdown", "# A net"), ("code", IMPORTS), ("code", FORWARD_NET)]))
    scope = run_code_cells(cells)
    model = scope["Net"]()
    y = model.conv(torch.zeros(2, 3, 32, 32))
    y_shape, z_shape = tuple(y.shape), tuple(y.flatten(1).shape)
    with pytest.raises(RuntimeError):
        model(torch.zeros(2, 3, 32, 32))  # the broken fc, as the diagnostic says

    before = len(client.published)
    doc = NotebookDoc(client, tmp_path / "nb2.ipynb", cells)
    diags = await doc.diagnostics(before)
    (d,) = diags[2]
    net_uri, net = doc.cells[2][2], doc.cells[2][1]
    assert d.range == position_of(net, "100")

    # hover on a tensor variable where it is read: its shape there, from torch
    where = position_of(net, "y.flatten").start
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=net_uri), position=where))
    assert hover is not None and str(y_shape).replace(" ", "") in hover.contents.value.replace(" ", "")
    assert hover.range.start.line == where.line  # positions in the cell, not in the notebook

    # hover on the layer's attribute name where it is defined: its input and output shapes
    where = position_of(net, "conv = nn").start
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=net_uri), position=where))
    assert hover is not None and "Conv2d" in hover.contents.value
    assert str(y_shape).replace(" ", "") in hover.contents.value.replace(" ", "")

    # inlay hints for the cell, on the cell's lines
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(
        text_document=lsp.TextDocumentIdentifier(uri=net_uri),
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=100, character=0))))
    by_line = {h.position.line: h.label for h in hints or []}
    y_line = net.split("\n").index("        y = self.conv(x)")
    z_line = net.split("\n").index("        z = y.flatten(1)")
    assert by_line[y_line].replace(" ", "") == f"y:{y_shape}".replace(" ", "")
    assert by_line[z_line].replace(" ", "") == f"z:{z_shape}".replace(" ", "")
    assert max(by_line) < len(net.split("\n"))
    imports_hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(
        text_document=lsp.TextDocumentIdentifier(uri=doc.cells[1][2]),
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=100, character=0))))
    assert not imports_hints

    # the quick fix edits the cell; the fixed cells run in torch
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=net_uri), range=d.range,
        context=lsp.CodeActionContext(diagnostics=[d])))
    (action,) = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix]
    assert set(action.edit.changes) == {net_uri}
    fixed = apply_edits(net, action.edit.changes[net_uri])
    assert fixed == net.replace("nn.Linear(100, 10)", f"nn.Linear({z_shape[1]}, 10)")
    scope = run_code_cells([cells[0], cells[1], ("code", fixed)])
    assert tuple(scope["Net"]()(torch.zeros(2, 3, 32, 32)).shape) == (2, 10)


# ---------------------------------------------------------------------------- related information in other cells


@pytest.mark.torch
@lsp_test
async def test_related_information_points_at_the_other_cells(client: RecordingClient, tmp_path):
    """A finding in one cell explained by two others: relatedInformation names each cell's URI,
    with the range in that cell (UTF-16: an emoji before the flatten on its line)."""
    import torch

    cells = [(k, t.replace("        return self.conv(x)", "        t = '🔥'; return self.conv(x)")) for k, t in SPLIT_MODEL_CELLS]
    cells = read_cells(write_notebook(tmp_path / "split.ipynb", cells))
    scope = run_code_cells(cells)
    with pytest.raises(RuntimeError):
        scope["Net"]()(torch.zeros(2, 3, 32, 32))
    features = scope["Features"]()(torch.zeros(2, 3, 32, 32)).shape[1]  # the size fc gets
    assert scope["head"](7).in_features == 7  # head's `n` is the Linear's in_features

    before = len(client.published)
    doc = NotebookDoc(client, tmp_path / "split.ipynb", cells)
    diags = await doc.diagnostics(before)
    assert all(diags[i] == [] for i in (0, 1, 2, 3)), diags
    (d,) = diags[4]
    assert d.code == "SHP002" and d.range == position_of(cells[4][1], "100") and f"receives {features}" in d.message
    n = position_of(cells[3][1], "n, 10").start  # the parameter `n` the Linear gets
    related = [(r.location.uri, r.location.range) for r in d.related_information or []]
    assert related == [(doc.cells[2][2], position_of(cells[2][1], "self.conv(x).flatten(1)")),
                       (doc.cells[3][2], lsp.Range(start=n, end=lsp.Position(line=n.line, character=n.character + 1)))]
    assert [r.message for r in d.related_information][0] == "the size that arrives comes from here"


# ---------------------------------------------------------------------------- related information in a sibling .py file

SIBLING_BLOCKS = (  # nbsib_blocks.py beside the notebook; the emoji makes UTF-16 columns differ
    "import torch.nn as nn\n"
    "\n"
    "\n"
    "class ConvBN(nn.Module):\n"
    "    def __init__(self, in_ch, out_ch, stride=1):\n"
    "        super().__init__()\n"
    "        tag = '🔥'; self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)\n"
    "        self.bn = nn.BatchNorm2d(out_ch)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.bn(self.conv(x))\n"
)
SIBLING_NET_CELLS = [
    ("markdown", "# A net of blocks from nbsib_blocks.py"),
    ("code", "import torch.nn as nn\nfrom nbsib_blocks import ConvBN"),
    ("code", "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
             "    def __init__(self):\n"
             "        super().__init__()\n"
             "        self.stem = ConvBN(3, 32, stride=2)\n"
             "        self.stage = ConvBN(64, 64)\n"
             "\n"
             "    def forward(self, x):\n"
             "        return self.stage(self.stem(x))"),
]


@pytest.mark.torch
@lsp_test
async def test_related_information_in_a_sibling_file_has_its_uri_and_positions(client: RecordingClient, tmp_path):
    """A finding in a cell whose argument reaches a layer built in a sibling .py file: that
    related location is on the sibling's file URI, in the sibling's lines and UTF-16 columns
    (not moved into a cell); the one in the finding's own cell stays on the cell's URI."""
    import sys

    import torch

    blocks = tmp_path / "nbsib_blocks.py"
    blocks.write_text(SIBLING_BLOCKS, encoding="utf-8")
    cells = read_cells(write_notebook(tmp_path / "sibling.ipynb", SIBLING_NET_CELLS))
    sys.path.insert(0, str(tmp_path))
    try:
        scope = run_code_cells(cells)
        with pytest.raises(RuntimeError):
            scope["Net"]()(torch.zeros(2, 3, 16, 16))
        stem_out = scope["Net"]().stem(torch.zeros(2, 3, 16, 16)).shape[1]  # what stage gets
        assert scope["ConvBN"](7, 4).conv.in_channels == 7  # in_ch is the Conv2d's in_channels
        fixed = [cells[0], cells[1], ("code", cells[2][1].replace("ConvBN(64, 64)", f"ConvBN({stem_out}, 64)"))]
        assert tuple(run_code_cells(fixed)["Net"]()(torch.zeros(2, 3, 16, 16)).shape) == (2, 64, 8, 8)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("nbsib_blocks", None)

    before = len(client.published)
    doc = NotebookDoc(client, tmp_path / "sibling.ipynb", cells)
    diags = await doc.diagnostics(before)
    assert diags[0] == [] and diags[1] == []
    (d,) = diags[2]
    net = cells[2][1]
    assert d.code == "SHP001" and d.range == position_of(net, "64") and f"receives {stem_out}" in d.message
    related = {(r.location.uri, r.location.range.start.line, r.location.range.start.character,
                r.location.range.end.line, r.location.range.end.character) for r in d.related_information or []}
    sibling_uri = from_fs_path(str(blocks))
    in_ch = position_of(SIBLING_BLOCKS, "in_ch, out_ch, 3")
    conv_call = position_of(SIBLING_BLOCKS, "nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)")
    stem_32 = position_of(net, "32")
    assert (sibling_uri, in_ch.start.line, in_ch.start.character, in_ch.start.line, in_ch.start.character + 5) in related
    assert (sibling_uri, conv_call.start.line, conv_call.start.character, conv_call.end.line,
            conv_call.end.character) in related
    assert (doc.cells[2][2], stem_32.start.line, stem_32.start.character, stem_32.end.line,
            stem_32.end.character) in related
    assert all(uri in (sibling_uri, doc.cells[2][2]) for uri, *_ in related)
