"""Ops of windowed-attention vision code (Swin-style) against real torch, case by case (issue 10).

The relative position index of a Swin block is built in `__init__` from meshgrid, stack, flatten,
a difference of broadcast aranges, permute and sums, and then indexes a bias table: indexing needs
the index's dtype, so each of those ops must keep (or promote, as torch does) the dtype it knows.
A float index made by `* 0.5` or `/ 2` is rejected by torch and must be an error here too.
Same runner as tests/test_ops_vs_torch.py: shapelint's output shape must be torch's.
"""

from typing import Optional

import pytest
from test_ops_vs_torch import Case, _source, _static, _torch_answer

from shapelint.engine.check import check_source

CASES = [
    # meshgrid: (len(a), len(b), ...) per input, the first two swapped for "xy"; 0-d inputs count as 1
    Case("torch.meshgrid(torch.arange(3), torch.arange(4), indexing='ij')[1] + x", "x=(3, 4)"),
    Case("torch.meshgrid([torch.arange(3), torch.arange(4)], indexing='xy')[0] + x", "x=(4, 3)"),
    Case("torch.meshgrid(torch.arange(2), torch.arange(3), torch.arange(5), indexing='xy')[2]", "x=(2, 5)"),
    Case("torch.meshgrid(torch.arange(2), torch.arange(3), indexing='xy')[0] + x", "x=(2, 3)"),  # (3, 2): torch raises
    Case("torch.stack(torch.meshgrid([torch.arange(3), torch.arange(2)], indexing='ij'))", "x=(2, 5)"),
    # dtype kept through layout ops and integer arithmetic: the index works as in torch
    Case("t[torch.stack(torch.meshgrid([torch.arange(3), torch.arange(3)], indexing='ij')).flatten(1).permute(1, 0).sum(-1)]",
         "t=(9, 2)"),
    Case("t[(torch.arange(4)[:, None] - torch.arange(4)[None, :]) + 3]", "t=(7, 2)"),
    Case("t[(torch.arange(4)[:, None] - torch.arange(4)[None, :]).view(-1) * 2 + 6]", "t=(13, 2)"),
    Case("t[torch.arange(6).view(2, 3).sum(0)]", "t=(16, 2)"),
    Case("t[torch.arange(6).reshape(3, 2).amax(1)]", "t=(6, 2)"),
    Case("t[torch.cat([torch.arange(2), torch.arange(3)])]", "t=(4, 2)"),
    Case("t[torch.arange(4) // 2]", "t=(2, 3)"),
    Case("t[torch.arange(3).unsqueeze(0).transpose(0, 1)]", "t=(3, 2)"),
    # the float an operand makes: torch rejects the index
    Case("t[torch.arange(4) * 0.5]", "t=(4, 3)"),
    Case("t[torch.arange(4) / 2]", "t=(4, 3)"),
    Case("t[torch.arange(4).float().sum(0, keepdim=True)]", "t=(4, 3)"),
    # the shift of a window and a drop-path mask keep the shape
    Case("torch.roll(x, shifts=(-1, -1), dims=(1, 2))", "x=(2, 4, 4, 3)"),
    Case("x * x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(0.9)", "x=(2, 5, 3)"),
    # window_reverse: the batch is int(windows / windows per image), exact when the count divides
    Case("x.reshape(-1, 2, 3).view(int(x.reshape(-1, 2, 3).shape[0] / 3.0), 3, 2, 3)", "x=(2, 3, 2, 3)"),
    Case("x.view(int(x.shape[0] / 2.0), -1)", "x=(4, 3)", unknown=True),  # B / 2: not a size shapelint knows
    # slice() objects as keys (the bands of a shifted window's mask)
    Case("x[:, slice(0, -2), slice(-2, None)]", "x=(2, 5, 4)"),
    # drop-path rates read out of torch.linspace(0, rate, n) decide a layer choice (float32 values, as torch's)
    Case("x.view(-1) if torch.linspace(0, 0.1, 4)[0].item() > 0.0 else x", "x=(2, 3)"),
    Case("x.view(-1) if torch.linspace(0, 0.1, 4)[1].item() > 0.0 else x", "x=(2, 3)"),
    Case("x.view(-1) if [r.item() for r in torch.linspace(0, 0.2, 5)][-1] == 0.2 else x", "x=(2, 3)"),  # float32 0.2
    Case("x.view(-1) if torch.linspace(0, 0.3, 7).split([3, 4])[1].tolist()[0] > 0.1 else x", "x=(2, 3)"),
    Case("x.view(-1) if torch.linspace(1, 2, 3)[0].item() > 0.0 else x", "x=(2, 3)", unknown=True),  # start 1: not modelled
    # values changed in place are forgotten, never kept stale
    Case("x.view(-1) if torch.linspace(0, 0.1, 4).mul_(-1)[1].item() > 0.0 else x", "x=(2, 3)", unknown=True),
    # a class is never a str (timm's get_act_layer passes classes through)
    Case("x.view(-1) if not isinstance(nn.SiLU, str) else x", "x=(2, 3)"),
    # a layer's .bias is its Parameter (the original ConvNeXt scales `self.head.bias.data` in __init__)
    Case("self.fc.bias.data.view(1, 3) + x", "x=(2, 3)", init="self.fc = nn.Linear(4, 3)"),
    Case("x + self.fc.bias", "x=(2, 4)", init="self.fc = nn.Linear(4, 3)"),  # 4 vs 3: torch raises
    Case("x if self.fc.bias is None else x.view(-1)", "x=(2, 3)", init="self.fc = nn.Linear(4, 3, bias=False)"),
    Case("x * (0.9 + torch.rand((x.shape[0], 1, 1))).floor_()", "x=(2, 3, 4)"),
    # a comparison of tensors is a bool tensor of the broadcast shape (torch raises where they do not broadcast)
    Case("x.masked_fill(torch.arange(3)[None, :] >= 1, 0.0)", "x=(2, 3)"),
    Case("x > y", "x=(2, 3), y=(2, 4)"),  # 3 vs 4: torch raises
    Case("(x > y).long() + 0", "x=(2, 1, 3), y=(4, 1)"),
    # a buffer registered as None reads None (a Swin block without a shift has no mask)
    Case("x if self.mask is None else x.view(-1)", "x=(2, 3)", init="self.register_buffer('mask', None)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_vision_op_matches_torch(case):
    source = _source(case)
    expected: Optional[list] = _torch_answer(source, case)
    output, errors = _static(source)
    if expected is None:
        assert errors, f"torch raises; shapelint reports nothing (output {output})"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    if case.unknown:
        assert output is None
    else:
        assert output == expected


@pytest.mark.torch
def test_linspace_values_are_torchs_float32_values():
    import torch

    from shapelint.torch.tensor_values import linspace_values

    for end in (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 1.0, 2.5, 3):
        for steps in range(1, 100):
            assert list(linspace_values(0, end, steps)) == torch.linspace(0, end, steps).tolist(), (end, steps)
    assert linspace_values(0.1, 0.4, 12) is None  # another start: torch's rounding is not modelled


REGISTRY = '''import torch.nn as nn

_entrypoints = {}


def register_model(fn):
    _entrypoints[fn.__name__] = fn
    return fn


@register_model
def tiny(pretrained=False, **kwargs):
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, kwargs.get("num_classes", 3)))


def create_model(name, **kwargs):
    return _entrypoints[name](**kwargs)


class M(nn.Module):  # shapelint: x=(2, 4)
    def __init__(self):
        super().__init__()
        self.body = create_model("tiny", num_classes=7)

    def forward(self, x):
        return self.body(x)
'''


@pytest.mark.torch
def test_registry_decorator_runs_and_the_registered_builder_is_followed():
    """`@register_model` is the user's function: it runs at the def, so create_model(name) finds the builder."""
    expected = _torch_answer(REGISTRY, None)
    output, errors = _static(REGISTRY)
    assert expected == [2, 7] and errors == [] and output == expected


def test_layer_norm_finding_writes_symbolic_sizes_as_code():
    """SHP010 on a symbolic width says `[W//8]`, as the user writes it, never the engine's `Expr(W//8)`."""
    import os

    from conftest import ROOT

    path = os.path.join(ROOT, "fixtures", "real", "convnext_channels_first_bad.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    findings = [f for f in check_source(path, source).findings if f.code == "SHP010"]
    assert any("W//8" in f.message for f in findings)
    assert not any("Expr(" in f.message for f in findings)


TO_2TUPLE = '''import collections.abc
from itertools import repeat

import torch.nn as nn


def _ntuple(n):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    return parse


to_2tuple = _ntuple(2)


class M(nn.Module):  # shapelint: x=(2, 3, 32, 24)
    def __init__(self, patch_size=4, window=(2, 3)):
        super().__init__()
        patch_size = to_2tuple(patch_size)
        self.window = to_2tuple(window)
        self.proj = nn.Conv2d(3, 16, kernel_size=patch_size, stride=patch_size)
        self.pool = nn.AvgPool2d(self.window)

    def forward(self, x):
        return self.pool(self.proj(x))
'''


@pytest.mark.torch
def test_timm_to_2tuple_closure_repeat_and_iterable_check():
    """timm's to_2tuple: a closure over `n`, isinstance against collections.abc.Iterable, tuple(repeat(x, n))."""
    expected = _torch_answer(TO_2TUPLE, None)
    output, errors = _static(TO_2TUPLE)
    assert expected == [2, 16, 4, 2] and errors == [] and output == expected


MASKS = [  # a mask made by a comparison indexes with one dim of unknown length (the count of True)
    Case("t[:, torch.arange(4) < 2]", "t=(2, 4, 3)"),
    Case("x[x > 0]", "x=(2, 5)"),
    Case("x[:, torch.arange(5) != 3]", "x=(2, 5, 3)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", MASKS, ids=[f"{c.expr} | {c.inputs}" for c in MASKS])
def test_comparison_mask_indexes_with_an_opaque_count(case):
    source = _source(case)
    expected = _torch_answer(source, case)
    output, errors = _static(source)
    assert errors == [] and expected is not None and output is not None and len(output) == len(expected)
    unknown = [i for i, d in enumerate(output) if not isinstance(d, int)]
    assert len(unknown) == 1, output
    assert [d for i, d in enumerate(output) if i not in unknown] == [d for i, d in enumerate(expected) if i not in unknown]


def test_is_not_none_of_a_tensor_stays_python_identity():
    """`targets is not None` with a tensor is True (nanoGPT's training branch), not an elementwise comparison."""
    source = _source(Case("x.view(-1) if t is not None else x", "x=(2, 3), t=(2,)"))
    assert _static(source) == ([6], [])


STALE = """import torch
import torch.nn as nn


class M(nn.Module):  # shapelint: x=(2, 3)
    def __init__(self):
        super().__init__()
        rates = torch.linspace(0, 0.3, 4)
        rates[1] = -1.0
        self.fc = nn.Linear(3, 5) if rates[1].item() > 0.0 else nn.Linear(3, 7)

    def forward(self, x):
        return self.fc(x)
"""


@pytest.mark.torch
def test_linspace_values_written_by_item_assignment_are_forgotten():
    """`rates[1] = -1.0` after linspace: the layer choice is undecided (unknown), never the stale 0.1's Linear(3, 5)."""
    assert _torch_answer(STALE, None) == [2, 7]
    output, errors = _static(STALE)
    assert errors == [] and output is None
