"""Positions computed per unit (fast path) must equal libcst's whole-module positions.

The oracle is libcst's own PositionProvider over the whole module (what `--explain`
uses); the fast path resolves only the method or statement holding each finding.
"""

import glob
import os

import pytest

from shapelint.engine.check import check_source
from shapelint.core.rules import REGISTRY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRICKY = {
    "two_space_indent_and_decorators": (
        "import torch.nn as nn\nimport functools\n\n# a comment before the class\n\n"
        "class Net(nn.Module):  # shapelint: input=(1, 3, 8, 8)\n"
        "  # comment inside\n\n  def __init__(self):\n    super().__init__()\n    self.a = nn.Conv2d(3, 4, 3); self.b = nn.Conv2d(5, 4, 3)\n\n"
        "  @functools.lru_cache()\n  # between decorator and def\n  def helper(self):\n    return 1\n\n"
        "  def forward(self, x):\n    x = self.a(x)\n    return self.b(x)\n"
    ),
    "tabs_and_crlf": (
        "import torch\r\nimport torch.nn as nn\r\n\r\nclass Net(nn.Module):  # shapelint: input=(2, 8)\r\n"
        "\tdef __init__(self):\r\n\t\tsuper().__init__()\r\n\t\tself.fc = nn.Linear(9, 2)\r\n\r\n"
        "\tdef forward(self, x):\r\n\t\treturn self.fc(x.view(-1, 8)) + torch.zeros(1)\r\n"
    ),
    "module_level_and_nested": (
        "import torch.nn as nn\n\nmodel = nn.Sequential()\nmodel.add_module('c', nn.Conv2d(3, 8, 3))\n"
        "model.add_module('bn', nn.BatchNorm2d(9))\n\n\ndef build():\n    def inner():\n        return nn.Linear(3, 4)\n    return inner()\n\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 5)\n    def __init__(self):\n        super().__init__()\n        self.fc = build()\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    ),
}


def _sources():
    for code, rule in sorted(REGISTRY.items()):
        for i, src in enumerate(rule.INVALID):
            yield f"{code}-{i}", src
    for name, src in TRICKY.items():
        yield name, src
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True)):
        yield os.path.relpath(path, ROOT), open(path, "rb").read()


SOURCES = list(_sources())


def _positions(result):
    return [(f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in result.findings]


@pytest.mark.parametrize("name,src", SOURCES, ids=[n for n, _ in SOURCES])
def test_fast_positions_equal_whole_module_positions(name, src):
    path = os.path.join(ROOT, name) if name.endswith(".py") else "example.py"
    fast = check_source(path, src, input_shapes={"model": [1, 3, 8, 8]})
    whole = check_source(path, src, input_shapes={"model": [1, 3, 8, 8]}, explain=True)
    assert _positions(fast) == _positions(whole)


def test_tricky_layouts_do_report_findings():
    for name, src in TRICKY.items():
        assert check_source("t.py", src, input_shapes={"model": [1, 3, 8, 8]}).findings, name
