"""enum.Enum and its kin as Python defines them, each deciding a Linear's width that torch then
runs. Before, a member was read as its raw value: `Norm.BATCH == "bn"` came out True (Python:
False, a plain Enum member equals itself only), and `.value`, `.name`, `len(Norm)`, `Norm("bn")`,
`Norm["BATCH"]` and iteration were unknown."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import enum
from enum import Enum, IntEnum, auto

import torch
import torch.nn as nn


class Norm(Enum):
    BATCH = "bn"
    LAYER = "ln"
    LN = "ln"


class Size(IntEnum):
    SMALL = 16
    LARGE = 64


class Act(enum.Enum):
    RELU = auto()
    GELU = auto()


class Mode(str, Enum):
    TRAIN = "train"
    EVAL = "eval"


class Bits(enum.Flag):
    A = auto()
    B = auto()
    C = auto()


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self, norm=Norm.LAYER, size=Size.SMALL, act=Act.GELU, mode=Mode.EVAL):
        super().__init__()
        self.fc = nn.Linear(4, EXPR)

    def forward(self, x):
        return self.fc(x)
'''

DECIDED = [
    "3 if Norm.BATCH == 'bn' else 5", "3 if Norm.BATCH == Norm.BATCH else 5", "3 if Norm.LN is Norm.LAYER else 5",
    "len(Norm)", "len(Norm.LAYER.value)", "len(Norm.LAYER.name)", "len([n for n in Norm])", "3 if Norm('bn') is Norm.BATCH else 5",
    "3 if Norm['LAYER'] is Norm.LN else 5", "Size.SMALL // 4", "int(Size.LARGE) // 8 + Size.SMALL.value // 16",
    "3 if Size.SMALL == 16 else 5", "Size(64) // 16", "len(Size.LARGE.name)", "Act.GELU.value + Act.RELU.value",
    "3 if Act.GELU != Act.RELU else 5", "3 if Mode.EVAL == 'eval' else 5", "len(Mode.TRAIN + 'x')",
    "Bits.C.value + Bits.B.value", "sum(a.value for a in Act)", "3 if list(Norm)[-1] is Norm.LAYER else 5",
    "3 if {Norm.BATCH: 1}.get(Norm.BATCH, 2) == 1 else 5",
]


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
    assert got in (want, None), expr  # never another width
    if "{" not in expr:  # a member as a dict key is not followed (unknown is the answer there)
        assert got == want, expr


@pytest.mark.parametrize("expr", ["Norm('xx') and 3", "Norm['XX'] and 3", "3 if Norm.BATCH < Norm.LAYER else 5"])
def test_where_python_raises_nothing_is_stated(expr):
    src, got = _check(expr)
    with pytest.raises((ValueError, KeyError, TypeError)):
        load(src, "m.py").Net()
    assert got is None
