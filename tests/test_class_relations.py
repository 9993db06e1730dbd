"""type(), issubclass(), callable(), isinstance(x, functools.partial) and typing.cast, as Python
answers them: each expression decides a Linear's width, and the engine's output shape must be
torch's (the snippet really runs). Where the engine does not follow the class (type() of a
tensor, which may be a Parameter), the shape is unknown, never a guess. Written from Python's
documented semantics: a class's type is its metaclass (`type` for torch and builtin classes),
issubclass follows the MRO (bool is an int), nn.Module instances are callable (__call__),
tensors are not, typing.cast returns its value unchanged.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import functools
import typing
from functools import partial
from typing import cast

import torch
import torch.nn as nn


class Mine(nn.Module):
    pass


class Sub(Mine):
    pass


class Other:
    pass


def helper(x):
    return x


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1 + int(EXPR))

    def forward(self, x):
        return self.fc(x)
'''

DECIDED = [
    "issubclass(nn.BatchNorm2d, nn.Module)", "issubclass(Mine, nn.Module)", "issubclass(Sub, Mine)",
    "issubclass(Mine, Sub)", "issubclass(Mine, Other)", "issubclass(bool, int)", "issubclass(int, (str, float))",
    "issubclass(nn.Conv2d, Mine)", "issubclass(nn.Conv2d, nn.Conv2d)", "issubclass(Sub, (Other, Mine))",
    "callable(nn.ReLU)", "callable(None)", "callable(3)", "callable(partial(nn.ReLU))", "callable(nn.ReLU())",
    "callable(torch.zeros(1))", "callable(helper)", "callable('relu')", "callable(Mine)", "callable([nn.ReLU])",
    "type(3) == int", "type(3) is bool", "type(True) == bool", "type((1, 2)) in (list, tuple)", "type([1]) in (tuple,)",
    "type(nn.ReLU) is type", "type(partial(helper)) is functools.partial", "type(Mine()) is Mine",
    "type(Sub()) == Mine", "type(Sub()) is not Mine", "type(nn.ReLU) == functools.partial",
    "isinstance(partial(helper), partial)", "isinstance(nn.ReLU, partial)", "isinstance(3, functools.partial)",
    "partial(helper) == helper", "'relu' in (nn.ReLU, 'relu')", "nn.ReLU in (nn.GELU, nn.ReLU)", "int in {int: 1}",
    "typing.cast(int, 3) == 3", "cast('int', 5) == 5",
]
# Python decides these; the engine does not follow the class, so the width is unknown
UNDECIDED = ["type(torch.zeros(1)) is torch.Tensor", "type(nn.Parameter(torch.zeros(1))) is torch.Tensor",
             "type(nn.ReLU()) is nn.ReLU"]


def _output(expr):
    src = SNIPPET.replace("EXPR", expr)
    net = load(src, "m.py").Net()
    import torch

    want = list(net(torch.zeros(2, 4)).shape)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], expr
    (report,) = [m for m in result.models if m.name == "Net"]
    return report.output, want


@pytest.mark.parametrize("expr", DECIDED)
def test_the_engine_answers_as_python_does(expr):
    got, want = _output(expr)
    assert got == want, expr


def test_both_answers_occur():
    answers = {_output(e)[1][1] for e in DECIDED}
    assert answers == {1, 2}  # some expressions are false, some true: the widths differ


@pytest.mark.parametrize("expr", UNDECIDED)
def test_a_class_not_followed_is_unknown(expr):
    got, _ = _output(expr)
    assert got is None
