"""Parameter totals of subclasses of torch layers and containers, and of an empty `nn.Sequential()`,
against torch's `parameters()` / `buffers()`; a subclass that may replace or remove one of its
base's tensors (`self.bias = None`, `del self.bias`, `self.weight = ...`) has an unknown total."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _total(src: str, name: str):
    result = check_source("m.py", src, explain=True)
    report = next(r for r in result.models if r.name == name)
    return report.summary["total"]


def _torch_total(src: str, name: str, shape):
    import torch

    model = getattr(load(src, "m.py"), name)()
    if shape is not None:
        model(torch.zeros(*shape))
    ps = list(model.parameters())
    return {"params": sum(p.numel() for p in ps), "trainable": sum(p.numel() for p in ps if p.requires_grad),
            "buffers": sum(b.numel() for b in model.buffers())}


EXACT = HEAD + '''
class MyConv(nn.Conv2d):
    def __init__(self, cin, cout):
        super().__init__(cin, cout, 3, padding=1, bias=False)
        self.scale = nn.Parameter(torch.ones(cout))


class Stages(nn.ModuleList):
    def __init__(self):
        super().__init__([nn.BatchNorm2d(6), nn.Conv2d(6, 4, 1)])


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = MyConv(3, 6)
        self.stages = Stages()
        self.shortcut = nn.Sequential()

    def forward(self, x):
        x = self.conv(x)
        for s in self.stages:
            x = s(x)
        return self.shortcut(x)
'''


def test_layer_and_container_subclasses_count_their_bases_tensors():
    got = _total(EXACT, "Net")
    want = _torch_total(EXACT, "Net", (2, 3, 8, 8))
    assert {k: got[k] for k in want} == want
    assert want["params"] == 3 * 6 * 9 + 6 + 12 + 6 * 4 + 4  # the subclass's own `scale` counted too


@pytest.mark.parametrize("edit", ["self.bias = None", "del self.bias", "self.weight = nn.Parameter(torch.ones(6, 3, 3, 3))",
                                  "setattr(self, 'bias', None)"])
def test_a_subclass_that_may_rewrite_its_bases_tensors_has_no_total(edit):
    src = HEAD + f'''
class MyConv(nn.Conv2d):
    def __init__(self):
        super().__init__(3, 6, 3, padding=1)
        {edit}


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.conv = MyConv()

    def forward(self, x):
        return self.conv(x)
'''
    plain = 6 * 3 * 9 + 6
    # the edit changes torch's count (a weight of another shape would too)
    assert _torch_total(src, "Net", None)["params"] != plain or "weight" in edit
    assert _total(src, "Net")["params"] is None
