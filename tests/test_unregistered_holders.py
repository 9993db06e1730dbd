"""Modules torch does not register, and FLOPs the module table does not show, in the summary.

nn.Module.__setattr__ registers a value as a submodule only when the value is an nn.Module and
the object is one: a layer kept in a plain Python object (`self.h = Holder()` whose `__init__`
makes `self.fc = nn.Linear(...)`) is in no `parameters()`, `named_modules()` or `state_dict()`,
yet it runs in forward, and FlopCounterMode counts its matrix products. `a @ b` in a function
outside the model's classes is counted by FlopCounterMode too. Each count must be torch's or
unknown. Written from torch's documented semantics.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n\n"

PLAIN_HOLDER = HEAD + '''
class Holder:
    def __init__(self, d):
        self.fc = nn.Linear(d, d)
        self.scale = 2


class Cfg(object):
    def __init__(self):
        self.proj = nn.Linear(4, 3)


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.h = Holder(4)
        self.cfg = Cfg()
        self.out = nn.Linear(3, 2)

    def forward(self, x):
        return self.out(self.cfg.proj(self.h.fc(x) * self.h.scale))
'''

# a registered module inside a registered module: counted, as before
REGISTERED = PLAIN_HOLDER.replace("class Holder:", "class Holder(nn.Module):").replace(
    "    def __init__(self, d):\n        self.fc", "    def __init__(self, d):\n        super().__init__()\n        self.fc")

MATMUL_IN_A_HELPER = HEAD + '''
def attend(q, k):
    return (q @ k.transpose(-2, -1)).softmax(-1) @ k


class Net(nn.Module):  # shapelint: input=(2, 5, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return attend(self.fc(x), x)
'''


def _summary(src):
    (report,) = [m for m in check_source("m.py", src, explain=True).models if m.name == "Net"]
    return report, report.summary


def _torch(src, shape):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = load(src, "m.py").Net()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(*shape))
    params = sum(p.numel() for p in model.parameters())
    return model, params, counter.get_total_flops() // 2, list(out.shape)


@pytest.mark.parametrize("src", [PLAIN_HOLDER, REGISTERED], ids=["plain_holder", "registered"])
def test_parameters_are_counted_where_torch_registers_them(src):
    model, params, macs, out = _torch(src, (2, 4))
    report, s = _summary(src)
    assert s["total"]["params"] == params
    assert report.output == out
    named = {n for n, _ in model.named_modules() if n}
    assert {r["module"] for r in s["modules"]} == named  # no row for a module torch does not name
    assert s["total"]["macs"] in (None, macs)
    if src is PLAIN_HOLDER:
        assert params == 2 * 3 + 2  # only `out`: torch never sees h.fc nor cfg.proj
        assert "h.fc" not in {r.module for r in report.layers}


def test_a_matrix_product_outside_the_classes_is_not_left_out_of_the_macs():
    _model, params, macs, out = _torch(MATMUL_IN_A_HELPER, (2, 5, 4))
    report, s = _summary(MATMUL_IN_A_HELPER)
    assert report.output == out and s["total"]["params"] == params
    assert macs > 2 * 5 * 4 * 4  # FlopCounterMode counts the two products, not just the Linear
    assert s["total"]["macs"] in (None, macs)
