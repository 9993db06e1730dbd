"""A wrong number passed to a helper (a function, or a class's constructor, in the file or a
sibling module) is reported at the call that passed it (issues 16.4 and 10.5).

For each fixture of fixtures/real/ whose defect is such a call: the JSON error is at the
`# defect` line with a related location at the helper's layer line (paths repository-relative),
SARIF carries that location as a relatedLocation, and `--fix` on a copy changes only the call's
argument (never the shared helper) and leaves a file that real torch runs with the declared input.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from conftest import ROOT, run_cli

REAL = os.path.join("fixtures", "real")

# (fixture, target, input, the helper's file, a regex of the helper's layer line, the fixed argument)
CASES = [
    ("unet_helper_bad.py", "bad_unet", [2, 3, 32, 32], "unet_helper_bad.py",
     r"nn\.Conv2d\(in_channels, out_channels, 3", "base * 3"),
    ("squeezenet_bad.py", "SqueezeNet10", [2, 3, 64, 64], "squeezenet_bad.py",
     r"self\.squeeze = nn\.Conv2d\(inplanes", "64"),
    ("convbn_pkg/net_bad.py", "Classifier", [2, 3, 16, 16], "convbn_pkg/layers.py",
     r"self\.conv = nn\.Conv2d\(in_ch, out_ch", "128"),
    ("conv_norm_activation_bad.py", "ConvNormNet", [2, 3, 32, 32], "conv_norm_activation_bad.py",
     r"layers = \[nn\.Conv2d\(in_channels, out_channels", "24"),
]
IDS = [c[1] for c in CASES]


def _lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def _line_of(path, pattern):
    (n,) = [i for i, ln in enumerate(_lines(path), 1) if re.search(pattern, ln)]
    return n


def _defect(path):
    (n,) = [i for i, ln in enumerate(_lines(path), 1) if "# defect" in ln]
    return n


def _rel(name):
    return os.path.join(REAL, name).replace(os.sep, "/")


def _errors(data):
    return [d for d in data if d["severity"] == "error"]


@pytest.mark.parametrize("fixture,target,dims,helper,layer,_fixed", CASES, ids=IDS)
def test_the_finding_is_at_the_call_with_the_helper_layer_related(fixture, target, dims, helper, layer, _fixed):
    r = run_cli("--isolated", "--format", "json", _rel(fixture))
    assert r.returncode == 1, r.stderr
    (d,) = _errors(json.loads(r.stdout))
    assert (d["path"], d["line"]) == (_rel(fixture), _defect(os.path.join(ROOT, REAL, fixture)))
    helper_line = _line_of(os.path.join(ROOT, REAL, helper), layer)
    spots = [(x["path"], x["line"]) for x in d["related"]]
    assert (_rel(helper), helper_line) in spots, d["related"]
    for x in d["related"]:
        assert set(x) == {"path", "line", "column", "end_line", "end_column", "message"} and x["message"]
    # the fix edits the call's argument, on the call's line
    assert d["fix"] is not None and [e["line"] for e in d["fix"]["edits"]] == [d["line"]]


@pytest.mark.parametrize("fixture,target,dims,helper,layer,_fixed", CASES, ids=IDS)
def test_sarif_has_the_related_location(fixture, target, dims, helper, layer, _fixed):
    r = run_cli("--isolated", "--format", "sarif", _rel(fixture))
    (res,) = [x for x in json.loads(r.stdout)["runs"][0]["results"] if x["level"] == "error"]
    helper_line = _line_of(os.path.join(ROOT, REAL, helper), layer)
    (loc,) = res["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == _rel(fixture)
    assert loc["physicalLocation"]["region"]["startLine"] == _defect(os.path.join(ROOT, REAL, fixture))
    related = [(x["physicalLocation"]["artifactLocation"]["uri"], x["physicalLocation"]["region"]["startLine"])
               for x in res["relatedLocations"]]
    assert (_rel(helper), helper_line) in related
    assert all(x["message"]["text"] for x in res["relatedLocations"])


def _copy(tmp_path, fixture):
    """The fixture (its whole package, renamed so imports never reuse the original) in tmp_path."""
    src = os.path.join(ROOT, REAL, fixture)
    if "/" in fixture:
        pkg, name = fixture.split("/", 1)
        dest = tmp_path / (pkg + "_fixed")
        shutil.copytree(os.path.dirname(src), dest)
        return str(dest / name), str(tmp_path)
    dest = tmp_path / fixture
    shutil.copy(src, dest)
    return str(dest), None


@pytest.mark.torch
@pytest.mark.parametrize("fixture,target,dims,helper,layer,fixed", CASES, ids=IDS)
def test_fix_changes_only_the_call_argument_and_torch_runs(tmp_path, fixture, target, dims, helper, layer, fixed):
    from torch_oracle import run_model, run_module_file

    path, package_root = _copy(tmp_path, fixture)
    helper_path = os.path.join(os.path.dirname(path), os.path.basename(helper))
    helper_before = open(helper_path, encoding="utf-8").read()
    before = _lines(path)
    r = run_cli("--isolated", "--fix", path)
    assert r.returncode == 0, r.stdout + r.stderr
    after = _lines(path)
    defect = _defect(os.path.join(ROOT, REAL, fixture))
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after), 1) if a != b]
    assert changed == [defect], changed
    assert fixed in after[defect - 1] and "# defect" in after[defect - 1]
    if helper_path != path:
        assert open(helper_path, encoding="utf-8").read() == helper_before  # the shared helper is never edited
    else:
        assert after[_line_of(path, layer) - 1] == before[_line_of(path, layer) - 1]
    if package_root is not None:
        outcome = run_module_file(path, package_root, target, dims)
    else:
        outcome = run_model(open(path, encoding="utf-8").read(), target, dims, filename=path)
    assert outcome.verdict == "ok", outcome.error


def test_a_number_written_inside_the_helper_keeps_the_finding_there(tmp_path):
    """Only a value that flows from a call's argument moves: a literal in the helper stays."""
    p = tmp_path / "m.py"
    p.write_text(
        "import torch.nn as nn\n\n\n"
        "def block(c):\n"
        "    return nn.Sequential(nn.Conv2d(c, 16, 3), nn.Conv2d(32, 8, 3))\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.b = block(3)\n\n"
        "    def forward(self, x):\n"
        "        return self.b(x)\n"
    )
    r = run_cli("--isolated", "--format", "json", str(p))
    (d,) = _errors(json.loads(r.stdout))
    assert d["line"] == 5 and "32" in d["message"] and "16" in d["message"]
    assert [e["line"] for e in d["fix"]["edits"]] == [5]


def test_a_loop_variable_argument_gets_the_finding_but_no_fix(tmp_path):
    """`for c in (3, 8): block(c, 16)`: the call is where the mistake is, but an edit of `c`
    would change every iteration, so no fix is offered."""
    p = tmp_path / "m.py"
    p.write_text(
        "import torch.nn as nn\n\n\n"
        "def block(cin, cout):\n"
        "    return nn.Conv2d(cin, cout, 3, padding=1)\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        layers = []\n"
        "        for c in (3, 8):\n"
        "            layers.append(block(c, 16))\n"
        "        self.body = nn.Sequential(*layers)\n\n"
        "    def forward(self, x):\n"
        "        return self.body(x)\n"
    )
    r = run_cli("--isolated", "--format", "json", str(p))
    (d,) = _errors(json.loads(r.stdout))
    assert (d["line"], d["column"]) == (13, 33) and "16" in d["message"] and "8" in d["message"]
    assert d["fix"] is None
    assert 5 in [x["line"] for x in d["related"]]


@pytest.mark.torch
def test_a_wrong_argument_at_a_call_in_a_sibling_module_is_reported_there(tmp_path):
    """net.py uses backbone.py's Backbone, which passes a wrong number to layers.py's shared
    ConvBNAct: checking net.py reports it at backbone.py's call (not inside the helper), related
    to the helper's layer, and `--fix` of backbone.py's finding edits only that call."""
    from torch_oracle import run_module_file
    from test_lsp_siblings import BACKBONE, LAYERS, NET

    pkg = tmp_path / "callsite_sib_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in (("layers.py", LAYERS), ("backbone.py", BACKBONE), ("net.py", NET)):
        (pkg / name).write_text(text)
    assert run_module_file(str(pkg / "net.py"), str(tmp_path), "Net", [2, 3, 16, 16]).verdict == "crash"
    r = run_cli("--isolated", "--format", "json", str(pkg / "net.py"))
    (d,) = _errors(json.loads(r.stdout))
    call_line = BACKBONE.splitlines().index("        self.stage = ConvBNAct(64, 64)") + 1
    layer_line = LAYERS.splitlines().index(
        "        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)") + 1
    assert (d["path"], d["line"], d["column"]) == (str(pkg / "backbone.py"), call_line, len("        self.stage = ConvBNAct(") + 1)
    assert (str(pkg / "layers.py"), layer_line) in [(x["path"], x["line"]) for x in d["related"]]
    assert [(e["line"], e["content"]) for e in d["fix"]["edits"]] == [(call_line, "32")]


def test_a_parameter_a_sibling_helper_only_passes_on_is_never_the_fix(tmp_path):
    """layers.py's `block(in_ch, out_ch)` passes its parameters on to ConvBNAct: the finding goes
    through it to backbone.py's `block(64, 64)`, and no edit touches the shared layers.py."""
    from test_lsp_siblings import BACKBONE, LAYERS, NET

    pkg = tmp_path / "callsite_pass_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(LAYERS + "\n\ndef block(in_ch, out_ch):\n    return ConvBNAct(in_ch, out_ch)\n")
    backbone = BACKBONE.replace("import ConvBNAct", "import ConvBNAct, block").replace("ConvBNAct(64, 64)", "block(64, 64)")
    (pkg / "backbone.py").write_text(backbone)
    (pkg / "net.py").write_text(NET)
    r = run_cli("--isolated", "--format", "json", str(pkg / "net.py"))
    (d,) = _errors(json.loads(r.stdout))
    call_line = backbone.splitlines().index("        self.stage = block(64, 64)") + 1
    assert (d["path"], d["line"], d["column"]) == (str(pkg / "backbone.py"), call_line, len("        self.stage = block(") + 1)
    assert [(e["line"], e["content"]) for e in d["fix"]["edits"]] == [(call_line, "32")]


SEQUENTIAL_BLOCK = """import torch.nn as nn


class ConvNorm(nn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1):
        super().__init__(nn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2), nn.BatchNorm2d(cout))


class Down(nn.Module):
    def __init__(self, cin=8, cout=16):
        super().__init__()
        self.proj = ConvNorm(cin, cout, kernel_size=1)
        self.body = ConvNorm(cin, cout, stride=2)

    def forward(self, x):
        return self.proj(x) + self.body(x)
"""


@pytest.mark.torch
def test_a_size_made_inside_a_sequential_subclass_is_related_to_the_call_that_built_it(tmp_path):
    """`ConvNorm(cin, cout, kernel_size=1)` lacks the stride its sibling branch has: the sizes of the
    failing add are related to the two ConvNorm calls (where the stride is chosen), and the Conv2d
    inside ConvNorm's constructor, shared by both, is named as where the layer is built."""
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match="must match the size"):
        load(SEQUENTIAL_BLOCK).Down()(torch.zeros(2, 8, 16, 16))
    p = tmp_path / "m.py"
    p.write_text(SEQUENTIAL_BLOCK.replace("class Down(nn.Module):", "class Down(nn.Module):  # shapelint: input=(2, 8, 16, 16)"))
    r = run_cli("--isolated", "--format", "json", str(p))
    (d,) = _errors(json.loads(r.stdout))
    lines = SEQUENTIAL_BLOCK.splitlines()
    add, proj, body, conv = (lines.index(t) + 1 for t in (
        "        return self.proj(x) + self.body(x)", "        self.proj = ConvNorm(cin, cout, kernel_size=1)",
        "        self.body = ConvNorm(cin, cout, stride=2)",
        "        super().__init__(nn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2), nn.BatchNorm2d(cout))"))
    assert (d["code"], d["line"]) == ("SHP006", add)
    assert f"built by the call at line {proj}" in d["message"] and f"built by the call at line {body}" in d["message"]
    assert [x["line"] for x in d["related"]] == [proj, body, conv], d["related"]
    assert "is built here" in d["related"][2]["message"]


@pytest.mark.torch
def test_a_sequential_subclass_built_at_module_level_is_the_model_and_keeps_its_layer_lines(tmp_path):
    """`net = Net(3)` builds the model itself: the pooled width 15 that reaches Linear(100, 10) is
    named at the pool's own line in Net's constructor, not at `net = Net(3)`."""
    import torch
    from torch_oracle import load

    source = """import torch.nn as nn


class Net(nn.Sequential):
    def __init__(self, c=3):
        super().__init__(nn.Conv2d(c, 8, 3), nn.MaxPool2d(2), nn.Linear(100, 10))


net = Net(3)
"""
    with pytest.raises(RuntimeError, match=r"\(240x15 and 100x10\)"):
        load(source).net(torch.zeros(2, 3, 32, 32))
    p = tmp_path / "m.py"
    p.write_text(source)
    r = run_cli("--isolated", "--format", "json", "--input-shape", "net=2,3,32,32", str(p))
    (d,) = _errors(json.loads(r.stdout))
    assert d["line"] == 6 and "receives 15 (net[1] output, line 6)" in d["message"], d["message"]
