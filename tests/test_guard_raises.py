"""SHP019: a hand-written configuration guard `if cond: raise ValueError(...)` whose condition
holds, against real torch (the model is built and run; torch's verdict is the oracle)."""

import pytest

import test_ops_vs_torch as op_cases
from shapelint.engine.check import check_source
from test_ops_vs_torch import Case

GUARD = "if n % h != 0:\n            raise ValueError(f'{n} is not a multiple of {h}')\n        "
CASES = [
    Case("self.l(x)", "x=(2, 10)", init="n, h = 10, 3\n        " + GUARD + "self.l = nn.Linear(n, 4)"),  # raises
    Case("self.l(x)", "x=(2, 12)", init="n, h = 12, 3\n        " + GUARD + "self.l = nn.Linear(n, 4)"),
    Case("self.l(x)", "x=(2, 10)", init="n, h = 10, 3\n        try:\n            if n % h:\n"
         "                raise ValueError('heads')\n        except ValueError:\n            n = 10\n"
         "        self.l = nn.Linear(n, 4)"),  # caught: torch runs
    Case("self.l(x)", "x=(2, 10)", init="n, h = 10, 3\n        if n % h == 0:\n            pass\n"
         "        elif h > 2:\n            raise RuntimeError('heads')\n        self.l = nn.Linear(n, 4)"),  # an elif guard: raises
    Case("x.view(x.size(0), self.h, -1)", "x=(2, 12)", init="self.h = 5\n        if 12 % self.h:\n"
         "            raise TypeError('bad')"),  # raises
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.init.splitlines()[0]} | {c.inputs}" for c in CASES])
def test_guard_verdict_matches_torch(case):
    op_cases.test_op_matches_torch(case)


def test_guard_finding_names_the_values_and_the_nearest_multiples():
    source = op_cases._source(CASES[0])
    (f,) = [f for f in check_source("m.py", source).findings if f.severity == "error"]
    assert f.code == "SHP019"
    assert "n=10, h=3" in f.message and "use 9 or 12" in f.message, f.message


def test_not_implemented_is_an_abstract_method_not_a_guard():
    source = op_cases.HEAD + (
        "class Base(nn.Module):  # shapelint: x=(2, 4)\n"
        "    def __init__(self, kind='abstract'):\n        super().__init__()\n        self.kind = kind\n\n"
        "    def forward(self, x):\n        if self.kind == 'abstract':\n            raise NotImplementedError\n"
        "        return x\n")
    assert [f.code for f in check_source("m.py", source).findings if f.severity == "error"] == []
