"""The editor reports exactly what the CLI reports: one seam (`lint_source`) behind both.

Every fixture is copied into a project whose pyproject.toml ignores a rule and has
per-file-ignores, and a `# noqa` comment is put on a line the unconfigured CLI reports;
then the real CLI (`--format json`) and the real language server (a pytest-lsp client
that negotiates UTF-32, so columns are code points like the CLI's) must give the same
codes, lines, columns, severities and messages for every file. The test also checks
that each of the three filters really removed something, so it cannot pass vacuously.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from conftest import ROOT, run_cli
from lsp_client import SERVER_CONFIG, RecordingClient

FIXTURES = os.path.join(ROOT, "fixtures")
PYPROJECT = """[tool.shapelint]
ignore = ["SHP200"]

[tool.shapelint.per-file-ignores]
"shp002_*.py" = ["SHP002"]
"regressions/*" = ["SHP005"]
"""
lsp_test = pytest.mark.asyncio(loop_scope="module")


def _key(path: str, line: int, column: int, code: str, severity: str, message: str) -> tuple:
    return (path, line, column, code, severity, message)


def _cli_findings(directory, *args) -> list:
    proc = run_cli("--format", "json", *args, ".", cwd=str(directory))
    assert proc.returncode in (0, 1), proc.stderr
    return [_key(d["path"], d["line"], d["column"], d["code"], d["severity"], d["message"]) for d in json.loads(proc.stdout)]


def _copy_fixtures(dest) -> list:
    """Every fixture's .py file (not their pyproject.toml files), as relative paths."""
    rels = []
    for d, _dirs, files in os.walk(FIXTURES):
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(d, f), FIXTURES)
                os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
                shutil.copy(os.path.join(FIXTURES, rel), os.path.join(dest, rel))
                rels.append(rel)
    return sorted(rels)


def _add_noqa(root, unfiltered: list) -> set:
    """`# noqa: CODE` on the line of the first finding of every other file that has one;
    the (path, code, line) silenced."""
    silenced = set()
    first = {}
    for path, line, _col, code, _sev, _msg in unfiltered:
        # a sibling-published finding, and the call sites they moved to, stay unsilenced: the editor
        # test below relies on them, whichever files before them gain or lose a finding (and
        # architecture notes SHP4xx are not the findings these checks are about)
        if (code not in ("SHP100", "SHP101") and not code.startswith("SHP4") and path not in first
                and path not in {p for p, _c, _l in SIBLING_PUBLISHED + CALL_SITES}):
            first[path] = (line, code)
    for path in sorted(first)[::2]:
        line, code = first[path]
        full = os.path.join(root, path)
        lines = open(full, encoding="utf-8").read().split("\n")
        if lines[line - 1].rstrip().endswith("\\"):
            continue  # a comment cannot follow a line continuation
        lines[line - 1] += f"  # noqa: {code}"
        open(full, "w", encoding="utf-8").write("\n".join(lines))
        silenced.add((path, code, line))
    return silenced


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    rels = _copy_fixtures(root)
    unfiltered = _cli_findings(root, "--isolated")
    silenced = _add_noqa(root, unfiltered)
    (root / "pyproject.toml").write_text(PYPROJECT)
    configured = _cli_findings(root)
    return root, rels, unfiltered, silenced, configured


def test_each_filter_removes_findings_the_unconfigured_cli_reports(project):
    root, rels, unfiltered, silenced, configured = project
    assert len(rels) > 60 and len(unfiltered) > 25

    def has(found, prefix, code):
        return any(p.startswith(prefix) and c == code for p, _l, _col, c, _s, _m in found)

    for prefix, code in (("", "SHP200"), ("shp002_", "SHP002"), ("regressions", "SHP005")):
        assert has(unfiltered, prefix, code) and not has(configured, prefix, code), (prefix, code)
    kept = {(p, c, line) for p, line, _col, c, _s, _m in configured}
    assert len(silenced) > 10 and not (silenced & kept)
    assert len(configured) > 8  # what is left to compare with the editor


@pytest_lsp.fixture(config=SERVER_CONFIG, scope="module")
async def utf32_client(lsp_client: RecordingClient, project):
    root = project[0]
    result = await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf32]),
                text_document=lsp.TextDocumentClientCapabilities(
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
                ),
            ),
            root_uri=from_fs_path(str(root)),
        )
    )
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf32
    yield
    await lsp_client.shutdown_session()


async def _published(client: RecordingClient, uri: str, timeout: float = 60.0) -> list:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for p in reversed(client.published):
            if p.uri == uri and p.version == 1:
                return list(p.diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics published for {uri}")


_SEVERITY = {lsp.DiagnosticSeverity.Error: "error", lsp.DiagnosticSeverity.Warning: "warning",
             lsp.DiagnosticSeverity.Information: "info"}


@lsp_test
async def test_the_editor_reports_what_the_cli_reports_for_every_fixture(utf32_client: RecordingClient, project):
    root, rels, _unfiltered, _silenced, configured = project
    editor = []
    for rel in rels:
        path = os.path.join(root, rel)
        uri = from_fs_path(path)
        utf32_client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1,
                                                   text=open(path, encoding="utf-8").read())
            )
        )
        for d in await _published(utf32_client, uri):
            editor.append(_key(rel, d.range.start.line + 1, d.range.start.character + 1, d.code,
                               _SEVERITY[d.severity], d.message))
    # A wrong argument passed to a sibling module's class (`ConvBNAct(256, 256)`) is reported at
    # the call, on the importer (issue 16.4): both front ends publish it there, so nothing is excluded.
    ed, cl = sorted(editor), sorted(configured)
    assert ed == cl, (set(ed) - set(cl), set(cl) - set(ed))
    published = {(k[0], k[3], k[1]) for k in _unfiltered}
    assert set(CALL_SITES) <= published  # the call-site findings are real findings of this corpus
    assert not published & set(SIBLING_PUBLISHED)  # and none is left inside the shared helper


# (path, code, line): where findings about a sibling module's layers were published before issue 16.4
SIBLING_PUBLISHED = [("real/convbn_pkg/layers.py", "SHP001", 9), ("trace/project/vision/layers.py", "SHP001", 9)]
# where they are reported since issue 16.4: at the importer's call that passed the wrong argument
CALL_SITES = [("real/convbn_pkg/net_bad.py", "SHP001", 13), ("trace/project/vision/models/classifier.py", "SHP001", 28)]


@lsp_test
async def test_the_editor_publishes_a_wrong_call_argument_at_the_call_not_in_the_shared_helper(utf32_client: RecordingClient, project):
    """Issue 16.4: `ConvBNAct(256, 256)` in net_bad.py is the mistake; layers.py, which every model
    of the package shares, gets nothing (tests/test_lsp_siblings.py has the sibling-call cases)."""
    root, rels, _unfiltered, _silenced, configured = project
    importer = os.path.join(root, "real", "convbn_pkg", "net_bad.py")
    uri = from_fs_path(importer)
    utf32_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=2,
                                               text=open(importer, encoding="utf-8").read())))
    sibling = from_fs_path(os.path.join(root, "real", "convbn_pkg", "layers.py"))
    for _ in range(40):
        await asyncio.sleep(0.25)
        if any(p.uri == uri for p in utf32_client.published):
            break
    on_importer = [d for p in utf32_client.published if p.uri == uri for d in p.diagnostics if d.code == "SHP001"]
    assert [d.range.start.line + 1 for d in on_importer][-1:] == [13]
    assert not [p for p in utf32_client.published if p.uri == sibling and any(d.code == "SHP001" for d in p.diagnostics)]


# ---------------------------------------------------------------------------- the cases from issue 12

SHP001_BAD = open(os.path.join(FIXTURES, "shp001_channel_mismatch_bad.py"), encoding="utf-8").read()
# its stem conv's bias before BatchNorm is an architecture note (SHP405), not the finding these tests silence
SHP001_BAD = SHP001_BAD.replace("nn.Conv2d(3, 32, 3, padding=1)", "nn.Conv2d(3, 32, 3, padding=1, bias=False)")
DEFECT_LINE = next(i for i, ln in enumerate(SHP001_BAD.split("\n")) if "# defect" in ln)
SILENCED = {
    "noqa": (SHP001_BAD.split("\n")[DEFECT_LINE], SHP001_BAD.split("\n")[DEFECT_LINE] + "  # noqa: SHP001", None),
    "ignore": ("", "", '[tool.shapelint]\nignore = ["SHP001"]\n'),
    "select": ("", "", '[tool.shapelint]\nselect = ["SHP002", "SHP1"]\n'),
    "per-file-ignores": ("", "", '[tool.shapelint.per-file-ignores]\n"net*.py" = ["SHP00"]\n'),
}


@lsp_test
@pytest.mark.parametrize("how", sorted(SILENCED))
async def test_a_silenced_finding_is_silent_in_both_the_cli_and_the_editor(utf32_client: RecordingClient, tmp_path, how):
    old, new, pyproject = SILENCED[how]
    text = SHP001_BAD.replace(old, new) if old else SHP001_BAD
    path = tmp_path / "net.py"
    path.write_text(text, encoding="utf-8")
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "control.py").write_text(SHP001_BAD, encoding="utf-8")
    unconfigured = run_cli("--isolated", "--format", "json", "control.py", cwd=str(tmp_path))
    shape_codes = [d["code"] for d in json.loads(unconfigured.stdout) if not d["code"].startswith("SHP4")]
    assert shape_codes == ["SHP001"]  # the defect is there (besides SHP405, the conv bias its BatchNorm cancels)
    cli = run_cli("net.py", cwd=str(tmp_path))
    assert (cli.returncode, cli.stdout.strip()) == (0, "All checks passed."), cli.stdout + cli.stderr
    uri = from_fs_path(str(path))
    utf32_client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    assert await _published(utf32_client, uri) == []
