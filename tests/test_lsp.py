"""`shapelint lsp` end to end: a real LSP client (pytest-lsp) drives the server over stdio.

Expected shapes come from real torch (tests/torch_oracle.run_model) or from torch's
documented formulas written out here; expected positions are computed from the fixture
text itself (UTF-16 code units, as LSP counts them), never copied from shapelint.
"""

from __future__ import annotations

import os
import sys
import textwrap

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from lsp_client import SERVER_CONFIG, SERVER_ENV, Doc, RecordingClient, apply_edits, line_of, position_of, utf16
from torch_oracle import run_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# one server for the whole module: starting one costs seconds (lsprotocol imports slowly)
lsp_test = pytest.mark.asyncio(loop_scope="module")

FLATTEN_BUG = textwrap.dedent(
    """\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):  # shapelint: input=(4, 3, 32, 32)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=1, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            tag = "🔥"; self.fc1 = nn.Linear(18 * 32 * 32, 64)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = self.pool(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            return self.fc2(x)
    """
)
BAD_FEATURES = "18 * 32 * 32"
# torch's formulas: conv (32 + 2*1 - 3)//1 + 1 = 32 keeps 32x32; the 2x2 pool halves it
GOOD_FEATURES = str(18 * ((32 + 2 * 1 - 3) // 1 + 1) // 2 * ((32 + 2 * 1 - 3) // 1 + 1) // 2)


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def client(lsp_client: RecordingClient, tmp_path_factory):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                text_document=lsp.TextDocumentClientCapabilities(
                    hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
                    inlay_hint=lsp.InlayHintClientCapabilities(),
                    code_action=lsp.CodeActionClientCapabilities(),
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
                ),
            ),
            root_uri=from_fs_path(str(tmp_path_factory.mktemp("workspace"))),
        )
    )
    yield
    await lsp_client.shutdown_session()


def torch_shapes(source: str, target: str, shape: list):
    outcome = run_model(source, target, shape)
    return outcome


# ---------------------------------------------------------------------------- diagnostics


@pytest.mark.torch
@lsp_test
async def test_diagnostic_range_is_utf16_after_an_emoji(client: RecordingClient, tmp_path):
    assert run_model(FLATTEN_BUG, "Net", [4, 3, 32, 32]).verdict == "crash"  # torch agrees it is a bug
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["SHP002"]
    # the emoji is one code point but two UTF-16 units: the range must count it as two
    assert diags[0].range == position_of(FLATTEN_BUG, BAD_FEATURES)
    assert diags[0].severity == lsp.DiagnosticSeverity.Error
    assert f"receives {GOOD_FEATURES}" in diags[0].message
    assert diags[0].source == "shapelint"


@pytest.mark.torch
@lsp_test
async def test_change_introduces_then_removes_a_bug(client: RecordingClient, tmp_path):
    good = FLATTEN_BUG.replace(BAD_FEATURES, "18 * 16 * 16")
    assert run_model(good, "Net", [4, 3, 32, 32]).verdict == "ok"
    doc = Doc(client, tmp_path / "net.py", good)
    assert await doc.diagnostics() == []
    doc.replace("18 * 16 * 16", "18 * 16 * 8")
    assert run_model(doc.text, "Net", [4, 3, 32, 32]).verdict == "crash"
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["SHP002"]
    assert diags[0].range == position_of(doc.text, "18 * 16 * 8")
    doc.replace("18 * 16 * 8", "18 * 16 * 16")
    assert await doc.diagnostics() == []


@lsp_test
async def test_syntax_error_keeps_results_for_unchanged_lines(client: RecordingClient, tmp_path):
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    assert [d.code for d in await doc.diagnostics()] == ["SHP002"]
    # half-typed code in forward, plus a new line above the defect (so it moves down one line)
    doc.replace("        x = self.pool(x)\n", "        x = self.pool(\n")
    doc.replace("        self.conv1 =", "        # a comment\n        self.conv1 =")
    diags = await doc.diagnostics()
    codes = sorted(d.code for d in diags)
    assert codes == ["SHP002", "SHP100"], [(d.code, d.message) for d in diags]
    kept = next(d for d in diags if d.code == "SHP002")
    assert kept.range == position_of(doc.text, BAD_FEATURES)
    hints = await doc.hints()
    assert line_of(doc.text, "x = self.conv1(x)") in hints  # hints of unchanged lines survive too
    # finishing the statement brings back a clean, fully checked state
    doc.replace("        x = self.pool(\n", "        x = self.pool(x)\n")
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["SHP002"]
    assert diags[0].range == position_of(doc.text, BAD_FEATURES)


@lsp_test
async def test_burst_of_50_changes_publishes_the_last_state(client: RecordingClient, tmp_path):
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    await doc.diagnostics()
    published_before = len(client.published)
    value = BAD_FEATURES
    for i in range(50):
        new = str(1000 + i)
        doc.replace(value, new)
        value = new
    diags = await doc.diagnostics()
    assert doc.version == 51
    assert [d.code for d in diags] == ["SHP002"]
    assert "expects 1049 input features" in diags[0].message
    assert diags[0].range == position_of(doc.text, "1049")
    burst = [p for p in client.published[published_before:] if p.uri == doc.uri]
    assert len(burst) < 50  # the pause after each change coalesced the burst
    assert [p.version for p in burst] == sorted(p.version for p in burst)  # never an older state last
    assert client.error is None


# ---------------------------------------------------------------------------- inlay hints

HINTS_MODEL = textwrap.dedent(
    """\
    import torch.nn as nn


    class Net(nn.Module):  # shapelint: input=(4, 3, 32, 32)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=2, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(18 * 8 * 8, 64)
            self.fc2 = nn.Linear(64, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = self.pool(x)
            x = self.flatten(x)
            h = self.fc1(x)
            return self.fc2(h)
    """
)


def shape_label(dims) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


@pytest.mark.torch
@lsp_test
async def test_inlay_hints_show_the_shapes_torch_computes(client: RecordingClient, tmp_path):
    outcome = run_model(HINTS_MODEL, "Net", [4, 3, 32, 32])
    assert outcome.verdict == "ok", outcome.error
    torch_out = {name: shapes[0] for name, shapes in outcome.shapes.items()}
    doc = Doc(client, tmp_path / "net.py", HINTS_MODEL)
    assert await doc.diagnostics() == []
    hints = await doc.hints()
    # after each forward statement: the tensor it binds, as torch produced it
    for stmt, name, module in [
        ("x = self.conv1(x)", "x", "conv1"),
        ("x = self.pool(x)", "x", "pool"),
        ("x = self.flatten(x)", "x", "flatten"),
        ("h = self.fc1(x)", "h", "fc1"),
    ]:
        hint = hints[line_of(HINTS_MODEL, stmt)]
        assert hint.label == f"{name}: {shape_label(torch_out[module])}", stmt
        line_text = HINTS_MODEL.splitlines()[line_of(HINTS_MODEL, stmt)]
        assert hint.position.character == utf16(line_text)  # at the end of the statement
    assert hints[line_of(HINTS_MODEL, "return self.fc2(h)")].label == f"-> {shape_label(torch_out['fc2'])}"
    # after each layer definition in __init__: in -> out
    previous = [4, 3, 32, 32]
    for definition, module in [
        ("self.conv1 = nn.Conv2d", "conv1"),
        ("self.pool = nn.MaxPool2d", "pool"),
        ("self.flatten = nn.Flatten", "flatten"),
        ("self.fc1 = nn.Linear", "fc1"),
        ("self.fc2 = nn.Linear", "fc2"),
    ]:
        hint = hints[line_of(HINTS_MODEL, definition)]
        assert hint.label == f"{shape_label(previous)} -> {shape_label(torch_out[module])}", definition
        previous = torch_out[module]


@pytest.mark.torch
@lsp_test
async def test_input_shape_comes_from_the_workspace_pyproject(client: RecordingClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint.input-shapes]\nNet = [2, 3, 16, 16]\n')
    source = HINTS_MODEL.replace("  # shapelint: input=(4, 3, 32, 32)", "").replace("18 * 8 * 8", "18 * 4 * 4")
    outcome = run_model(source, "Net", [2, 3, 16, 16])
    assert outcome.verdict == "ok", outcome.error
    doc = Doc(client, tmp_path / "net.py", source)
    assert await doc.diagnostics() == []
    hints = await doc.hints()
    assert hints[line_of(source, "x = self.conv1(x)")].label == f"x: {shape_label(outcome.shapes['conv1'][0])}"


@lsp_test
async def test_a_broken_pyproject_is_a_diagnostic_not_a_crash(client: RecordingClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint\n")
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    diags = await doc.diagnostics()
    config = [d for d in diags if "pyproject.toml" in d.message]
    assert len(config) == 1 and "not valid TOML" in config[0].message
    assert config[0].code == "config-error" and config[0].range.start.line == 0
    assert "SHP002" in [d.code for d in diags]  # the file is still checked


# ---------------------------------------------------------------------------- hover and quick fix


@pytest.mark.torch
@lsp_test
async def test_hover_on_a_conv_call_shows_the_arithmetic(client: RecordingClient, tmp_path):
    outcome = run_model(HINTS_MODEL, "Net", [4, 3, 32, 32])
    height = outcome.shapes["conv1"][0][2]
    assert height == (32 + 2 * 1 - 3) // 2 + 1  # torch's documented formula, checked by torch
    doc = Doc(client, tmp_path / "net.py", HINTS_MODEL)
    await doc.diagnostics()
    call = position_of(HINTS_MODEL, "self.conv1(x)")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=call.start)
    )
    text = hover.contents.value
    assert f"height: (32 + 2*1 - 3) // 2 + 1 = {height}" in text
    assert f"width: (32 + 2*1 - 3) // 2 + 1 = {outcome.shapes['conv1'][0][3]}" in text
    assert f"in `(4, 3, 32, 32)` -> out `{shape_label(outcome.shapes['conv1'][0])}`" in text
    assert hover.range == call


@lsp_test
async def test_hover_on_a_definition_shows_its_finding_and_fix(client: RecordingClient, tmp_path):
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    await doc.diagnostics()
    where = position_of(FLATTEN_BUG, "nn.Linear(18 * 32")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=where.end)
    )
    text = hover.contents.value
    assert "**fc1**" in text
    assert f"Fix: Set in_features={GOOD_FEATURES}" in text
    assert f"receives {GOOD_FEATURES} (does not match in_features={18 * 32 * 32})" in text


@pytest.mark.torch
@lsp_test
async def test_quick_fix_applied_makes_the_diagnostic_go_away(client: RecordingClient, tmp_path):
    doc = Doc(client, tmp_path / "net.py", FLATTEN_BUG)
    (diag,) = await doc.diagnostics()
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=doc.uri),
            range=diag.range,
            context=lsp.CodeActionContext(diagnostics=[diag]),
        )
    )
    (action,) = actions
    assert action.kind == lsp.CodeActionKind.QuickFix
    edits = action.edit.changes[doc.uri]
    fixed = apply_edits(doc.text, edits)
    assert run_model(fixed, "Net", [4, 3, 32, 32]).verdict == "ok"  # torch runs the fixed model
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        doc.edit(e.range, e.new_text)
    assert doc.text == fixed
    assert await doc.diagnostics() == []


BLOCK_TWICE = textwrap.dedent(
    """\
    import torch.nn as nn


    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return y


    class Net(nn.Module):  # shapelint: input=(2, 3, 40, 40)
        def __init__(self):
            super().__init__()
            self.a = Block(3, 8)
            self.b = Block(8, 16)

        def forward(self, x):
            return self.b(self.a(x))
    """
)


@pytest.mark.torch
@lsp_test
async def test_a_block_used_twice_shows_both_runs(client: RecordingClient, tmp_path):
    outcome = run_model(BLOCK_TWICE, "Net", [2, 3, 40, 40])
    assert outcome.verdict == "ok", outcome.error
    first, second = outcome.shapes["a.conv"][0], outcome.shapes["b.conv"][0]
    doc = Doc(client, tmp_path / "net.py", BLOCK_TWICE)
    assert await doc.diagnostics() == []
    hints = await doc.hints()
    assert hints[line_of(BLOCK_TWICE, "y = self.conv(x)")].label == f"y: {shape_label(first)} | {shape_label(second)}"
    where = position_of(BLOCK_TWICE, "nn.Conv2d(cin")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri), position=where.start)
    )
    text = hover.contents.value
    assert "**a.conv**, **b.conv**" in text
    assert f"in `(2, 3, 40, 40)` -> out `{shape_label(first)}`" in text
    assert f"in `{shape_label(first)}` -> out `{shape_label(second)}`" in text
    assert f"height: ({first[2]} + 2*1 - 3) // 2 + 1 = {second[2]}" in text


# ---------------------------------------------------------------------------- hover arithmetic, no server


def _evaluate(formula: str) -> int:
    """Evaluate a hover formula such as `(32 + 2*1 - 3) // 2 + 1` or `ceil((..) / 2) + 1 - 1 (..)`."""
    import math

    expr = formula.split(" (the last window")[0]
    return eval(expr, {"__builtins__": {}, "ceil": math.ceil})  # noqa: S307 - our own arithmetic text


ARITHMETIC_CASES = [
    ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=3, stride=2, padding=1), [1, 3, 33, 20]),
    ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=(5, 3), stride=(3, 1), padding=(0, 2), dilation=2), [1, 3, 40, 17]),
    ("Conv1d", dict(in_channels=4, out_channels=4, kernel_size=7, stride=3), [2, 4, 50]),
    ("ConvTranspose2d", dict(in_channels=8, out_channels=4, kernel_size=4, stride=2, padding=1, output_padding=1), [1, 8, 15, 9]),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [1, 2, 17, 16]),
    ("MaxPool2d", dict(kernel_size=2), [1, 2, 17, 9]),
    ("AvgPool2d", dict(kernel_size=3, stride=2, ceil_mode=True), [1, 2, 8, 11]),
    ("MaxPool1d", dict(kernel_size=4, stride=3, padding=2, dilation=2, ceil_mode=True), [1, 2, 30]),
    # height: ceil mode's last window would start in the padding, torch drops it; width: it does not
    ("MaxPool2d", dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), [1, 1, 5, 6]),
]


@pytest.mark.torch
@pytest.mark.parametrize("op,kwargs,shape", ARITHMETIC_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ARITHMETIC_CASES)])
def test_hover_arithmetic_evaluates_to_what_torch_computes(op, kwargs, shape):
    import torch

    from shapelint.torch.modules import LAYERS
    from shapelint.frontends.lsp.hover import arithmetic

    out = list(getattr(torch.nn, op)(**kwargs)(torch.zeros(*shape)).shape)
    params = {name: kwargs.get(name, default) for name, default in LAYERS[op].params}
    lines = arithmetic(op, params, shape, out)
    axis_lines = [ln for ln in lines if ln.split(":")[0] in ("length", "depth", "height", "width")]
    n = int(op[-2])
    assert len(axis_lines) == n, lines
    for i, line in enumerate(axis_lines):
        formula, _, shown = line.split(": ", 1)[1].rpartition(" = ")
        assert int(shown) == out[len(shape) - n + i]
        assert _evaluate(formula) == out[len(shape) - n + i], line


def test_hover_arithmetic_is_left_out_when_it_disagrees_with_the_shape():
    from shapelint.frontends.lsp.hover import arithmetic

    params = dict(in_channels=3, out_channels=8, kernel_size=3, stride=1, padding=0, dilation=1)
    # (10 + 0 - 3)//1 + 1 = 8, so a claimed 9 must not get a formula that says otherwise
    lines = arithmetic("Conv2d", params, [1, 3, 10, 10], [1, 8, 9, 8])
    assert not any(ln.startswith("height") for ln in lines)
    assert "width: (10 + 2*0 - 3) // 1 + 1 = 8" in lines


def test_position_map_equals_libcst_metadata_wrapper():
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from shapelint.engine.locate import _position_map

    module = cst.parse_module(FLATTEN_BUG + HINTS_MODEL.replace("import torch.nn as nn\n", ""))
    public = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = _position_map(module, PositionProvider)
    assert len(public) > 100
    assert dict(public) == dict(ours)


def _all_fixture_sources() -> list:
    from shapelint.core.rules import REGISTRY

    examples = [src for rule in REGISTRY.values() for src in rule.VALID + rule.INVALID]
    return [FLATTEN_BUG, HINTS_MODEL, BLOCK_TWICE] + examples


def test_sparse_positions_equal_libcst_positions_on_every_node():
    import random

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from shapelint.core.positions import sparse_positions

    rng = random.Random(7)
    checked = 0
    for src in _all_fixture_sources():
        module = cst.parse_module(src)
        public = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = list(public)
        for wanted in (nodes, rng.sample(nodes, max(1, len(nodes) // 20))):
            sparse = sparse_positions(module, wanted)
            assert all(sparse[n] == public[n] for n in wanted)
            checked += len(wanted)
    assert checked > 1000


def test_reports_need_no_full_position_pass(monkeypatch):
    """Every node a finding or explain row points at is located by the sparse pass."""
    import shapelint.engine.locate as locate
    from shapelint.engine.check import check_source

    def full_pass(*_a, **_k):
        raise AssertionError("the full position pass ran")

    monkeypatch.setattr(locate, "_position_map", full_pass)
    for src in _all_fixture_sources():
        check_source("fixture.py", src, explain=True)
    result = check_source("net.py", FLATTEN_BUG, explain=True)
    f = result.findings[0]
    line = FLATTEN_BUG.splitlines()[f.line - 1]
    assert line[f.column - 1: f.end_column - 1] == BAD_FEATURES
    assert f.edits[0].text == GOOD_FEATURES


def test_positions_of_unlisted_nodes_fall_back_to_the_full_pass():
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from shapelint.engine.locate import Locator

    module = cst.parse_module(FLATTEN_BUG)
    public = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    position_of = Locator([("net.py", module)], wanted=[], source=FLATTEN_BUG).position_of
    for node, r in list(public.items())[::7]:
        assert position_of(node) == (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)


# ---------------------------------------------------------------------------- the command


def test_lsp_help_and_the_lint_path_stays_free_of_pygls_and_torch(cli):
    result = cli("lsp", "--help")
    assert result.returncode == 0 and "language server" in result.stdout
    probe = (
        "import sys\n"
        "from shapelint.engine.check import check_source\n"
        "import shapelint.frontends.cli, shapelint.frontends.lsp.server\n"
        f"check_source('net.py', {FLATTEN_BUG!r})\n"
        "print(sorted(m for m in ('pygls', 'lsprotocol', 'torch') if m in sys.modules))\n"
        "from shapelint.frontends.lsp.server import create_server\n"
        "from shapelint.frontends.lsp.snapshot import build_snapshot\n"
        "from shapelint.engine.check import Settings, lint_source\n"
        "create_server()\n"
        f"build_snapshot(lint_source('net.py', {FLATTEN_BUG!r}, Settings(explain=True)), {FLATTEN_BUG!r}, 1)\n"
        "print('torch' in sys.modules)\n"
    )
    out = cli_python(probe)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "False"]


def cli_python(code: str):
    import subprocess

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=SERVER_ENV, timeout=120
    )


def test_an_internal_error_keeps_the_last_good_results(monkeypatch, tmp_path):
    import shapelint.frontends.lsp.server as server_module
    import shapelint.frontends.lsp.session as session
    from shapelint.engine.check import Settings

    server = server_module.create_server()
    server.settings = Settings(explain=True, isolated=True)  # no pyproject.toml of this checkout
    good = server.build(str(tmp_path / "net.py"), FLATTEN_BUG, 1, None)
    assert [d.code for d in good.diagnostics] == ["SHP002"]

    def broken(*_a, **_k):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(session, "build_snapshot", broken)
    text = FLATTEN_BUG.replace("        x = self.pool(x)\n", "        x = self.pool(x)  # edited\n")
    snap = server.build(str(tmp_path / "net.py"), text, 2, good)
    codes = [d.code for d in snap.diagnostics]
    assert codes == [session.INTERNAL_CODE, "SHP002"]
    assert "ZeroDivisionError: a bug" in snap.diagnostics[0].message
    assert snap.diagnostics[1].range == good.diagnostics[0].range  # the defect's line did not change


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def utf8_client(lsp_client: RecordingClient, tmp_path_factory):
    result = await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf8]),
                text_document=lsp.TextDocumentClientCapabilities(
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
                ),
            ),
            root_uri=from_fs_path(str(tmp_path_factory.mktemp("workspace8"))),
        )
    )
    lsp_client.negotiated = result.capabilities.position_encoding
    yield
    await lsp_client.shutdown_session()


@lsp_test
async def test_a_client_that_asks_for_utf8_gets_byte_columns(utf8_client: RecordingClient, tmp_path):
    assert utf8_client.negotiated == lsp.PositionEncodingKind.Utf8
    doc = Doc(utf8_client, tmp_path / "net.py", FLATTEN_BUG)
    (diag,) = await doc.diagnostics()
    at = FLATTEN_BUG.index(BAD_FEATURES)
    line_start = FLATTEN_BUG.rfind("\n", 0, at) + 1
    start = len(FLATTEN_BUG[line_start:at].encode("utf-8"))  # the emoji is 4 bytes
    assert (diag.range.start.character, diag.range.end.character) == (start, start + len(BAD_FEATURES))


RNN_MODEL = textwrap.dedent(
    """\
    import torch.nn as nn


    class Tagger(nn.Module):  # shapelint: input=(4, 12, 32)
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.head = nn.Linear(64, 5)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.head(out)
    """
)


@pytest.mark.torch
@lsp_test
async def test_one_hint_names_every_tensor_an_unpacking_binds(client: RecordingClient, tmp_path):
    import torch

    out, (h, c) = torch.nn.LSTM(32, 64, batch_first=True)(torch.zeros(4, 12, 32))
    assert run_model(RNN_MODEL, "Tagger", [4, 12, 32]).verdict == "ok"
    doc = Doc(client, tmp_path / "rnn.py", RNN_MODEL)
    assert await doc.diagnostics() == []
    hints = await doc.hints()
    expected = f"out: {shape_label(out.shape)}, h: {shape_label(h.shape)}, c: {shape_label(c.shape)}"
    assert hints[line_of(RNN_MODEL, "out, (h, c) = self.lstm(x)")].label == expected
