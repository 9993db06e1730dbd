"""Real-world idioms (issue 3): builders, branches, inheritance, several inputs, sibling modules.

Every model with a declared input is checked against torch: same shape for every named
submodule, and no error on models torch runs. Then the behaviours that need more than
a shape comparison: undecidable branches, coverage notes, the package import.
"""

import glob
import os

import pytest

from conftest import run_cli
from shapelint.engine.check import check_source
from torch_oracle import declared_inputs, run_model, run_module_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDIOMS = os.path.join(ROOT, "fixtures", "idioms")
FILES = sorted(glob.glob(os.path.join(IDIOMS, "*.py")))
CASES = [(p, t, s) for p in FILES for t, s in declared_inputs(open(p).read()).items()]


def static_outputs(path, source, target):
    result = check_source(path, source, explain=True)
    model = next(m for m in result.models if m.name == target)
    rows, conditional = {}, set()
    for row in model.layers:
        if row.module is not None:
            rows.setdefault(row.module, []).append(row.out)
            if row.conditional:
                conditional.add(row.module)
    return result, (rows, conditional)


def assert_matches_torch(result, static, oracle):
    rows, conditional = static
    assert oracle.verdict == "ok", oracle.error
    assert [f.message for f in result.findings if f.severity == "error"] == []
    for name, outs in oracle.shapes.items():
        if name in conditional:  # analysed on both undecided paths: torch took one of them
            assert all(o in rows[name] for o in outs), f"{name}: static {rows.get(name)} vs torch {outs}"
        else:
            assert rows.get(name) == outs, f"{name}: static {rows.get(name)} vs torch {outs}"


@pytest.mark.torch
@pytest.mark.parametrize("path,target,shape", CASES, ids=[f"{os.path.basename(p)}::{t}" for p, t, _ in CASES])
def test_idiom_matches_torch(path, target, shape):
    source = open(path).read()
    result, rows = static_outputs(path, source, target)
    assert_matches_torch(result, rows, run_model(source, target, shape, filename=path))


@pytest.mark.torch
def test_class_imported_from_sibling_module_matches_torch():
    path = os.path.join(IDIOMS, "pkg", "net.py")
    source = open(path).read()
    result, rows = static_outputs(path, source, "PackagedNet")
    assert_matches_torch(result, rows, run_module_file(path, IDIOMS, "PackagedNet", [2, 3, 16, 16]))


@pytest.mark.torch
def test_defect_in_sibling_module_is_reported_in_that_file(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "blocks.py").write_text(
        "import torch.nn as nn\n\n\nclass Block(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(c + 1, c, 3, padding=1)\n\n    def forward(self, x):\n        return self.conv(x)\n"
    )
    (pkg / "net.py").write_text(
        "import torch.nn as nn\nfrom .blocks import Block\n\n\nclass Net(nn.Module):  # shapelint: input=(1, 4, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.b = Block(4)\n\n"
        "    def forward(self, x):\n        return self.b(x)\n"
    )
    oracle = run_module_file(str(pkg / "net.py"), str(tmp_path), "Net", [1, 4, 8, 8])
    assert oracle.verdict == "crash"
    result = check_source(str(pkg / "net.py"), (pkg / "net.py").read_bytes())
    (finding,) = [f for f in result.findings if f.severity == "error"]
    assert finding.path == str(pkg / "blocks.py")
    assert finding.line == 7  # the Conv2d line of blocks.py, counted in the file above


@pytest.mark.torch
def test_undecided_branch_reports_only_what_fails_on_every_path(tmp_path):
    both_wrong = (
        "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 16)\n"
        "    def __init__(self):\n        super().__init__()\n        self.a = nn.Linear(15, 8)\n\n"
        "    def forward(self, x):\n        if x.dtype == torch.float64:\n            y = self.a(x) * 2\n"
        "        else:\n            y = self.a(x)\n        return y\n"
    )
    assert run_model(both_wrong, "Net", [2, 16]).verdict == "crash"
    errors = [f for f in check_source("m.py", both_wrong).findings if f.severity == "error"]
    assert [f.code for f in errors] == ["SHP002"]
    # branches.Undecided has its wrong layer only on the path torch does not take
    source = open(os.path.join(IDIOMS, "branches.py")).read()
    assert run_model(source, "Undecided", [2, 16]).verdict == "ok"
    assert not [f for f in check_source("b.py", source).findings if f.severity == "error"]


def test_show_unknown_names_the_construct_once(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(
        "import torch\nimport torch.nn as nn\nfrom mylib import magic\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n        self.fc = nn.Linear(999, 2)\n\n"
        "    def forward(self, x):\n        x = magic(self.conv(x))\n        x = torch.flatten(x, 1)\n        return self.fc(x)\n"
    )
    plain = run_cli(str(model))
    assert plain.returncode == 0, plain.stdout  # what follows an unknown call is not guessed
    shown = run_cli("--show-unknown", "--format", "json", str(model))
    import json

    notes = [d for d in json.loads(shown.stdout) if d["code"] == "SHP201"]
    assert len(notes) == 1 and notes[0]["line"] == 13 and "magic" in notes[0]["message"]
    assert notes[0]["severity"] == "info" and shown.returncode == 0


@pytest.mark.torch
def test_guessed_input_rank_never_causes_an_alarm():
    # Without a declared input, a model starting with Linear is assumed to take (B, F);
    # this one really takes (B, T, F) and transposes: rank-dependent checks must stay quiet.
    source = (
        "import torch.nn as nn\n\n\nclass Tok(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.proj = nn.Linear(16, 32)\n        self.conv = nn.Conv1d(32, 8, 3, padding=1)\n\n"
        "    def forward(self, x):\n        x = self.proj(x)\n        x = x.transpose(1, 2)\n        return self.conv(x)\n"
    )
    assert run_model(source, "Tok", [2, 5, 16]).verdict == "ok"
    assert [f for f in check_source("tok.py", source).findings if f.severity == "error"] == []
