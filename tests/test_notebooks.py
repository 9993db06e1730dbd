"""Jupyter notebooks are checked like Python files (shapelint.core.notebook).

Every notebook here is written in the test and validated by nbformat's own validator;
the broken models are confirmed broken, and the clean ones clean, by running the
code cells' Python with real torch.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from notebook_helpers import SPLIT_MODEL_CELLS, place_in, read_cells, run_code_cells, write_notebook

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell  # noqa: E402

IMPORTS = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F"
NET = (
    "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 8, 3)\n"
    "        self.fc = nn.Linear(100, 10)\n"
    "\n"
    "    def forward(self, x):\n"
    "        x = F.relu(self.conv(x))\n"
    "        return self.fc(x.flatten(1))"
)
GOOD_NET = NET.replace("nn.Linear(100, 10)", "nn.Linear(7200, 10)")


def write(tmp_path, cells, name="nb.ipynb", **meta):
    return write_notebook(tmp_path / name, cells, **meta)


def cells_python(path) -> str:
    """The test's own reading of what Run All executes: code cells, magics dropped."""
    nb = nbformat.read(str(path), as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type != "code" or c.source.lstrip().startswith("%%bash"):
            continue
        lines = c.source.split("\n")
        if lines and lines[0].startswith("%%"):
            lines = lines[1:]
        out += [ln for ln in lines if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(out) + "\n"


def lint_json(path, *args):
    r = run_cli("--format", "json", *args, str(path))
    assert r.returncode in (0, 1), r.stderr
    return r, json.loads(r.stdout)


def cell_line_of(path, cell, needle):
    nb = nbformat.read(str(path), as_version=4)
    lines = nb.cells[cell - 1].source.split("\n")
    (line,) = [i for i, ln in enumerate(lines, start=1) if needle in ln]
    return line, lines[line - 1].index(needle.split("(")[-1] if "(" in needle else needle) + 1


# ------------------------------------------------------------------ checking


@pytest.mark.torch
def test_a_broken_model_in_a_cell_is_reported_at_its_cell_and_line(tmp_path):
    from torch_oracle import run_model

    path = write(tmp_path, [new_markdown_cell("# My CNN\n\nclass Net is below."), new_code_cell(IMPORTS),
                            new_code_cell(NET), new_code_cell("model = Net()\nout = model(torch.randn(2, 3, 32, 32))")])
    assert run_model(cells_python(path).replace("model = Net()\nout = model(torch.randn(2, 3, 32, 32))", ""),
                     "Net", [2, 3, 32, 32]).verdict == "crash"
    r, found = lint_json(path)
    assert r.returncode == 1
    line, _ = cell_line_of(path, 3, "nn.Linear(100")
    # the class (its declared input) and the variable `model` (its call in cell 4) both break there
    assert {(d["code"], d["cell"], d["line"]) for d in found} == {("SHP002", 3, line)}
    (f,) = [d for d in found if d["message"].startswith("fc ")]
    assert f["column"] == "        self.fc = nn.Linear(100, 10)".index("100") + 1
    assert "7200" in f["message"] and "cell 3, line 9" in f["message"]  # where the 7200 comes from
    (edit,) = f["fix"]["edits"]
    assert (edit["cell"], edit["line"], edit["content"]) == (3, line, "7200")
    concise = run_cli(str(path)).stdout
    assert f"{path}:cell 3:{line}:{f['column']}: SHP002" in concise


BLOCK_WITH_ARGS = (
    "class Block(nn.Module):\n"
    "    def __init__(self, c):\n"
    "        super().__init__()\n"
    "        self.conv = nn.Conv2d(c, 8, 3)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.conv(x)"
)
NET_OF_BLOCKS = NET.replace("self.conv = nn.Conv2d(3, 8, 3)", "self.conv = Block(3)")


@pytest.mark.torch
def test_a_model_class_that_needs_constructor_arguments_is_checked(tmp_path):
    """A class whose constructor needs arguments is checked where it is used; in a notebook it
    was an internal error (exit 2) outside --explain: its 'needs constructor arguments' note
    kept a syntax node where cell coordinates need a line."""
    from torch_oracle import run_model

    cells = [new_code_cell(IMPORTS), new_code_cell(BLOCK_WITH_ARGS)]
    alone = write(tmp_path, cells, name="block.ipynb")
    r, found = lint_json(alone)
    assert (r.returncode, found) == (0, []) and "internal error" not in r.stderr
    broken = write(tmp_path, cells + [new_code_cell(NET_OF_BLOCKS)], name="net.ipynb")
    assert run_model(cells_python(broken), "Net", [2, 3, 32, 32]).verdict == "crash"
    assert run_model(cells_python(broken).replace("Linear(100", "Linear(7200"), "Net", [2, 3, 32, 32]).verdict == "ok"
    r, found = lint_json(broken)
    line, _ = cell_line_of(broken, 3, "nn.Linear(100")
    assert r.returncode == 1 and "internal error" not in r.stderr
    assert [(d["code"], d["cell"], d["line"]) for d in found] == [("SHP002", 3, line)]
    assert "7200" in found[0]["message"]


@pytest.mark.torch
def test_a_clean_notebook_is_clean(tmp_path):
    from torch_oracle import run_model

    path = write(tmp_path, [new_code_cell(IMPORTS), new_markdown_cell("text"), new_code_cell(GOOD_NET)])
    assert run_model(cells_python(path), "Net", [2, 3, 32, 32]).verdict == "ok"
    r, found = lint_json(path)
    assert r.returncode == 0 and found == []


MAGICS = new_code_cell(
    "%matplotlib inline\n%load_ext autoreload\n!pip install -q torch \\\n    torchvision\nfiles = !ls\nnn.Conv2d?\n"
    + IMPORTS
)


@pytest.mark.torch
def test_magics_markdown_raw_and_shell_cells_are_skipped_and_lines_kept(tmp_path):
    from torch_oracle import run_model

    cells = [
        new_markdown_cell("```python\nnn.Linear(3, 4)(torch.randn(2, 5))\n```"),  # not code: never checked
        MAGICS,
        new_code_cell("%%bash\nif [ -d x ]; then echo ( ; fi"),  # not Python at all
        new_raw_cell("def (broken"),
        new_code_cell("%%time\n" + NET),  # Python under a timing magic
        new_code_cell("for i in range(2):\n    %time y = i\n    !echo hi"),  # magics inside a block
    ]
    path = write(tmp_path, cells)
    assert run_model(cells_python(path).split("for i in")[0], "Net", [2, 3, 32, 32]).verdict == "crash"
    r, found = lint_json(path)
    assert [d["code"] for d in found] == ["SHP002"], found
    line, _ = cell_line_of(path, 5, "nn.Linear(100")
    assert (found[0]["cell"], found[0]["line"]) == (5, line)


def test_an_r_notebook_is_not_read_as_python(tmp_path):
    path = write(tmp_path, [new_code_cell("library(torch)\nx <- 1")], language_info={"name": "R"})
    r, found = lint_json(path)
    assert r.returncode == 0 and found == []


def test_noqa_in_a_cell(tmp_path):
    noqa = NET.replace("nn.Linear(100, 10)", "nn.Linear(100, 10)  # noqa: SHP002")
    path = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(noqa)])
    r, found = lint_json(path)
    assert r.returncode == 0 and found == []
    other = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(NET.replace("(100, 10)", "(100, 10)  # noqa: SHP001"))],
                  name="other.ipynb")
    assert [d["code"] for d in lint_json(other)[1]] == ["SHP002"]


def test_a_syntax_error_in_a_cell_is_at_its_cell(tmp_path):
    path = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell("x = 1\ndef f(:\n    pass")])
    r, found = lint_json(path)
    (f,) = found
    assert r.returncode == 1 and (f["code"], f["cell"], f["line"]) == ("SHP100", 2, 2)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"cells": 3}', "\xff\xfe"])
def test_a_file_that_is_no_notebook_is_said_so(tmp_path, text):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(text.encode("latin-1"))
    r, found = lint_json(path)
    assert r.returncode == 1 and [d["code"] for d in found] == ["SHP101"], found
    assert "Traceback" not in r.stderr


def test_directories_find_notebooks_but_not_checkpoints(tmp_path):
    write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(NET)], name="a.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints", [new_code_cell(IMPORTS), new_code_cell(NET)], name="a-checkpoint.ipynb")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    r, found = lint_json(tmp_path)
    assert [os.path.basename(d["path"]) for d in found] == ["a.ipynb"]


# ------------------------------------------------------------------ formats


def test_github_and_sarif_point_at_the_line_of_the_notebook_file(tmp_path):
    path = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(NET)])
    raw_lines = path.read_text().split("\n")
    gh = run_cli("--format", "github", str(path)).stdout.strip()
    props = dict(kv.split("=", 1) for kv in gh.split("::")[1].split(" ", 1)[1].split(","))
    line, col = int(props["line"]), int(props["col"])
    assert raw_lines[line - 1][col - 1:col + 2] == "100"  # the stored JSON text at that place
    assert "cell 2, line 5" in gh
    sarif = json.loads(run_cli("--format", "sarif", str(path)).stdout)
    (res,) = sarif["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (line, col, col + 3)
    assert res["properties"] == {"cell": 2, "cellLine": 5, "cellColumn": col - raw_lines[line - 1].index('"') - 1}
    full = run_cli("--format", "full", str(path)).stdout
    assert "    5 |         self.fc = nn.Linear(100, 10)" in full


def test_json_positions_through_escapes(tmp_path):
    """Non-ASCII text and escapes before the finding on the same line of the JSON text."""
    net = NET.replace("self.fc = nn.Linear(100, 10)", 'self.fc = nn.Linear(100, 10); s = "é\\t\\"😀"')
    path = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(net)])
    for ensure_ascii in (False, True):  # nbformat writes UTF-8; other tools escape
        doc = json.loads(path.read_text())
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=ensure_ascii) + "\n")
        raw_lines = path.read_text().split("\n")
        gh = run_cli("--format", "github", str(path)).stdout.strip()
        props = dict(kv.split("=", 1) for kv in gh.split("::")[1].split(" ", 1)[1].split(","))
        assert raw_lines[int(props["line"]) - 1][int(props["col"]) - 1:int(props["col"]) + 2] == "100"


def _split_model_facts(path):
    """What torch says of SPLIT_MODEL_CELLS: Net breaks, Features makes the size fc gets, and
    head's `n` is the Linear's in_features."""
    import torch

    scope = run_code_cells(read_cells(path))
    with pytest.raises(RuntimeError):
        scope["Net"]()(torch.zeros(2, 3, 32, 32))
    assert scope["head"](7).in_features == 7
    return scope["Features"]()(torch.zeros(2, 3, 32, 32)).shape[1]


@pytest.mark.torch
def test_related_locations_in_other_cells_name_their_cell_and_line(tmp_path):
    path = write(tmp_path, SPLIT_MODEL_CELLS)
    features = _split_model_facts(path)
    cells = read_cells(path)
    r, found = lint_json(path)
    (f,) = found
    assert (f["code"], f["cell"]) == ("SHP002", 5) and f"receives {features}" in f["message"]
    assert (f["line"], f["column"], f["end_column"]) == place_in(cells[4][1], "100")
    flatten = place_in(cells[2][1], "self.conv(x).flatten(1)")
    n_line, n_column, _ = place_in(cells[3][1], "n, 10")
    n = (n_line, n_column, n_column + 1)  # the parameter `n` the Linear gets
    assert [(x["cell"], x["line"], x["column"], x["end_line"], x["end_column"]) for x in f["related"]] == [
        (3, flatten[0], flatten[1], flatten[0], flatten[2]), (4, n[0], n[1], n[0], n[2])]
    assert all(x["path"] == f["path"] for x in f["related"])
    assert f"cell 3, line {flatten[0]}" in f["message"]

    # SARIF: each related location on its line of the notebook's JSON text, and its cell said
    raw_lines = path.read_text().split("\n")
    sarif = json.loads(run_cli("--format", "sarif", str(path)).stdout)
    (res,) = sarif["runs"][0]["results"]
    related = res["relatedLocations"]
    for x, text in zip(related, ["self.conv(x).flatten(1)", "n"]):
        region = x["physicalLocation"]["region"]
        assert region["startLine"] == region["endLine"]
        assert raw_lines[region["startLine"] - 1][region["startColumn"] - 1:region["endColumn"] - 1] == text
    assert [x["properties"] for x in related] == [
        {"cell": 3, "cellLine": flatten[0], "cellColumn": flatten[1]}, {"cell": 4, "cellLine": n[0], "cellColumn": n[1]}]
    assert related[0]["message"]["text"].startswith(f"cell 3, line {flatten[0]}, column {flatten[1]}: ")


# ------------------------------------------------------------------ --fix

HANDWRITTEN = {  # indent 2, keys not sorted, a string source, outputs and metadata kept
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"language_info": {"name": "python"}, "zeta": [1, 2], "alpha": {"é": "ü"}},
    "cells": [
        {"id": "md1", "cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]},
        {"source": IMPORTS, "cell_type": "code", "id": "c1", "metadata": {"tags": ["x"]},
         "execution_count": 3, "outputs": []},
        {"cell_type": "code", "execution_count": 4, "id": "c2", "metadata": {},
         "outputs": [{"output_type": "display_data", "metadata": {},
                      "data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"]}}],
         "source": ("%config InlineBackend.figure_format = 'retina'\n" + NET).splitlines(True)},
        {"cell_type": "code", "execution_count": None, "id": "c3", "metadata": {}, "outputs": [], "source": []},
    ],
}


def _spans(text):
    from shapelint.core.notebook import _source_spans

    return _source_spans(text)


@pytest.mark.torch
@pytest.mark.parametrize("indent,trailing", [(2, ""), (1, "\n"), (4, "\n")])
def test_fix_rewrites_only_the_fixed_cell(tmp_path, indent, trailing):
    from torch_oracle import run_model

    text = json.dumps(HANDWRITTEN, indent=indent, ensure_ascii=False) + trailing
    nbformat.validate(nbformat.reads(text, as_version=4))
    path = tmp_path / "fixme.ipynb"
    path.write_bytes(text.encode("utf-8"))
    r = run_cli("--fix", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    new = path.read_bytes().decode("utf-8")
    nbformat.validate(nbformat.reads(new, as_version=4))
    (a, b), (c, d) = _spans(text)[2], _spans(new)[2]
    assert new[:c] == text[:a] and new[d:] == text[b:]  # every byte outside cell 3's source
    fixed = json.loads(new)
    assert fixed["cells"][2]["source"] == json.loads(text)["cells"][2]["source"][:5] + [
        "        self.fc = nn.Linear(7200, 10)\n"] + json.loads(text)["cells"][2]["source"][6:]
    assert fixed["cells"][2]["source"][0].startswith("%config")  # the magic line as it was
    assert new[c:d].count("\n") == text[a:b].count("\n")  # one string per line, laid out as before
    code = IMPORTS + "\n" + "".join(fixed["cells"][2]["source"][1:])
    assert run_model(code, "Net", [2, 3, 32, 32]).verdict == "ok"
    assert run_cli(str(path)).returncode == 0


def test_fix_a_string_source_and_a_model_used_in_another_cell(tmp_path):
    nb = json.loads(json.dumps(HANDWRITTEN))
    nb["cells"][2]["source"] = NET  # one string, not a list
    nb["cells"][3]["source"] = ["m = Net()\n", "y = m(torch.randn(2, 3, 32, 32))"]
    text = json.dumps(nb, indent=1)
    nbformat.validate(nbformat.reads(text, as_version=4))
    path = tmp_path / "s.ipynb"
    path.write_text(text)
    r = run_cli("--diff", str(path))
    assert r.returncode == 1 and '-   "source": "class Net' in r.stdout
    assert run_cli("--fix", str(path)).returncode == 0
    new = path.read_text()
    (a, b), (c, d) = _spans(text)[2], _spans(new)[2]
    assert new[:c] == text[:a] and new[d:] == text[b:]
    assert json.loads(new)["cells"][2]["source"] == GOOD_NET


def test_fix_from_standard_input(tmp_path):
    text = json.dumps(HANDWRITTEN, indent=1)
    r = run_cli("--fix", "-", "--stdin-filename", "x.ipynb", input=text)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cells"][2]["source"][5] == "        self.fc = nn.Linear(7200, 10)\n"


def test_the_cold_path_does_not_import_nbformat(tmp_path):
    path = write(tmp_path, [new_code_cell(IMPORTS), new_code_cell(NET)])
    code = ("import sys, runpy; sys.argv = ['shapelint', %r]\ntry:\n    runpy.run_module('shapelint', run_name='__main__')\n"
            "except SystemExit:\n    pass\nprint('nbformat' in sys.modules, 'jsonschema' in sys.modules)") % str(path)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=ROOT))
    assert r.stdout.strip().endswith("False False"), r.stdout + r.stderr
