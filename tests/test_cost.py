"""Cost linear in the file (issue 17.3), without losing a model.

The cost of a lint is the file's: siblings are parsed only when a name imported from
them is used, once; an undecided branch costs what it touches (no copy of the state);
what would take a package's worth of siblings stops at a budget with an info note.
The figures are scripts/bench_growth.py's; these tests pin the mechanisms and that
every model is still checked (against torch where a verdict is involved).
"""

import os
import textwrap

import pytest

from shapelint.engine import models as engine_models
from shapelint.engine.check import check_source
from torch_oracle import run_module_file


def _package(tmp_path, name, files):
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for rel, text in files.items():
        (pkg / rel).write_text(textwrap.dedent(text))
    return pkg


BIG_UNUSED = "import torch.nn as nn\n\n" + "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(200))

NET = """
import torch.nn as nn

from .helpers import helper_1
from .blocks import Block


class Net(nn.Module):  # shapelint: input=(2, 4, 8, 8)
    def __init__(self):
        super().__init__()
        self.block = Block(4, 6)
        self.head = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        return self.head(self.block(x))
"""

BLOCKS = """
import torch.nn as nn

from .net import Net  # a cycle back to the checked file


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return self.conv(x)
"""


def test_a_sibling_whose_names_are_never_used_is_not_parsed_and_none_twice(tmp_path):
    pkg = _package(tmp_path, "costpkg_lazy", {"net.py": NET, "blocks.py": BLOCKS, "helpers.py": BIG_UNUSED})
    path = str(pkg / "net.py")
    result = check_source(path, open(path).read())
    read = sorted(os.path.basename(p) for p in result.sibling_modules)
    assert read == ["blocks.py"]  # helpers.py is imported but unused; net.py itself is not read again
    (net,) = [m for m in result.models if m.name == "Net"]
    assert net.output == [2, 2, 8, 8]


@pytest.mark.torch
def test_a_class_subclassing_an_imported_module_class_is_still_checked(tmp_path):
    base = """
    import torch.nn as nn


    class Base(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.conv = nn.Conv2d(3, width, 3)
    """
    net = """
    import torch.nn as nn

    from .base import Base


    class Net(Base):  # shapelint: input=(2, 3, 16, 16)
        def __init__(self):
            super().__init__(8)
            self.fc = nn.Linear(8 * 14 * 14 + 1, 10)  # defect: one feature too many

        def forward(self, x):
            return self.fc(self.conv(x).flatten(1))
    """
    pkg = _package(tmp_path, "costpkg_base", {"base.py": base, "net.py": net})
    path = str(pkg / "net.py")
    assert run_module_file(path, str(tmp_path), "Net", [2, 3, 16, 16]).verdict == "crash"
    result = check_source(path, open(path).read())
    assert [f.code for f in result.findings if f.severity == "error"] == ["SHP002"]


@pytest.mark.torch
def test_a_module_level_model_after_an_undecided_module_level_if_is_still_checked(tmp_path):
    source = textwrap.dedent("""
    import os

    import torch.nn as nn

    if os.environ.get("WIDE"):
        WIDTH = 32
    else:
        WIDTH = 32
    if hasattr(nn, "SiLU"):
        ACT = nn.SiLU
    else:
        ACT = nn.ReLU

    model = nn.Sequential(nn.Linear(16, WIDTH), nn.ReLU(), nn.Linear(WIDTH + 1, 4))
    """)
    import torch

    ns = {}
    exec(compile(source, "model.py", "exec"), ns)  # noqa: S102 - the oracle runs the fixture
    with pytest.raises(RuntimeError):
        ns["model"](torch.zeros(2, 16))
    result = check_source(str(tmp_path / "model.py"), source)
    assert [m.name for m in result.models] == ["model"]
    assert [f.code for f in result.findings if f.severity == "error"] == ["SHP002"]


def test_a_sibling_past_the_files_budget_is_unknown_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_models, "MIN_BUDGET_CHARS", 100)
    pkg = _package(tmp_path, "costpkg_budget", {"net.py": NET, "blocks.py": BLOCKS, "helpers.py": BIG_UNUSED})
    path = str(pkg / "net.py")
    result = check_source(path, open(path).read())
    assert not result.sibling_modules
    assert [f.severity for f in result.findings] == ["info"]
    assert "not read" in result.findings[0].message
    (net,) = [m for m in result.models if m.name == "Net"]
    assert net.output is None or "?" in net.output  # unknown, never a guess


def test_a_branch_at_module_level_does_not_copy_the_module(tmp_path):
    """Thousands of globals and thousands of undecided `if`s: each branch touches one name."""
    lines = ["import os", "import torch.nn as nn"]
    for i in range(3000):
        lines.append(f"V{i} = [{i}]")
        lines.append(f"if os.environ.get('X{i}'):\n    V{i} = [{i}]")
    lines.append("model = nn.Sequential(nn.Linear(V2999[0], 3))  # shapelint: input=(2, 2999)")
    source = "\n".join(lines) + "\n"
    from shapelint.engine import frame as engine_frame

    copies = []
    real = engine_frame.Overlay.__getitem__

    def counting(self, name):  # every list a branch reads is copied once, and nothing else
        if name not in self.own and type(self.base.get(name)) is list and self.copy_lists:
            copies.append(name)
        return real(self, name)

    import unittest.mock

    with unittest.mock.patch.object(engine_frame.Overlay, "__getitem__", counting):
        result = check_source(str(tmp_path / "m.py"), source)
    assert [m.output for m in result.models] == [[2, 3]]  # the variable line declares (2, 2999)
    assert len(copies) <= 2 * 3000  # none of the other 2,999 lists is copied by a branch


BAD_NET = '''
class Net{i}(nn.Module):  # shapelint: input=(2, 8)
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 16)
        self.b = nn.Linear(12, 4)

    def forward(self, x):
        return self.b(self.a(x))
'''


def test_positions_of_many_findings_cost_their_own_units(monkeypatch):
    """Each unit's position pass keeps books for that unit's nodes only: with the whole
    file's wanted set copied into every unit, n findings cost n squared (issue 17.3)."""
    import ast

    from shapelint.core import positions
    from shapelint.engine import locate

    count = 60
    source = "import torch.nn as nn\n" + "".join(BAD_NET.format(i=i) for i in range(count))
    sizes, starts = [], []
    real_render, real_starts = positions._render, locate.Locator._unit_starts

    def render(module, wanted):
        sizes.append(len(list(wanted or ())))
        return real_render(module, wanted)

    def unit_starts(self):
        got = real_starts(self)
        starts.append(got)
        return got

    monkeypatch.setattr(positions, "_render", render)
    monkeypatch.setattr(locate.Locator, "_unit_starts", unit_starts)
    result = check_source("m.py", source)
    errors = [f for f in result.findings if f.code == "SHP002"]
    assert len(errors) == count
    # the wrong `nn.Linear(12, 4)` of class i is on line 7 + 9 * i (torch: 2x16 and 12x4)
    assert sorted(f.line for f in errors) == [7 + 9 * i for i in range(count)]
    assert sizes and max(sizes) < 20  # a unit's own handful, not 60 units' worth
    # the unit table holds numbers, not the ast: a file-sized tree kept alive is walked by
    # every later full collection
    assert starts and all(not isinstance(x, ast.AST) for s in starts for v in s.values() for x in v)
