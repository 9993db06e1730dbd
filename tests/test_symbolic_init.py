"""Classes built nowhere, checked with their required constructor arguments as symbols (issue 16.2).

With no `Head(3, 10)` in the file, `Head(in_ch, num_classes)` is built with `in_ch` and
`num_classes` as symbols: an error is reported only when it holds for every value of them. Each
case is run in torch at three values of the arguments: a reported error fails at each of them, a
class left clean runs at each (or, for a size that fits one value only, fails at some and runs at
another, so no error can hold for every value).
"""

import textwrap

import pytest
from shapelint.engine.check import check_source

VALUES = (1, 3, 16)


def _errors(source: str):
    return [f for f in check_source("m.py", source).findings if f.severity == "error"]


def _torch_fails(source: str, cls: str, kwargs: dict, shape) -> bool:
    import torch
    from torch_oracle import load

    mod = load(source)
    try:
        model = getattr(mod, cls)(**kwargs)
        model(torch.randn(*shape))
    except (RuntimeError, TypeError, ValueError):
        return True
    return False


HEAD_BAD = textwrap.dedent("""\
    import torch.nn as nn


    class Head(nn.Module):
        def __init__(self, in_ch, num_classes):
            super().__init__()
            self.conv = nn.Conv2d(in_ch, 64, 3, padding=1)
            self.bn = nn.BatchNorm2d(32)
            self.fc = nn.Linear(64, num_classes)

        def forward(self, x):
            x = self.bn(self.conv(x))
            return self.fc(x.mean((2, 3)))
    """)
HEAD_GOOD = HEAD_BAD.replace("nn.BatchNorm2d(32)", "nn.BatchNorm2d(64)")
# 64 channels meet BatchNorm2d(width): right for width 64 only
HEAD_WIDTH = HEAD_BAD.replace("def __init__(self, in_ch, num_classes)", "def __init__(self, in_ch, num_classes, width)") \
    .replace("nn.BatchNorm2d(32)", "nn.BatchNorm2d(width)")

MLP_BAD = textwrap.dedent("""\
    import torch.nn as nn


    class MLP(nn.Module):
        def __init__(self, in_features: int, n_out: int):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, 512), nn.ReLU(), nn.Linear(256, n_out))

        def forward(self, x):
            return self.net(x)
    """)
MLP_GOOD = MLP_BAD.replace("nn.Linear(256, n_out)", "nn.Linear(512, n_out)")

HALF = textwrap.dedent("""\
    import torch.nn as nn


    class Squeeze(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.reduce = nn.Conv2d(channels, channels / 2, 1)

        def forward(self, x):
            return self.reduce(x)
    """)

TYPED = textwrap.dedent("""\
    import torch.nn as nn


    class Stages(nn.Module):
        def __init__(self, widths):
            super().__init__()
            assert isinstance(widths, list)
            self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(widths, widths[1:]))

        def forward(self, x):
            for conv in self.convs:
                x = conv(x)
            return x
    """)


def _in_torch(source, cls, build, shape):
    """Whether torch fails, at each value of VALUES."""
    return [_torch_fails(source, cls, build(v), shape(v)) for v in VALUES]


@pytest.mark.torch
def test_a_conv_into_a_batchnorm_of_another_width_is_an_error_for_every_in_ch():
    assert _in_torch(HEAD_BAD, "Head", lambda v: {"in_ch": v, "num_classes": 10}, lambda v: (2, v, 8, 8)) == [True] * 3
    (f,) = _errors(HEAD_BAD)
    assert (f.code, f.line) == ("SHP001", 8)
    assert f.message.startswith("bn expects 32 input channels (num_features) but receives 64"), f.message
    assert [e.text for e in f.edits] == ["64"]


@pytest.mark.torch
def test_the_correct_head_stays_clean_and_runs_for_every_in_ch():
    assert _in_torch(HEAD_GOOD, "Head", lambda v: {"in_ch": v, "num_classes": 10}, lambda v: (2, v, 8, 8)) == [False] * 3
    assert _errors(HEAD_GOOD) == []


@pytest.mark.torch
def test_a_size_that_fits_one_value_is_no_error():
    fails = [_torch_fails(HEAD_WIDTH, "Head", {"in_ch": 3, "num_classes": 10, "width": w}, (2, 3, 8, 8)) for w in (32, 64)]
    assert fails == [True, False]  # width 64 fits
    assert _errors(HEAD_WIDTH) == []


@pytest.mark.torch
def test_two_linears_that_disagree_are_an_error_for_every_in_features():
    assert _in_torch(MLP_BAD, "MLP", lambda v: {"in_features": v * 4, "n_out": 10}, lambda v: (2, v * 4)) == [True] * 3
    (f,) = _errors(MLP_BAD)
    assert (f.code, f.line) == ("SHP002", 7)
    assert "expects 256 input features (in_features) but receives 512" in f.message, f.message
    assert _in_torch(MLP_GOOD, "MLP", lambda v: {"in_features": v * 4, "n_out": 10}, lambda v: (2, v * 4)) == [False] * 3
    assert _errors(MLP_GOOD) == []


@pytest.mark.torch
def test_a_true_division_is_a_float_size_for_every_value():
    assert _in_torch(HALF, "Squeeze", lambda v: {"channels": 2 * v}, lambda v: (1, 2 * v, 4, 4)) == [True] * 3
    (f,) = _errors(HALF)
    assert (f.code, f.line) == ("SHP013", 7)


def test_an_argument_used_as_a_list_is_not_a_symbol():
    assert _errors(TYPED) == []  # `assert isinstance(widths, list)` holds for a list, which is what it gets


def test_a_class_built_in_the_file_is_checked_with_its_arguments_only():
    built = HEAD_WIDTH + "\n\nmodel = Head(3, 10, 64)\n"  # width 64: right
    assert _errors(built) == []


def test_the_shape_table_shows_the_symbols():
    (m,) = check_source("m.py", HEAD_GOOD, explain=True).models
    rows = {r.module: r for r in m.layers}
    # by Conv2d's formula with padding=1, kernel 3: (H + 2 - 2) = H; channels in_ch -> 64
    assert [str(d) for d in rows["conv"].inp] == ["B", "in_ch", "H", "W"]
    assert [str(d) for d in rows["conv"].out] == ["B", "64", "H", "W"]
    assert any("checked with them as symbols" in why for _node, why in m.lost)


@pytest.mark.torch
def test_the_symbolic_table_is_torch_s_at_a_value():
    import torch
    from torch_oracle import load

    (m,) = check_source("m.py", HEAD_GOOD, explain=True).models
    conv = next(r for r in m.layers if r.module == "conv")
    env = {"B": 2, "in_ch": 3, "H": 8, "W": 10}
    head = load(HEAD_GOOD).Head(3, 10)
    assert [env.get(d, d) for d in conv.out] == list(head.conv(torch.randn(2, 3, 8, 10)).shape)
