"""Python and torch semantics that transformer / MoE code written in lucidrains', fairseq's and
Mamba-minimal's styles relies on, each checked against real torch (the shapes before these fixes
were unknown):

- callable() of a lambda is True (`default(dim_head, lambda: dim // heads)`; before, the width was unknown);
- float arithmetic on sizes whose value is an integer expression (`int(b * n * 2.0 / 4)`,
  `2 * math.ceil(num_tokens / num_experts * 1.0)`: an MoE capacity); a float that is not certainly
  an integer (`b * n * 0.7`) stays unknown;
- torch.topk with such a k, and a k compared with a size of the declared batch (`8*B` with B = 2);
- F.one_hot with such a num_classes;
- torch.bincount: a 1-D long tensor of a length that depends on the values;
- a loop shapelint cannot unroll keeps a tensor that it only changes in place (`out.index_add_`,
  `out[idx] = y`): torch keeps its shape; `unsqueeze_` in the loop makes it unknown.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEADER = '''
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def exists(val):
    return val is not None


def default(val, d):
    if exists(val):
        return val
    return d() if callable(d) else d

'''

WIDTHS = '''
class Net(nn.Module):  # shapelint: x=(2, 8)
    def __init__(self, dim=8, heads=2, dim_head=None):
        super().__init__()
        self.fc = nn.Linear(dim, EXPR)

    def forward(self, x):
        return self.fc(x)
'''

FORWARD = '''
class Net(nn.Module):  # shapelint: x=(2, 8, 16)
    def __init__(self, factor=2.0, experts=4):
        super().__init__()
        self.factor = factor
        self.experts = experts

    def forward(self, x):
        b, n, d = x.shape
        tokens = x.reshape(b * n, d)
BODY
'''

WIDTH_CASES = ["default(dim_head, lambda: dim // heads)", "default(None, lambda: 3) + default(5, lambda: 1)",
               "4 if callable(lambda: 0) else 7", "5 if callable(dim) else 6"]

FORWARD_CASES = {
    "capacity_topk": "        capacity = int(b * n * self.factor / self.experts)\n"
                     "        gates, chosen = torch.topk(tokens.t(), capacity, dim=-1)\n"
                     "        return tokens[chosen[0]]",
    "ceil_capacity_one_hot": "        num_tokens, _ = tokens.shape\n"
                             "        capacity = 2 * math.ceil(num_tokens / self.experts * 1.0)\n"
                             "        slots = torch.cumsum(torch.ones(num_tokens, dtype=torch.long), 0) % capacity\n"
                             "        return F.one_hot(slots, num_classes=capacity).float()",
    "floor_and_sum": "        k = math.floor(tokens.shape[0] * 0.25) + int(3.0 + b * 2.0)\n"
                     "        return torch.topk(tokens, k, dim=0).values",
    "topk_along_batch_size": "        return torch.topk(tokens.t(), 5, dim=-1).indices.float()",
    "bincount_loop_index_add": "        idx = torch.arange(b * n) % 4\n"
                               "        counts = torch.bincount(idx, minlength=4)\n"
                               "        out = torch.zeros_like(tokens)\n"
                               "        start = 0\n"
                               "        for e, c in enumerate(counts.tolist()):\n"
                               "            out.index_add_(0, idx[start:start + c], tokens[start:start + c] * e)\n"
                               "            start = start + c\n"
                               "        return out.view(b, n, d)",
    "loop_item_write": "        out = torch.zeros(b * n, d)\n"
                       "        for i in torch.nonzero(tokens[:, 0] > 0).flatten().tolist():\n"
                       "            out[i] = tokens[i]\n"
                       "        return out + tokens",
}

# Python computes a float that is not an integer, or the loop may reshape the tensor: nothing is stated
UNKNOWN_CASES = {
    "inexact_float": "        k = int(b * n * 0.7)\n"
                     "        return torch.topk(tokens, k, dim=0).values",
    "shape_changing_inplace_in_loop": "        out = torch.zeros(b * n, d)\n"
                                      "        for i in torch.nonzero(tokens[:, 0] > 5).flatten().tolist():\n"
                                      "            out.unsqueeze_(0)\n"
                                      "        return out",
}


def _static(src):
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], src
    (report,) = [m for m in result.models if m.name == "Net"]
    return report.output


@pytest.mark.parametrize("expr", WIDTH_CASES)
def test_callable_of_a_lambda_decides_a_width(expr):
    import torch

    src = HEADER + WIDTHS.replace("EXPR", expr)
    want = list(load(src, "m.py").Net()(torch.zeros(2, 8)).shape)
    assert _static(src) == want, expr


@pytest.mark.parametrize("case", sorted(FORWARD_CASES))
def test_size_arithmetic_and_in_place_loops_give_torchs_shape(case):
    import torch

    src = HEADER + FORWARD.replace("BODY", FORWARD_CASES[case])
    want = list(load(src, "m.py").Net()(torch.randn(2, 8, 16)).shape)
    assert _static(src) == want, case


@pytest.mark.parametrize("case", sorted(UNKNOWN_CASES))
def test_what_is_not_certain_stays_unknown(case):
    import torch

    src = HEADER + FORWARD.replace("BODY", UNKNOWN_CASES[case])
    load(src, "m.py").Net()(torch.randn(2, 8, 16))  # torch runs it
    got = _static(src)
    assert got is None or "?" in got, (case, got)
