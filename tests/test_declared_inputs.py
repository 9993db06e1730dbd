"""Several forward inputs, by name and dtype (issue 11.3, DECISIONS.md), through the one resolver.

The same declaration is given four ways (class-line comment, --input-shape
TARGET.PARAM=..., a pyproject string, a pyproject table); each must give the verdict
torch gives on those inputs, and `--explain --format json` lists the inputs it used.
"""

import json

import pytest

from conftest import run_cli
from shapelint.core.inputs import (
    COMMAND_LINE, COMMENT, FIRST, PYPROJECT, TensorSpec, as_declaration, comment_declaration, parse_declaration,
    parse_spec, resolve_inputs,
)
from torch_oracle import InputSpec, run_declared

MODEL = """import torch
import torch.nn as nn


class Two(nn.Module):{comment}
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x, t, mask=None):
        h = x + self.emb(t)
        if mask is not None:
            h = h[:, :2]
        return self.fc(h)
"""

GOOD = [InputSpec("x", [2, 5, 8]), InputSpec("t", [2, 5], "long")]
BAD = [InputSpec("x", [2, 5, 6]), InputSpec("t", [2, 5], "long")]  # 6 + 8 features: the add fails


def _lint(tmp_path, comment="", pyproject=None, *args):
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=comment))
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    proc = run_cli("--explain", "--format", "json", *args, str(model))
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    (two,) = [m for m in data["models"] if m["class"] == "Two"]
    return [d for d in data["diagnostics"] if d["severity"] == "error"], two


def test_parsing_every_form():
    assert parse_spec("2,64:long") == TensorSpec((2, 64), "long")
    assert parse_spec("(2,)") == TensorSpec((2,), "float")
    assert parse_spec("(B, 3, 32, 32)") == TensorSpec(("B", 3, 32, 32), "float")
    for bad in ("2,x-1", "a,,b", "2,3:complex", "", "()"):
        assert parse_spec(bad) is None, bad
    assert parse_declaration("src=(2,10):long, trg=(2,12):long") == (
        ("src", TensorSpec((2, 10), "long")), ("trg", TensorSpec((2, 12), "long")))
    assert parse_declaration("x=(2, 3), oops, t=(2,)") is None  # a typo never drops an input silently
    assert parse_declaration("x=(2, 3), x=(2, 4)") is None
    assert comment_declaration("# shapelint: x=(2, 3, 16, 16), time=(2,):long") == (
        ("x", TensorSpec((2, 3, 16, 16))), ("time", TensorSpec((2,), "long")))
    assert comment_declaration("# shapelint: noqa") is None
    assert as_declaration([2, 3, 32, 32]) == ((FIRST, TensorSpec((2, 3, 32, 32))),)
    assert as_declaration("idx=(2, 16):long") == (("idx", TensorSpec((2, 16), "long")),)
    assert as_declaration({"idx": "2,16:long", "targets": [2, 16]}) == (
        ("idx", TensorSpec((2, 16), "long")), ("targets", TensorSpec((2, 16))))
    assert as_declaration([True, 3]) is None and as_declaration({"x": "2,a-b"}) is None


def test_the_strongest_source_decides_per_target():
    got = resolve_inputs({"A": "x=(1, 2)"}, {"A": "x=(3, 4)", "B": "t=(5,):long"}, {"B": [6], "C": {"x": "7,8"}})
    assert got["A"].origin == COMMAND_LINE and got["A"].dims == [1, 2]
    assert got["B"].origin == COMMENT and got["B"].inputs == (("t", TensorSpec((5,), "long")),)
    assert got["C"].origin == PYPROJECT and got["C"].to_json() == [{"name": "x", "shape": [7, 8], "dtype": "float"}]


@pytest.mark.torch
def test_the_oracle_agrees_on_the_two_cases():
    source = MODEL.format(comment="")
    assert run_declared(source, "Two", GOOD).verdict == "ok"
    assert run_declared(source, "Two", BAD).verdict == "crash"


WAYS = {
    "comment": lambda specs: ("  # shapelint: " + ", ".join(
        f"{s.name}=({', '.join(map(str, s.dims))}):{s.dtype}" for s in specs), None, ()),
    "command line": lambda specs: ("", None, tuple(
        a for s in specs for a in ("--input-shape", f"Two.{s.name}={','.join(map(str, s.dims))}:{s.dtype}"))),
    "pyproject string": lambda specs: ("", '[tool.shapelint.input-shapes]\nTwo = "' + ", ".join(
        f"{s.name}=({', '.join(map(str, s.dims))}):{s.dtype}" for s in specs) + '"\n', ()),
    "pyproject table": lambda specs: ("", "[tool.shapelint.input-shapes]\nTwo = {" + ", ".join(
        f'{s.name} = "{",".join(map(str, s.dims))}:{s.dtype}"' for s in specs) + "}\n", ()),
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_each_way_of_declaring_gives_torchs_verdict(tmp_path, way):
    for specs, fails in ((GOOD, False), (BAD, True)):
        comment, pyproject, args = WAYS[way](specs)
        folder = tmp_path / ("bad" if fails else "good")
        folder.mkdir()
        errors, two = _lint(folder, comment, pyproject, *args)
        assert bool(errors) == fails, (way, specs, errors)
        assert two["inputs"] == [{"name": s.name, "shape": s.dims, "dtype": s.dtype} for s in specs]
        if not fails:
            # the optional `mask` stays None: its branch does not run, so fc sees the full length
            assert two["output"] == [2, 5, 4]
            assert [r["out"] for r in two["layers"] if r["module"] == "emb"] == [[2, 5, 8]]


def test_an_undeclared_second_input_is_unknown_never_an_error(tmp_path):
    errors, two = _lint(tmp_path, "  # shapelint: x=(2, 5, 6)")
    assert errors == [] and two["output"] is None


def test_first_input_by_position_and_by_name_merge_on_the_command_line(tmp_path):
    errors, two = _lint(tmp_path, "", None, "--input-shape", "Two=2,5,6", "--input-shape", "Two.t=2,5:long")
    assert errors and two["inputs"] == [{"name": "input", "shape": [2, 5, 6], "dtype": "float"},
                                        {"name": "t", "shape": [2, 5], "dtype": "long"}]


def test_bad_declarations_are_usage_or_config_errors(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=""))
    assert run_cli("--input-shape", "Two.t=2,5:complex", str(model)).returncode == 2
    assert run_cli("--input-shape", "Two.=2,5", str(model)).returncode == 2
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint.input-shapes]\nTwo = "x=(2, 5, 8) t=(2, 5)"\n')
    proc = run_cli(str(model))
    assert proc.returncode == 2 and "input-shapes.Two" in proc.stderr


def test_a_variable_line_declares_its_model(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment="") + "\n\nmodel = Two()  # shapelint: x=(3, 4, 6), t=(3, 4):long\n")
    proc = run_cli("--explain", "--format", "json", str(model))
    data = json.loads(proc.stdout)
    (var,) = [m for m in data["models"] if m["class"] == "model"]
    assert var["kind"] == "variable" and var["inputs"][1] == {"name": "t", "shape": [3, 4], "dtype": "long"}
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert errors and proc.returncode == 1  # 6 vs 8 features, as torch says (BAD, batch 3)


@pytest.mark.torch
def test_torch_rejects_the_variable_lines_inputs_too():
    specs = [InputSpec("x", [3, 4, 6]), InputSpec("t", [3, 4], "long")]
    assert run_declared(MODEL.format(comment=""), "Two", specs).verdict == "crash"
