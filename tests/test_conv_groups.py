"""SHP007 on a grouped conv names the argument that is wrong (issue 10.5), checked against torch.

torch raises at construction unless groups divides in_channels and out_channels. When groups
equals one of them (a depthwise conv, one group per channel) the other one is the wrong number:
the finding is at it, with the groups argument related; otherwise at `groups`.
"""

import libcst as cst
import pytest

from shapelint.engine.check import check_source

HEAD = "import torch\nimport torch.nn as nn\n\n\n"


def _net(cin, cout, groups):
    return HEAD + (
        f"class Net(nn.Module):  # shapelint: input=(2, {cin}, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.conv = nn.Conv2d({cin}, {cout}, 3,\n"
        f"                              groups={groups})\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    )


def _builds(cin, cout, groups) -> bool:
    import torch

    try:
        torch.nn.Conv2d(cin, cout, 3, groups=groups)
        return True
    except ValueError:
        return False


def _errors(source):
    return [f for f in check_source("net.py", source).findings if f.severity == "error"]


def _code(node) -> str:
    return cst.Module([]).code_for_node(node)


@pytest.mark.torch
@pytest.mark.parametrize("cin,cout,groups", [(8, 48, 48), (48, 40, 48), (48, 48, 48), (32, 48, 5), (12, 8, 8), (6, 9, 3)])
def test_the_finding_is_at_the_channel_count_the_groups_do_not_divide(cin, cout, groups):
    errors = _errors(_net(cin, cout, groups))
    if _builds(cin, cout, groups):
        assert errors == []
        return
    (f,) = errors
    assert f.code == "SHP007"
    if groups in (cin, cout):
        wrong, value = ("in_channels", cin) if cout == groups else ("out_channels", cout)
        assert _code(f.node) == str(value)  # the conv's own argument, not `groups=`
        assert f"{wrong} ({value}) must be divisible by groups ({groups})" in f.message
        assert f"{wrong} must be a multiple of {groups}" in f.message
        assert [_code(r.node) for r in f.related] == [str(groups)]
        # the value it names builds in torch
        assert _builds(groups, cout, groups) if wrong == "in_channels" else _builds(cin, groups, groups)
    else:
        assert _code(f.node) == str(groups) and f"use groups that divide {cin} and {cout}" in f.message


HELPER = HEAD + '''class ConvNormAct(nn.Sequential):
    def __init__(self, in_channels, out_channels, groups=1):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=1, groups=groups), nn.BatchNorm2d(out_channels))


class Block(nn.Module):  # shapelint: input=(2, 8, 8, 8)
    def __init__(self, cin=8, expanded=32):
        super().__init__()
        self.expand = ConvNormAct(cin, expanded)
        self.depthwise = ConvNormAct(cin, expanded,
                                     groups=expanded)

    def forward(self, x):
        return self.depthwise(self.expand(x))
'''


def _build(source):
    ns = {}
    exec(compile(source, "helper.py", "exec"), ns)  # noqa: S102 - the oracle builds the fixture
    return ns["Block"]()


@pytest.mark.torch
def test_a_depthwise_block_given_the_input_width_is_reported_at_that_argument():
    import torch

    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        _build(HELPER)
    (f,) = _errors(HELPER)
    assert _code(f.node) == "cin"  # the call's argument (`ConvNormAct(cin, ...`), not the helper's
    assert "in_channels (8) must be divisible by groups (32)" in f.message and "pass `expanded` as for groups" in f.message
    assert [_code(r.node) for r in f.related] == ["expanded", "in_channels"]  # the call's groups, the helper's conv
    fixed = HELPER.replace("ConvNormAct(cin, expanded,\n", "ConvNormAct(expanded, expanded,\n")
    assert _build(fixed)(torch.zeros(2, 8, 8, 8)).shape == (2, 32, 8, 8)
