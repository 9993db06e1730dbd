"""Module-level blocks the engine cannot decide (issue 10.1): `try: import x except ImportError:`,
version checks, `if hasattr(...)` with classes defined inside. Analysed both ways or unknown; never
a guessed branch, never a model that disappears. The oracle is torch on this machine."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

OPTIONAL_WIDTH = (
    "import torch.nn as nn\n\ntry:\n    {module}\n    WIDTH = 64\nexcept ImportError:\n    WIDTH = 32\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, WIDTH, 3, padding=1)\n        self.norm = nn.BatchNorm2d({norm})\n\n"
    "    def forward(self, x):\n        return self.norm(self.conv(x))\n"
)


def _lint(source):
    result = check_source("m.py", source, explain=True)
    errors = [f for f in result.findings if f.severity == "error"]
    rows = {}
    for m in result.models:
        for r in m.layers:
            if r.module is not None:
                rows[(m.name, r.module)] = r.out
    return errors, rows, [m.name for m in result.models]


@pytest.mark.torch
@pytest.mark.parametrize("module,norm", [
    ("import shapelint_fixture_not_installed  # noqa", 32),  # torch takes the handler here: WIDTH = 32
    ("import math  # noqa", 64),  # the body imports: WIDTH = 64
])
def test_a_width_chosen_by_an_optional_import_is_never_guessed(module, norm):
    source = OPTIONAL_WIDTH.format(module=module, norm=norm)
    assert run_model(source, "Net", [2, 3, 8, 8]).verdict == "ok"
    errors, rows, models = _lint(source)
    assert errors == [] and models == ["Net"]
    assert rows[("Net", "conv")] is None and rows[("Net", "norm")] is None  # one way or the other: unknown


@pytest.mark.torch
def test_a_layer_wrong_on_both_ways_of_an_optional_import_is_an_error():
    source = OPTIONAL_WIDTH.format(module="import shapelint_fixture_not_installed  # noqa", norm=16)
    assert run_model(source, "Net", [2, 3, 8, 8]).verdict == "crash"
    errors, _rows, _models = _lint(source)
    assert [f.code for f in errors] == ["SHP001"] and "expects 16 input channels" in errors[0].message


@pytest.mark.torch
def test_a_fallback_class_of_an_optional_package_keeps_the_models_of_the_file():
    source = (
        "import torch.nn as nn\n\ntry:\n    from timm.layers import DropPath\nexcept ImportError:\n"
        "    class DropPath(nn.Module):\n        def forward(self, x):\n            return x\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 16)\n        self.drop = DropPath()\n        self.out = nn.Linear(16, 4)\n\n"
        "    def forward(self, x):\n        return self.out(self.drop(self.fc(x)))\n"
    )
    truth = run_model(source, "Net", [2, 8])
    assert truth.verdict == "ok"
    errors, rows, models = _lint(source)
    assert errors == [] and "Net" in models and rows[("Net", "fc")] == truth.shapes["fc"][0]


@pytest.mark.torch
def test_classes_defined_inside_undecided_module_level_blocks_are_checked():
    source = (
        "import torch\nimport torch.nn as nn\n\nif torch.__version__ >= '1.7':\n"
        "    class Block(nn.Module):  # shapelint: input=(2, 8)\n        def __init__(self):\n"
        "            super().__init__()\n            self.fc = nn.Linear(8, 4)\n            self.out = nn.Linear(5, 2)\n\n"
        "        def forward(self, x):\n            return self.out(self.fc(x))\n"
    )
    assert run_model(source, "Block", [2, 8]).verdict == "crash"
    errors, _rows, models = _lint(source)
    assert "Block" in models and [f.code for f in errors] == ["SHP002"]
