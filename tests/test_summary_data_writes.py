"""`p.data = t` and `p.requires_grad = flag` in the --explain summary, against torch.

Replacing a Parameter's `.data` keeps the Parameter object (so `model.parameters()` still
lists it once) but gives it t's size: torch accepts a new size (`p.data = torch.zeros(5)` on a
(3, 3) weight makes it count 5). `requires_grad = False` moves it to the frozen count. The
summary follows both on the Parameter the run holds (EDSR's MeanShift: a Conv2d subclass that
writes fixed weights); where it cannot know the new size, the count is unknown, never the
old one. Each snippet is written here from torch's semantics.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n\n"

MEAN_SHIFT = HEAD + '''
class MeanShift(nn.Conv2d):
    def __init__(self, scale, mean=(0.4, 0.5, 0.6), sign=-1):
        super().__init__(3, 3, kernel_size=1)
        std = torch.Tensor((1.0, 1.0, 1.0))
        self.weight.data = torch.eye(3).view(3, 3, 1, 1) / std.view(3, 1, 1, 1)
        self.bias.data = sign * scale * torch.Tensor(mean) / std
        self.weight.requires_grad = False
        self.bias.requires_grad = False


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.sub = MeanShift(255)
        self.body = nn.Conv2d(3, 3, 3, padding=1)
        self.add = MeanShift(255, sign=1)

    def forward(self, x):
        return self.add(self.body(self.sub(x)))
'''

# the same write in a user module on a layer it holds, and one half frozen
DATA_OF_CHILD = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.fc.weight.data = torch.eye(4)
        self.fc.bias.requires_grad = False
        self.scale = nn.Parameter(torch.ones(4))
        self.scale.data = torch.full((4,), 2.0)

    def forward(self, x):
        return self.fc(x) * self.scale
'''

# the user's own Parameter frozen by attribute, once in a branch the run decides
FROZEN_OWN = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self, freeze=True):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(4))
        self.shift = nn.Parameter(torch.zeros(4))
        if freeze:
            self.gain.requires_grad = False

    def forward(self, x):
        return x * self.gain + self.shift
'''

# a new size: torch counts the new tensor's elements (5), not the layer's formula (4)
NEW_SIZE = HEAD + '''
class Shifted(nn.Linear):
    def __init__(self):
        super().__init__(2, 2)
        self.bias.data = torch.zeros(5)


class Net(nn.Module):  # shapelint: input=(2, 2)
    def __init__(self):
        super().__init__()
        self.a = Shifted()
        self.b = nn.Linear(2, 3)

    def forward(self, x):
        return self.b(x)
'''

# a new value whose size the run cannot know
UNKNOWN_SIZE = NEW_SIZE.replace("torch.zeros(5)", "torch.load('bias.pt')")


def _summary(src):
    (report,) = [m for m in check_source("m.py", src, explain=True).models if m.name == "Net"]
    return report.summary


def _torch_counts(m):
    params = list(m.parameters())
    return (sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad), sum(b.numel() for b in m.buffers()))


@pytest.mark.parametrize("src", [MEAN_SHIFT, DATA_OF_CHILD, FROZEN_OWN], ids=["mean_shift", "data_of_child", "frozen_own"])
def test_a_data_write_of_the_same_size_keeps_the_count_and_the_flag_is_followed(src):
    model = load(src, "m.py").Net()
    s = _summary(src)
    t = s["total"]
    assert (t["params"], t["trainable"], t["buffers"]) == _torch_counts(model)
    assert t["trainable"] < t["params"]  # something is frozen, as torch says
    named = dict(model.named_modules())
    rows = [r for r in s["modules"] if r["module"] in named]
    assert len(rows) == len(named) - 1 and all(r["params"] is not None for r in rows)  # every submodule but the root
    for r in rows:
        assert (r["params"], r["trainable"], r["buffers"]) == _torch_counts(named[r["module"]]), r["module"]


@pytest.mark.parametrize("src", [NEW_SIZE, UNKNOWN_SIZE], ids=["new_size", "unknown_size"])
def test_a_data_write_of_another_or_unknown_size_makes_the_count_unknown(src):
    if src is NEW_SIZE:  # torch: the formula (2*2+2 = 6) is not the count any more
        assert _torch_counts(load(src, "m.py").Net().a) == (9, 9, 0)
    s = _summary(src)
    assert s["total"]["params"] is None
    rows = {r["module"]: r for r in s["modules"]}
    assert rows["a"]["params"] is None


# in forward: the buffer's new size is what the matmul sees (the old one would be a false alarm)
RESIZED_IN_FORWARD = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 2)
    def __init__(self):
        super().__init__()
        self.register_buffer("proj", torch.zeros(3, 3))

    def forward(self, x):
        self.proj.data = torch.ones(x.shape[1], 5)
        return x @ self.proj
'''


def test_a_tensor_given_new_data_is_not_read_with_its_old_size():
    import torch

    out = load(RESIZED_IN_FORWARD, "m.py").Net()(torch.zeros(2, 2))
    result = check_source("m.py", RESIZED_IN_FORWARD)
    (report,) = [m for m in result.models if m.name == "Net"]
    assert not [f for f in result.findings if f.severity == "error"]
    assert report.output in (None, list(out.shape))
