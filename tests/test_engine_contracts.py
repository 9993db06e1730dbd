"""The typed contracts between the engine and its front ends, and the engine's one hook for
what it does not model. Expected values are written out from the sources below."""

import pytest

from shapelint.core.inputs import COMMAND_LINE, COMMENT, PYPROJECT
from shapelint.core.results import ExplainRow
from shapelint.engine.check import check_source
from shapelint.engine.interpreter import Interpreter

HEAD = "import torch\nimport torch.nn as nn\n\n\n"
NESTED = HEAD + (
    "class Stage(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(16, 8, 3)\n\n"
    "    def forward(self, x):\n        return self.conv(x)\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.stem = nn.Conv2d(3, 4, 3)\n"
    "        self.stage = Stage()\n\n"
    "    def forward(self, x):\n        y = torch.flatten(self.stem(x), 4)\n        return self.stage(self.stem(x))\n"
)


def test_findings_name_the_submodule_they_concern():
    findings = {f.code: f for f in check_source("net.py", NESTED).findings if f.severity == "error"}
    assert findings["SHP001"].module == "stage.conv"  # as Net().named_modules() spells it
    assert findings["SHP001"].message.startswith("stage.conv expects 16 input channels")
    assert findings["SHP012"].module is None  # a functional op in Net's own forward: no submodule


def test_explain_rows_are_typed_and_serialize_to_the_contract():
    (model,) = [m for m in check_source("net.py", NESTED, explain=True).models if m.name == "Net"]
    assert model.layers and all(isinstance(r, ExplainRow) for r in model.layers)
    stem = next(r for r in model.layers if r.module == "stem")
    assert (stem.inp, stem.out) == ([2, 3, 16, 16], [2, 4, 14, 14])  # (16 - 3) // 1 + 1 = 14
    assert list(stem.to_json()) == ["module", "op", "in", "out", "line", "call_line", "receptive_field"]
    assert stem.to_json()["receptive_field"] == {"size": [3, 3], "jump": [1, 1]}  # one 3x3 kernel, stride 1
    assert stem.to_json()["line"] == NESTED.split("\n").index("        self.stem = nn.Conv2d(3, 4, 3)") + 1


def test_the_input_resolver_records_each_targets_source():
    src = HEAD + "".join(
        f"class {name}(nn.Module):{comment}\n    def forward(self, x):\n        return x\n\n\n"
        for name, comment in (("A", "  # shapelint: input=(1, 2)"), ("B", "  # shapelint: input=(3, 4)"), ("C", ""))
    )
    r = check_source("m.py", src, {"B": [5, 6]}, config_shapes={"A": [7, 8], "C": ["N", 9]})
    got = {name: (d.origin, d.dims) for name, d in r.inputs.items()}
    assert got == {"A": (COMMENT, [1, 2]), "B": (COMMAND_LINE, [5, 6]), "C": (PYPROJECT, ["N", 9])}
    # each model is checked with that input (a symbolic batch is always shown as B)
    assert {m.name: m.input for m in r.models} == {"A": [1, 2], "B": [5, 6], "C": ["B", 9]}


UNMODELLED = HEAD + (
    "class Net(nn.Module):  # shapelint: input=(2, 3)\n"
    "    def forward(self, x):\n"
    "        s = {'a', 'b'}\n"
    "        y = undefined_name + 1\n"
    "        z = x.histc(4)\n"
    "        w = torch.special_function_without_rule(x)\n"
    "        h = hasattr(x, 'shape')\n"
    "        match s:\n"
    "            case _:\n"
    "                pass\n"
    "        return x\n"
)


def test_every_construct_that_is_not_modelled_passes_one_method(monkeypatch):
    seen = []
    real = Interpreter.unmodelled

    def record(self, what, node=None):
        seen.append(what)
        return real(self, what, node)

    monkeypatch.setattr(Interpreter, "unmodelled", record)
    check_source("m.py", UNMODELLED)
    for what in ("set", "name `undefined_name`", ".histc()", "`torch.special_function_without_rule`", "hasattr", "statement Match"):
        assert what in seen, (what, seen)


def test_a_strict_mode_needs_only_that_method(monkeypatch):
    class NotModelled(Exception):
        pass

    def strict(self, what, node=None):
        raise NotModelled(what)

    monkeypatch.setattr(Interpreter, "unmodelled", strict)
    with pytest.raises(NotModelled, match="set"):
        check_source("m.py", UNMODELLED)
    assert check_source("ok.py", HEAD + "class Net(nn.Module):\n    def forward(self, x):\n        return x\n").findings == []
