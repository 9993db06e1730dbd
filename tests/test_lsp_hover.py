"""Hover everywhere a shape means something (issue 14 point 3), through the real
pytest-lsp client: a layer's attribute name where it is defined (`self.conv1 = ...`)
and where it is called (`self.conv1(x)`), and a tensor variable in forward (its shape
at that point). Every expected shape is the one real torch computes.
"""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from lsp_client import SERVER_CONFIG, Doc, RecordingClient, position_of
from torch_oracle import run_model

lsp_test = pytest.mark.asyncio(loop_scope="module")

MODEL = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):  # shapelint: input=(4, 3, 32, 32)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=2, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(18 * 8 * 8, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            y = self.pool(x)
            flat = torch.flatten(y, 1)
            return self.fc(flat)
    """
)


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def client(lsp_client: RecordingClient, tmp_path_factory):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                text_document=lsp.TextDocumentClientCapabilities(
                    hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
                ),
            ),
            root_uri=from_fs_path(str(tmp_path_factory.mktemp("workspace"))),
        )
    )
    yield
    await lsp_client.shutdown_session()


def label(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


async def hover_at(client, doc, position):
    return await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=position))


def inside(r: lsp.Range, offset: int = 1) -> lsp.Position:
    return lsp.Position(line=r.start.line, character=r.start.character + offset)


@pytest.fixture(scope="module")
def torch_run():
    outcome = run_model(MODEL, "Net", [4, 3, 32, 32])
    assert outcome.verdict == "ok"
    return outcome


@pytest.mark.torch
@lsp_test
async def test_hover_on_a_layer_attribute_where_it_is_defined_and_called(client, tmp_path, torch_run):
    doc = Doc(client, tmp_path / "net.py", MODEL)
    assert await doc.diagnostics() == []
    conv = label(torch_run.shapes["conv1"][0])
    expected = f"in `(4, 3, 32, 32)` -> out `{conv}`"
    name = position_of(MODEL, "conv1")  # `self.conv1 = nn.Conv2d(...)`: the attribute's name
    for where in (inside(name), name.start, lsp.Position(line=name.start.line, character=name.start.character - 3)):
        hover = await hover_at(client, doc, where)  # on `conv1`, its start, and `self`
        assert hover is not None and expected in hover.contents.value, where
        assert "**conv1**" in hover.contents.value
        assert hover.range == lsp.Range(start=lsp.Position(line=name.start.line, character=name.start.character - 5),
                                        end=name.end)
    called = position_of(MODEL, "conv1", 1)  # `self.conv1(x)` in forward
    hover = await hover_at(client, doc, inside(called))
    assert hover is not None and expected in hover.contents.value
    # torch's formula for the height, as the hover writes it
    assert f"height: (32 + 2*1 - 3) // 2 + 1 = {torch_run.shapes['conv1'][0][2]}" in hover.contents.value
    pool = position_of(MODEL, "pool")
    hover = await hover_at(client, doc, inside(pool))
    assert f"out `{label(torch_run.shapes['pool'][0])}`" in hover.contents.value


@pytest.mark.torch
@lsp_test
async def test_hover_on_a_tensor_variable_shows_its_shape_there(client, tmp_path, torch_run):
    doc = Doc(client, tmp_path / "net.py", MODEL)
    await doc.diagnostics()
    conv, pool = label(torch_run.shapes["conv1"][0]), label(torch_run.shapes["pool"][0])
    p = torch_run.shapes["pool"][0]
    flat = label([p[0], p[1] * p[2] * p[3]])  # torch.flatten(y, 1), as torch defines it
    assert torch_run.shapes["fc"][0] == [p[0], 10]
    cases = [
        (position_of(MODEL, "x = F.relu"), conv),            # the target: what it is bound to
        (position_of(MODEL, "x)\n        flat"), conv),       # read on the next line: the same value
        (position_of(MODEL, "y = self"), pool),
        (position_of(MODEL, "y, 1"), pool),
        (position_of(MODEL, "flat = "), flat),
        (position_of(MODEL, "flat)"), flat),
    ]
    for r, shape in cases:
        hover = await hover_at(client, doc, r.start)
        assert hover is not None, r
        assert f"shape `{shape}`" in hover.contents.value, (r, hover.contents.value)
    # `x` read on the line that rebinds it is the value before: torch's input
    r = position_of(MODEL, "conv1(x)")
    hover = await hover_at(client, doc, lsp.Position(line=r.start.line, character=r.start.character + 6))
    assert hover is not None and "in `(4, 3, 32, 32)`" in hover.contents.value  # the call of conv1 answers there
    # a name that is no tensor gives no hover
    r = position_of(MODEL, "super")
    assert await hover_at(client, doc, inside(r)) is None


FUNCTIONAL = textwrap.dedent(
    """\
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):  # shapelint: input=(2, 4, 20, 20)
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 6, 3)

        def forward(self, x):
            x = self.conv(x)
            x = F.max_pool2d(x, 3, stride=2, padding=1)
            return F.avg_pool2d(x, kernel_size=2)
    """
)


@pytest.mark.torch
@lsp_test
async def test_hover_on_a_functional_op_shows_its_formula(client, tmp_path):
    import torch
    import torch.nn.functional as F

    x = torch.randn(6, 18, 18)[None].expand(2, 6, 18, 18)  # what the conv gives: 20 - 3 + 1
    pooled = F.max_pool2d(x, 3, stride=2, padding=1)
    avg = F.avg_pool2d(pooled, kernel_size=2)
    assert run_model(FUNCTIONAL, "Net", [2, 4, 20, 20]).output == list(avg.shape)
    doc = Doc(client, tmp_path / "f.py", FUNCTIONAL)
    await doc.diagnostics()
    hover = await hover_at(client, doc, inside(position_of(FUNCTIONAL, "max_pool2d")))
    text = hover.contents.value
    assert f"in `{label(x.shape)}` -> out `{label(pooled.shape)}`" in text
    assert (18 + 2 * 1 - 1 * (3 - 1) - 1) // 2 + 1 == pooled.shape[2]  # torch's formula (dilation 1)
    assert f"height: (18 + 2*1 - 3) // 2 + 1 = {pooled.shape[2]}" in text, text
    hover = await hover_at(client, doc, inside(position_of(FUNCTIONAL, "avg_pool2d")))
    text = hover.contents.value
    assert "stride defaults to kernel_size=2" in text
    assert (9 + 2 * 0 - 2) // 2 + 1 == avg.shape[3]
    assert f"width: (9 + 2*0 - 2) // 2 + 1 = {avg.shape[3]}" in text, text


VIEW_BUG = textwrap.dedent(
    """\
    import torch.nn as nn


    class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(100, 10)

        def forward(self, x):
            x = self.conv(x)
            x = x.view(x.size(0), -1)
            return self.fc(x)
    """
)


@pytest.mark.torch
@lsp_test
async def test_a_diagnostic_links_to_where_the_incoming_size_comes_from(client, tmp_path):
    outcome = run_model(VIEW_BUG, "Net", [2, 3, 8, 8])
    assert outcome.verdict == "crash" and outcome.shapes["conv"][0] == [2, 4, 6, 6]  # 4*6*6 = 144 arrive, not 100
    doc = Doc(client, tmp_path / "v.py", VIEW_BUG)
    (d,) = await doc.diagnostics()
    assert d.code == "SHP002" and "144" in d.message
    (rel,) = d.related_information
    view_line = VIEW_BUG.splitlines().index("        x = x.view(x.size(0), -1)")
    assert rel.location.uri == doc.uri and rel.location.range.start.line == view_line
    assert f"line {view_line + 1}" in d.message


@lsp_test
async def test_a_call_site_diagnostic_links_to_the_helper_layer(client, tmp_path):
    """unet_helper_bad.py: the error is at `double_conv(base, base)`, related to the helper's Conv2d."""
    import os

    from conftest import ROOT

    with open(os.path.join(ROOT, "fixtures", "real", "unet_helper_bad.py"), encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    call = next(i for i, ln in enumerate(lines) if "double_conv(base, base)  # defect" in ln)
    layer = next(i for i, ln in enumerate(lines) if "nn.Conv2d(in_channels, out_channels, 3" in ln)
    doc = Doc(client, tmp_path / "unet.py", text)
    (d,) = [x for x in await doc.diagnostics() if x.code == "SHP001"]
    assert d.range.start.line == call
    spots = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    assert (doc.uri, layer) in spots
    assert all(r.message for r in d.related_information)
