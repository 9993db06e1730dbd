"""torch.finfo / torch.iinfo (the limits HF-style attention masks use) and a layer's bias
replaced after construction (BERT's tied decoder bias), against real torch."""

import pytest

import test_ops_vs_torch as op_cases
from shapelint.core.values import Ref
from shapelint.torch import type_info
from test_ops_vs_torch import Case

torch = pytest.importorskip("torch")


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(type_info.FINFO))
def test_finfo_values_are_torchs(name):
    info = type_info.type_info("torch.finfo", [Ref(name)], {}, None)
    real = torch.finfo(getattr(torch, name.split(".")[1]))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert info.attribute(attr) == getattr(real, attr), (name, attr)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(type_info.IINFO))
def test_iinfo_values_are_torchs(name):
    info = type_info.type_info("torch.iinfo", [Ref(name)], {}, None)
    real = torch.iinfo(getattr(torch, name.split(".")[1]))
    for attr in ("bits", "min", "max"):
        assert info.attribute(attr) == getattr(real, attr), (name, attr)


def test_limits_of_a_dtype_shapelint_does_not_know_are_unknown():
    from shapelint.core.values import FloatUnknown, Unknown

    default = type_info.type_info("torch.finfo", [], {}, None)  # set_default_dtype may have changed it
    assert isinstance(default.attribute("min"), FloatUnknown) and isinstance(default.attribute("bits"), Unknown)
    of_x = type_info.type_info("torch.finfo", [Unknown("dtype")], {}, None)  # `torch.finfo(x.dtype)`
    assert isinstance(of_x.attribute("max"), FloatUnknown)
    assert isinstance(type_info.type_info("torch.finfo", [Ref("torch.complex64")], {}, None), Unknown)
    assert isinstance(type_info.type_info("torch.iinfo", [Ref("torch.bool")], {}, None), Unknown)  # torch raises
    assert isinstance(type_info.type_info("torch.iinfo", [Unknown("dtype")], {}, None), Unknown)


CASES = [
    Case("(1.0 - m[:, None, None, :].to(dtype=torch.float32)) * torch.finfo(torch.float32).min", "m=(2, 7):long"),
    Case("x + torch.finfo(x.dtype).min", "x=(2, 7)"),  # a float of unknown value: x's shape
    Case("torch.full((x.size(1), x.size(1)), fill_value=torch.finfo(x.dtype).min).triu(1) + x[:, None]", "x=(2, 7)"),
    Case("x.view(-1, torch.finfo(x.dtype).bits)", "x=(2, 16)", unknown=True),  # the width is not known
    Case("x * (x.size(0) / 3)", "x=(2, 7)"),  # a float of unknown value made by `/` (of the batch symbol)
    Case("torch.zeros(torch.iinfo(torch.int8).bits, torch.finfo(torch.half).bits)", "x=(2, 7)"),
    Case("x.view(-1, torch.finfo(torch.bfloat16).bits)", "x=(2, 16)"),
    Case("x.view(-1, torch.iinfo(torch.int16).bits + 1)", "x=(2, 16)"),  # 32 values in rows of 17: torch raises
    # a bias given to a layer built without one, or taken away: the output keeps its shape
    Case("self.dec(x)", "x=(2, 5, 4)", init="self.dec = nn.Linear(4, 6, bias=False)\n"
         "        self.b = nn.Parameter(torch.zeros(6))\n        self.dec.bias = self.b"),
    Case("self.dec(x)", "x=(2, 5, 4)", init="self.dec = nn.Linear(4, 6)\n        self.dec.bias = None"),
    Case("self.conv(x)", "x=(2, 3, 9)", init="self.conv = nn.Conv1d(3, 5, 3, bias=False)\n"
         "        self.conv.bias = nn.Parameter(torch.zeros(5))"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_type_info_and_bias_cases_match_torch(case):
    op_cases.test_op_matches_torch(case)
