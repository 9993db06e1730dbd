"""Modules reached without an import statement (issue 10.4): `sys.modules[...]`,
`importlib.import_module(...)` and alias chains of nn.Module resolve to torch's module, or are
unknown; never a wrong shape. The oracle is torch running the same source."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

HEAD = "import importlib\nimport sys\n\nimport torch\nimport torch.nn as tnn\n\n"
MODEL = (
    "\n\nclass Net(Base):  # shapelint: input=(2, 8)\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc1 = NN.Linear(8, 16)\n        self.fc2 = NN.Linear({width}, 4)\n\n"
    "    def forward(self, x):\n        return self.fc2(FN.relu(self.fc1(x)))\n"
)


def _source(lookups: str, width: int) -> str:
    return HEAD + lookups + MODEL.format(width=width)


def _lint(source):
    result = check_source("m.py", source, explain=True)
    (model,) = [m for m in result.models if m.name == "Net"]
    rows = {r.module: r.out for r in model.layers if r.module is not None}
    return [f for f in result.findings if f.severity == "error"], rows


RESOLVED = {
    "sys.modules": 'NN = sys.modules["torch.nn"]\nFN = sys.modules["torch.nn.functional"]\nBase = tnn.Module\n',
    "importlib": 'NN = importlib.import_module("torch.nn")\nFN = importlib.import_module("torch.nn.functional")\nBase = NN.Module\n',
    "alias chain": 'NN = tnn\nFN = getattr(torch.nn, "functional")\nModule = NN.Module\nBase = Module\n',
}


@pytest.mark.torch
@pytest.mark.parametrize("form", sorted(RESOLVED))
def test_torch_modules_reached_by_lookup_resolve(form):
    good, bad = _source(RESOLVED[form], 16), _source(RESOLVED[form], 12)
    truth = run_model(good, "Net", [2, 8])
    assert truth.verdict == "ok" and run_model(bad, "Net", [2, 8]).verdict == "crash"
    errors, rows = _lint(good)
    assert errors == [] and rows == {"fc1": truth.shapes["fc1"][0], "fc2": truth.shapes["fc2"][0]}
    errors, _rows = _lint(bad)
    assert [f.code for f in errors] == ["SHP002"] and "expects 12 input features" in errors[0].message


UNKNOWN = {
    "sys.modules[__name__]": 'NN = getattr(sys.modules[__name__], "tnn")\nFN = tnn.functional\nBase = tnn.Module\n',
    "a relative import_module": 'NN = importlib.import_module(".nn", "torch")\nFN = tnn.functional\nBase = tnn.Module\n',
    "a computed module name": 'NN = importlib.import_module("torch." + str(len(sys.argv)))\nFN = tnn.functional\nBase = tnn.Module\n',
}


@pytest.mark.parametrize("form", sorted(UNKNOWN))
def test_other_module_lookups_are_unknown_never_guessed(form):
    errors, rows = _lint(_source(UNKNOWN[form], 12))  # fc2 is wrong if NN were torch.nn: not assumed
    assert errors == [] and rows.get("fc2") is None


def test_sys_modules_of_torch_needs_torch_imported():
    source = 'import sys\n\nNN = sys.modules["torch.nn"]\nx = NN.Linear(8, 4)\n'  # KeyError without `import torch`
    result = check_source("m.py", source, explain=True)
    assert not [f for f in result.findings if f.severity == "error"] and not result.models


GETATTR = (
    "import torch.nn as nn\n\n\nclass Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n"
    "        super().__init__()\n        self.fc = nn.Linear(8, 16)\n{write}"
    "        self.out = nn.Linear(getattr(self, \"width\", 4), 2)\n\n"
    "    def forward(self, x):\n        return self.out(self.fc(x))\n"
)


@pytest.mark.torch
@pytest.mark.parametrize("write,verdict", [
    ("        self.__dict__[\"width\"] = 16\n", "ok"),  # written where shapelint does not follow: not the default
    ("", "crash"),  # certainly absent: the default, 4
    ("        self.width = 16\n", "ok"),
])
def test_getattr_gives_its_default_only_where_the_attribute_is_certainly_absent(write, verdict):
    source = GETATTR.format(write=write)
    assert run_model(source, "Net", [2, 8]).verdict == verdict
    errors, rows = _lint(source)
    assert bool(errors) == (verdict == "crash")
    if verdict == "crash":
        assert "out expects 4 input features" in errors[0].message
