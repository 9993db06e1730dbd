"""Builtins and standard-library helpers as Python defines them, each deciding a Linear's width
that torch then runs: min/max/sorted with `key`, `default` and `reverse` (before, the keywords
were ignored: `max([1, 5, 3], key=lambda v: -v)` came out 5, Python says 1), len() of modules
(only torch's containers, or a class's own __len__, have one), `global`/`nonlocal` writes (the
enclosing scope sees them; before, a `nonlocal total; total += v` helper left total at 0),
functools.reduce with operator functions, itertools, torch.utils.checkpoint (its function's
result) and the eager-mode flags (torch.jit.is_scripting() is False when the model runs as
Python). Where Python raises, the width is unknown, never a guess.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import functools
import itertools
import math
import operator

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint

COUNT = 0


def bump():
    global COUNT
    COUNT += 1
    return COUNT


def running_total(values):
    total = 0

    def add(v):
        nonlocal total
        total += v

    for v in values:
        add(v)
    return total


class Sized(nn.Module):
    def __len__(self):
        return 3


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, EXPR)
        self.pre = nn.Identity()

    def forward(self, x):
        if torch.jit.is_scripting() or torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            x = x[:, :2]
        return self.fc(checkpoint(self.pre, x, use_reentrant=False))
'''

DECIDED = [
    "max([1, 5, 3], key=lambda v: -v)", "min([4, 2, 9], key=lambda v: abs(v - 8))", "min([], default=3)",
    "max(2, 7, 3)", "sorted([3, 1, 2], reverse=True)[0]", "sorted(['bb', 'a', 'ccc'], key=len)[0] == 'a' and 2 or 5",
    "sorted([(2, 9), (1, 4)])[0][1]", "max([(1, 3), (1, 5)])[1]", "max([2, 2.0, 1], key=lambda v: v) + 1",
    "len(nn.ModuleList([nn.ReLU()] * 3))", "len(nn.Sequential(nn.ReLU(), nn.ReLU()))", "len(Sized())",
    "running_total([4, 3])", "bump() + bump()", "len(list(zip([1, 2, 3], [4, 5])))",
    "functools.reduce(operator.mul, [1, 2, 3], 1)", "functools.reduce(operator.add, [1, 2, 3])",
    "functools.reduce(lambda a, b: a * 10 + b, [1, 2])", "list(itertools.accumulate([1, 2, 3]))[-1]",
    "len(list(itertools.product((1, 2), (3, 4, 5))))", "len(list(itertools.chain([1, 2], [3])))",
    "len(list(itertools.chain.from_iterable([[1, 2], [3]])))", "len(list(itertools.combinations(range(4), 2)))",
    "len(list(itertools.pairwise([1, 2, 3])))", "sum(itertools.islice(range(10), 2, 5))",
    "list(itertools.accumulate([1, 2, 3], initial=4))[1]",
    "'abc'.find('c') + 1", "len('a b'.strip().partition(' '))", "int('x12'.removeprefix('x'))", "len('a_b_c'.rsplit('_', 1))",
    "math.isqrt(9) + math.ceil(7 / 2)", "int(math.log10(1000)) + math.comb(4, 2)",
]
# Python raises (TypeError, ValueError) or shapelint does not know: the width is not stated
RAISES = ["len(nn.Linear(2, 2))", "'abc'.index('z')", "max([])", "sorted([3, 'a'])[0]", "len(list(zip([1, 2], [3], strict=True)))",
          "functools.reduce(operator.add, [])"]


def _check(expr):
    src = SNIPPET.replace("EXPR", expr)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], expr
    (report,) = [m for m in result.models if m.name == "Net"]
    return src, report.output


@pytest.mark.parametrize("expr", DECIDED)
def test_the_width_is_the_one_python_computes(expr):
    import torch

    src, got = _check(expr)
    want = list(load(src, "m.py").Net()(torch.zeros(2, 4)).shape)
    assert got == want, expr


@pytest.mark.parametrize("expr", RAISES)
def test_where_python_raises_nothing_is_stated(expr):
    src, got = _check(expr)
    with pytest.raises((TypeError, ValueError)):
        load(src, "m.py").Net()
    assert got is None, expr
