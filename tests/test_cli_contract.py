"""docs/contract.md pinned with real subprocess runs of the CLI.

Expected numbers come from the fixtures' own text (the `# defect` line, the columns of
the literal in that line) or from torch's formulas written out, never from shapelint.
The field tables of docs/contract.md are read from the document itself: the JSON must
have exactly the fields it lists, of the types it names.
"""

import json
import os
import re

import pytest

from conftest import ROOT, run_cli
from markdown_links import prose_lines

FIX = os.path.join(ROOT, "fixtures")
CONTRACT = os.path.join(ROOT, "docs", "contract.md")
JSON_TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def fixture(name):
    return os.path.join(FIX, name)


def _defect_line(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    (n,) = [i for i, ln in enumerate(lines, 1) if "# defect" in ln]
    return n, lines[n - 1]


def test_json_diagnostic_fields_types_and_positions():
    path = fixture("shp002_linear_bad.py")
    r = run_cli("--format", "json", path)
    assert r.returncode == 1, r.stderr
    (d,) = json.loads(r.stdout)
    for key, typ in (("path", str), ("line", int), ("column", int), ("code", str), ("severity", str), ("message", str)):
        assert isinstance(d[key], typ), key
    assert d["path"] == path and d["code"] == "SHP002" and d["severity"] == "error"
    line, text = _defect_line(path)
    assert d["line"] == line
    # 1-based column of the in_features literal `16 * 5 * 5` in that line
    assert d["column"] == text.index("16 * 5 * 5") + 1
    # both numbers: 16 * 5 * 5 = 400 declared; torch: 28 -> conv5 24 -> pool 12 -> conv5 8, 16 * 8 * 8 = 1024
    assert "400" in d["message"] and "1024" in d["message"]


def test_exit_zero_when_clean_and_json_is_an_empty_array():
    r = run_cli("--format", "json", fixture("seed_simple_cnn.py"), fixture("layers_conv.py"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_exit_two_on_usage_errors():
    assert run_cli().returncode == 2
    assert run_cli("--input-shape", "Net=a,,b", fixture("seed_simple_cnn.py")).returncode == 2
    assert run_cli("--input-shape", "Net", fixture("seed_simple_cnn.py")).returncode == 2
    assert run_cli("--format", "yaml", fixture("seed_simple_cnn.py")).returncode == 2
    r = run_cli("--input-shape", "=1,2", fixture("seed_simple_cnn.py"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_missing_path_is_exit_two_but_other_files_are_checked():
    r = run_cli("--format", "json", fixture("shp003_view_bad.py"), os.path.join(FIX, "no_such_file.py"))
    assert r.returncode == 2
    assert "no_such_file.py" in r.stderr and "Traceback" not in r.stderr
    assert [d["code"] for d in json.loads(r.stdout)] == ["SHP003"]


def test_file_that_does_not_parse_is_a_diagnostic(tmp_path):
    p = tmp_path / "broken.py"
    p.write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x)\n        return x\n")
    good = tmp_path / "good.py"
    good.write_text("import torch.nn as nn\n\nclass Net(nn.Module):  # shapelint: input=(1, 2, 3)\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n")
    r = run_cli("--format", "json", str(p), str(good))
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP100" and d["severity"] == "error" and d["path"] == str(p)
    assert d["line"] == 4 and d["column"] >= 1


def test_undecodable_file_is_a_diagnostic(tmp_path):
    p = tmp_path / "latin.py"
    p.write_bytes(b"import torch\nx = '\xff\xfe'\n")
    r = run_cli("--format", "json", str(p))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP101" and d["severity"] == "error" and d["line"] >= 1 and d["column"] >= 1


def test_input_shape_repeats_and_overrides_the_comment():
    path = fixture("seed_pooling.py")
    # DownBy4: MaxPool2d(4, 4) then Linear(3 * 8 * 8): with a 64x64 input the pool gives 16x16 (torch: (64 - 4) // 4 + 1)
    r = run_cli("--format", "json", "--input-shape", "DownBy4=2,3,64,64", "--input-shape", "SameSize7=2,3,28,28", path)
    assert r.returncode == 1
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP002" and str(3 * 16 * 16) in d["message"] and "192" in d["message"]
    r = run_cli("--format", "json", "--input-shape", "DownBy4=2,3,32,32", "--input-shape", "SameSize7=2,3,30,30", path)
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP002" and str(16 * 30 * 30) in d["message"]


def test_module_level_variable_target():
    path = fixture("seed_sequential_add_module.py")
    r = run_cli("--format", "json", "--input-shape", "model=2,3,32,32", path)
    assert r.returncode == 0 and json.loads(r.stdout) == []
    # 16x16 images: Conv1 keeps 16, Pool1 gives 8, so FC gets 16 * 8 * 8 = 1024, not 4096
    r = run_cli("--format", "json", "--input-shape", "model=2,3,16,16", path)
    assert r.returncode == 1
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP002" and "1024" in d["message"] and "4096" in d["message"]


def test_explain_json_structure():
    path = fixture("seed_pooling.py")
    r = run_cli("--explain", "--format", "json", path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) >= {"models"}
    models = {m["class"]: m for m in data["models"]}
    assert set(models) == {"DownBy4Small", "DownBy4", "SameSize7", "BinaryImageClassification"}
    for m in data["models"]:
        assert m["path"] == path and isinstance(m["line"], int) and isinstance(m["layers"], list)
        for row in m["layers"]:
            assert set(row) >= {"module", "line", "op", "in", "out"}
            assert row["module"] is None or isinstance(row["module"], str)
            assert isinstance(row["line"], int) and row["line"] >= 1 and isinstance(row["op"], str)
            for dims in (row["in"], row["out"]):
                assert all(isinstance(v, (int, str)) for v in dims)
    bic = models["BinaryImageClassification"]
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[bic["line"] - 1].startswith("class BinaryImageClassification")
    assert bic["input"] == [8, 3, 64, 64]
    rows = {r["module"]: r for r in bic["layers"]}
    # module names as torch's named_modules() spells them
    assert {"conv_block", "conv_block.0", "conv_block.1", "conv_block.4", "classifier"} <= set(rows)
    assert rows["conv_block.4"]["op"] == "MaxPool2d" and rows["conv_block.4"]["out"] == [8, 32, 32, 32]
    assert rows["classifier"]["in"] == [8, 32 * 32 * 32]
    functional = [r for r in bic["layers"] if r["module"] is None]
    assert functional and all(r["op"] for r in functional)  # x.view(...)


def test_explain_symbolic_dims_are_strings(tmp_path):
    p = tmp_path / "sym.py"
    p.write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(3, 4, 3)\n\n    def forward(self, x):\n        return self.conv(x)\n")
    r = run_cli("--explain", "--format", "json", str(p))
    assert r.returncode == 0
    (m,) = json.loads(r.stdout)["models"]
    (row,) = m["layers"]
    assert row["module"] == "conv" and row["out"][1] == 4
    assert all(isinstance(v, str) for v in (row["out"][0], row["out"][2], row["out"][3]))


@pytest.mark.parametrize("fmt", ["text", "concise"])
def test_text_formats_show_path_line_column(fmt):
    path = fixture("shp001_channel_mismatch_bad.py")
    r = run_cli("--format", fmt, path)
    assert r.returncode == 1
    line, text = _defect_line(path)
    assert f"{path}:{line}:{text.index('64, 64') + 1}: SHP001" in r.stdout


@pytest.mark.torch
def test_directory_argument_checks_every_fixture():
    r = run_cli("--format", "json", FIX)
    assert r.returncode == 1, r.stderr[-2000:]
    # the fixture files at the top of fixtures/ (sub-folders hold other suites' cases)
    top = [d for d in json.loads(r.stdout) if os.path.dirname(os.path.abspath(d["path"])) == os.path.abspath(FIX)]
    paths = {os.path.basename(d["path"]) for d in top if d["severity"] == "error"}
    bad = {n for n in os.listdir(FIX) if n.endswith("_bad.py") and "variable" not in n and "add_module" not in n}
    assert bad <= paths, sorted(bad - paths)
    assert not {p for p in paths if not p.endswith("_bad.py")}


# ------------------------------------------------------------------ the document's field tables


def contract_tables():
    """{heading or the sentence before the table: {field: (types, always)}} from docs/contract.md."""
    with open(CONTRACT, encoding="utf-8") as fh:
        text = fh.read()
    tables, paragraph, title, current = {}, [], None, None
    for _, line in prose_lines(text):
        row = re.fullmatch(r"\|\s*`(\w+)`\s*\|([^|]+)\|(.*)\|\s*", line)
        if row:
            name, types, meaning = row.group(1), row.group(2).strip(), row.group(3).strip()
            current[name] = ([JSON_TYPES[t] for t in types.split(" or ")], not meaning.startswith("only "))
        elif line.startswith("|"):  # the header row and the rule under it
            if current is None:
                current = tables.setdefault(title, {})
        elif line.strip():
            paragraph.append(line.strip().lstrip("#").strip())
        else:
            title = " ".join(paragraph) if paragraph else title
            paragraph, current = [], None
    return tables


def table(title_start):
    (found,) = [t for title, t in contract_tables().items() if title.startswith(title_start)]
    return found


def check_fields(obj, fields, where):
    always = {name for name, (_, required) in fields.items() if required}
    assert always <= set(obj), (where, sorted(always - set(obj)))
    assert set(obj) <= set(fields), (where, "not in docs/contract.md:", sorted(set(obj) - set(fields)))
    for name, value in obj.items():
        types, _ = fields[name]
        # bool is an int subclass: an integer field must not hold true/false
        assert any(type(value) is t for t in types), (where, name, value, types)


def test_the_contract_tables_parse():
    tables = contract_tables()
    assert len(tables) == 11, sorted(tables)
    assert {"path", "line", "column", "code", "severity", "message"} <= set(table("Every field, in every diagnostic"))


def test_json_diagnostics_have_exactly_the_documented_fields(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    def forward(self, x)\n        return x\n")
    r = run_cli("--format", "json", fixture("shp002_linear_bad.py"), str(broken))
    assert r.returncode == 1, r.stderr
    with_fix, without_fix = sorted(json.loads(r.stdout), key=lambda d: d["code"] != "SHP002")
    assert with_fix["fix"] is not None and without_fix["code"] == "SHP100" and without_fix["fix"] is None
    for d in (with_fix, without_fix):
        check_fields(d, table("Every field, in every diagnostic"), d["code"])
    check_fields(with_fix["fix"], table("A `fix` object"), "fix")
    assert with_fix["fix"]["edits"]
    for edit in with_fix["fix"]["edits"]:
        check_fields(edit, table("An edit object"), "edit")
    lines = run_cli("--format", "json-lines", fixture("shp002_linear_bad.py")).stdout.splitlines()
    assert [json.loads(ln) for ln in lines] == [with_fix]


def _check_explain(data, expect_seen):
    models, layers, unknown = table("Model fields"), table("Layer fields"), table("Unknown fields")
    assert set(data) == {"models", "diagnostics"}
    seen = set()
    for m in data["models"]:
        check_fields(m, models, m["class"])
        seen |= set(m)
        for row in m["layers"]:
            check_fields(row, layers, (m["class"], row["op"]))
            if row["receptive_field"] is not None:
                check_fields(row["receptive_field"], table("A receptive field object"), (m["class"], row["op"], "receptive_field"))
                seen.add("receptive_field.row")
            seen |= {f"layer.{k}" for k in row}
        for u in m["unknown"]:
            check_fields(u, unknown, (m["class"], "unknown"))
            seen |= {f"unknown.{k}" for k in u}
        for i in m["inputs"]:
            check_fields(i, table("Each declared input"), (m["class"], "inputs"))
            seen |= {f"inputs.{k}" for k in i}
        if "trace" in m:
            check_fields(m["trace"], table("Trace fields"), (m["class"], "trace"))
        if "summary" in m:
            rows = table("A summary row")
            assert set(m["summary"]) == {"convention", "modules", "total"}
            for row in m["summary"]["modules"]:
                check_fields(row, rows, (m["class"], "summary", row["module"]))
            check_fields(m["summary"]["total"], {k: rows[k] for k in ("params", "trainable", "buffers", "macs", "output_bytes")},
                         (m["class"], "summary total"))
            seen.add("summary.row")
    contract_six = {k: v for k, v in table("Every field, in every diagnostic").items()
                    if k in ("path", "line", "column", "code", "severity", "message")}
    for d in data["diagnostics"]:
        check_fields({k: d[k] for k in contract_six}, contract_six, "explain diagnostic")
    assert expect_seen <= seen, sorted(expect_seen - seen)


def test_explain_json_has_exactly_the_documented_fields(tmp_path):
    # a block that needs constructor arguments cannot be built alone: its shapes are unknown
    block = tmp_path / "block.py"
    block.write_text("import torch.nn as nn\n\nclass Block(nn.Module):\n    def __init__(self, channels):\n"
                     "        super().__init__()\n        self.conv = nn.Conv2d(channels, channels, 3)\n\n"
                     "    def forward(self, x):\n        return self.conv(x)\n")
    # branches.py has an undecided branch (conditional rows); add_module.py a module-level variable
    r = run_cli("--explain", "--format", "json", fixture("seed_pooling.py"), str(block),
                os.path.join(FIX, "idioms", "branches.py"), fixture("seed_sequential_add_module.py"),
                str(notebook(tmp_path)))
    assert r.returncode in (0, 1), r.stderr
    data = json.loads(r.stdout)
    static_fields = {n for n in table("Model fields") if n != "trace"}
    static_layer = {f"layer.{n}" for n in table("Layer fields") if n != "traced_out"}
    _check_explain(data, static_fields | static_layer | {"unknown.line", "unknown.reason", "summary.row", "receptive_field.row"}
                   | {"inputs.name", "inputs.shape", "inputs.dtype"})
    assert {m["kind"] for m in data["models"]} == {"class", "variable"}


def notebook(tmp_path, name="nb.ipynb"):
    """shp002_linear_bad.py as the second cell of a notebook (a markdown cell first)."""
    with open(fixture("shp002_linear_bad.py"), encoding="utf-8") as fh:
        code = fh.read()
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Title"]},
                    {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": code.splitlines(True)}],
          "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(nb, indent=1) + "\n")
    return path


def test_notebook_diagnostics_name_their_cell(tmp_path):
    """In a notebook, `cell` is added and line/column are in that cell: the same numbers
    as the same code in a .py file."""
    nb = notebook(tmp_path)
    (plain,) = json.loads(run_cli("--format", "json", fixture("shp002_linear_bad.py")).stdout)
    r = run_cli("--format", "json", str(nb))
    assert r.returncode == 1, r.stderr
    (d,) = json.loads(r.stdout)
    check_fields(d, table("Every field, in every diagnostic"), "notebook")
    for edit in d["fix"]["edits"]:
        check_fields(edit, table("An edit object"), "notebook edit")
    assert d["cell"] == 2 and "cell" not in plain
    assert {k: v for k, v in d.items() if k not in ("cell", "path", "fix", "message", "related")} == {
        k: v for k, v in plain.items() if k not in ("path", "fix", "message", "related")}
    assert [dict(e, cell=2) for e in plain["fix"]["edits"]] == d["fix"]["edits"]
    assert plain["related"] and [dict(x, cell=2, path=d["path"]) for x in plain["related"]] == d["related"]
    for x in d["related"] + plain["related"]:
        check_fields(x, table("A related object"), "related")


def test_explain_trace_json_has_the_documented_trace_fields():
    pytest.importorskip("torch")
    path = os.path.join(FIX, "trace", "configured", "classifier.py")
    r = run_cli("--explain", "--trace", "--format", "json", path)
    assert r.returncode in (0, 1), r.stderr
    data = json.loads(r.stdout)
    _check_explain(data, {"trace", "layer.traced_out"})
    assert all(m["trace"]["status"] == "ok" for m in data["models"])
