"""`copy.deepcopy(module)` as Python and nn.Module define it (DETR's and fairseq's `_get_clones`),
against torch: each clone is a new module with new parameters (counted once per clone in
`model.parameters()`), what was tied inside the original stays tied inside each copy, and its
output shapes are the original's. Before, a deep copy of a module was unknown (every clone's
shape and the model's parameter count). A shallow `copy.copy(module)` stays unknown.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEADER = '''
import copy

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim, tied=False):
        super().__init__()
        self.a = nn.Linear(dim, dim)
        self.b = nn.Linear(dim, dim)
        if tied:
            self.b.weight = self.a.weight
        self.register_buffer("scale", torch.ones(dim))

    def forward(self, x):
        return self.b(torch.relu(self.a(x))) * self.scale


def clones(module, n):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])

'''

MODELS = {
    "torch_layer_clones": '''
class Net(nn.Module):  # shapelint: x=(6, 2, 16)
    def __init__(self):
        super().__init__()
        layer = nn.TransformerDecoderLayer(16, 4, 32, 0.0)
        self.layers = clones(layer, 3)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer(out, x)
        return self.head(out)
''',
    "user_block_clones": '''
class Net(nn.Module):  # shapelint: x=(2, 8)
    def __init__(self):
        super().__init__()
        self.blocks = clones(Block(8), 2)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.head(x)
''',
    "tied_inside_each_copy": '''
class Net(nn.Module):  # shapelint: x=(2, 8)
    def __init__(self):
        super().__init__()
        proto = Block(8, tied=True)
        self.first = proto
        self.second = copy.deepcopy(proto)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.second(self.first(x)))
''',
}


def _static(src):
    result = check_source("m.py", src, explain=True)
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    return report.output, report.summary["total"]


def _torch(src, shape):
    import torch

    model = load(src, "m.py").Net()
    out = model(torch.randn(*shape))
    return list(out.shape), sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_deep_copies_are_new_modules_with_the_originals_shapes(name):
    src = HEADER + MODELS[name]
    shape = (6, 2, 16) if name == "torch_layer_clones" else (2, 8)
    out, total = _static(src)
    assert (out, total["params"], total["buffers"]) == _torch(src, shape)


def test_a_shallow_copy_of_a_module_stays_unknown():
    src = HEADER + MODELS["user_block_clones"].replace("clones(Block(8), 2)", "nn.ModuleList([copy.copy(Block(8))])")
    out, total = _static(src)
    assert out is None and total["params"] is None
