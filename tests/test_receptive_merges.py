"""Receptive fields through residual adds and channel concats, against real torch.

The oracle is test_receptive_field's gradient support (positive conv weights, zero biases, an
input of ones, eval mode; max pooling given a gradient to its whole window), taken over all
channels of a row's output: a concat's channels have their operands' fields, and the field of
a tensor is their union. Each fixture's numbers are worked out in its comments from the layers
alone; the tests compare shapelint with torch, never with those comments.
"""

import functools

import pytest

from shapelint.engine.check import check_source
from test_receptive_field import HEAD, _every_window_pool, _fields, _prepare, _probes, _record_outputs, _rows, _span, measured_field

pytestmark = pytest.mark.torch

RESNET_BLOCK = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 40, 40)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.after = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)                         # 3
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))          # 7
        out += identity                          # 7 (torchvision's in-place add)
        out = self.relu(out)
        return self.after(out)                   # 9
'''

# the main path strided, the shortcut a strided 1x1 (torchvision), or ResNet-D's 2x2 average
# pool and 1x1, whose span [-1, 2] is not centred like the main path's [-4, 4]
DOWNSAMPLE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 48, 48)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.conv1 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.downsample = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.down_d = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(4, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.after = nn.Conv2d(8, 8, 3, padding=1)
        self.after_d = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)                                       # (3, 1), starts at -1
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))  # (9, 2), starts at -4
        y = F.relu(out + self.downsample(x))                   # shortcut (3, 2) at -1: (9, 2)
        z = torch.add(out, self.down_d(x)).relu()              # shortcut (4, 2) at -1: (9, 2)
        return self.after(y) + self.after_d(z)                 # (13, 2) each
'''

DENSE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 40, 40)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, padding=1)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(4 + 2 * i), nn.ReLU(), nn.Conv2d(4 + 2 * i, 2, 3, padding=1, bias=False))
            for i in range(3)
        )
        self.depthwise = nn.Conv2d(10, 10, 3, padding=1, groups=10)  # channel c reads channel c only
        self.transition = nn.Sequential(nn.BatchNorm2d(10), nn.ReLU(), nn.Conv2d(10, 4, 1), nn.AvgPool2d(2))

    def forward(self, x):
        x = self.stem(x)                         # 3
        for layer in self.layers:
            x = torch.cat([x, layer(x)], 1)      # 5, 7, 9: the new channels' field, the widest
        x = self.depthwise(x)                    # 11 (the stem's channels: 5)
        return self.transition(x)                # (12, 2)
'''

INCEPTION = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 48, 48)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.b1 = nn.Conv2d(4, 2, 1)
        self.b2 = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(4, 2, 1), nn.ReLU(), nn.Conv2d(2, 2, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(4, 2, 1))
        self.after = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.stem(x))                 # (3, 2) at -1
        out = torch.cat((self.b1(x), self.b2(x), self.b3(x), self.b4(x)), dim=-3)  # 3, 7, 11, 7: 11
        return self.after(out)                   # (15, 2)
'''

# operands whose spans are not centred alike: a padded pool [-1, 0] and a ceil_mode pool [0, 1],
# both 33 -> 17 positions; their sum reads [-1, 1], wider than either (a max of sizes says 2)
MISALIGNED = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 1, 33, 33)
    def __init__(self):
        super().__init__()
        self.left = nn.AvgPool2d(2, 2, padding=1)
        self.right = nn.AvgPool2d(2, 2, ceil_mode=True)
        self.same = nn.Identity()
        self.after = nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        y = self.same(self.left(x) * self.right(x))   # (3, 2)
        return self.after(y)                          # (7, 2)
'''

KEYWORDS = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 7, padding=3)
        self.same = nn.Identity()

    def forward(self, x):
        y = torch.add(self.c1(x), other=self.c2(x))   # 7
        z = self.c1(x).mul(other=self.c2(y))          # 13
        return self.same(y) * self.same(z)
'''

FIXTURES = {"keywords": KEYWORDS, "resnet_block": RESNET_BLOCK, "downsample": DOWNSAMPLE, "dense": DENSE, "inception": INCEPTION,
            "misaligned": MISALIGNED}


def _declared(src):
    (line,) = [ln for ln in src.splitlines() if "shapelint: input=" in ln]
    return [int(v) for v in line.split("input=(")[1].split(")")[0].split(",")]


@functools.lru_cache(maxsize=None)
def torch_fields(name):
    """Module name -> torch's field of each of its calls, for FIXTURES[name]."""
    import torch
    import torch.nn.functional as F

    src = FIXTURES[name]
    model = _prepare(src)
    for m in model.modules():
        if getattr(m, "inplace", False) is True:
            m.inplace = False  # an in-place ReLU overwrites what the gradient needs
    original = F.max_pool2d
    F.max_pool2d = _every_window_pool(original, 2)
    try:
        x = torch.ones(*_declared(src), dtype=torch.float64, requires_grad=True)
        seen, handles = _record_outputs(model, lambda out: out)
        model(x)
        for h in handles:
            h.remove()
        return {k: [measured_field(out, x, 2) for out in outs] for k, outs in seen.items()}
    finally:
        F.max_pool2d = original


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_call_has_torchs_field_through_adds_and_concats(name):
    want = torch_fields(name)
    calls, compared = {}, 0
    for row in _rows(FIXTURES[name]):
        if row.module is None:
            continue
        k = calls[row.module] = calls.get(row.module, -1) + 1
        assert want[row.module][k] is not None, (row.module, "cut off by a border: enlarge the fixture")
        assert row.receptive == want[row.module][k], (row.module, row.op, row.receptive, want[row.module][k])
        compared += 1
    assert compared == sum(len(v) for v in want.values())  # every module call has a field, each equal to torch's


def test_a_misaligned_sum_is_wider_than_either_operand():
    got = _fields(MISALIGNED)
    want = torch_fields("misaligned")
    assert got["left"] == got["right"] == ((2, 2), (2, 2))
    assert got["same"] == want["same"][0] == ((3, 2), (3, 2))  # the operands' spans [-1, 0] and [0, 1]


def test_functional_merge_rows_have_the_merged_field():
    ops = {r.op: r.receptive for r in _rows(DOWNSAMPLE) + _rows(INCEPTION) if r.module is None}
    assert ops["torch.add"] == torch_fields("downsample")["bn2"][0]  # the shortcut's span lies inside the main path's
    assert ops["torch.cat"] == torch_fields("inception")["b3"][0]  # the widest branch


# ---------------------------------------------------------------------------- what stays unknown
UNKNOWN = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 5, padding=2)
        self.one = nn.Conv2d(4, 1, 3, padding=1)
        self.after_spatial_cat = nn.Conv2d(4, 4, 3, padding=1)
        self.after_broadcast = nn.Conv2d(4, 4, 3, padding=1)
        self.after_difference = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        x = self.after_spatial_cat(torch.cat([x, self.c2(x)], 2))   # position i of the output is not i of both
        x = self.after_broadcast(x + self.one(x))                   # (B, 4, H, W) + (B, 1, H, W): broadcast
        return self.after_difference(x - self.c2(x))
'''


def test_a_spatial_concat_a_broadcast_and_a_difference_have_no_field():
    got = _fields(UNKNOWN)
    assert got["c1"] == ((3, 1), (3, 1))
    for name in ("torch.cat", "after_spatial_cat", "after_broadcast", "after_difference"):
        assert got[name] is None, (name, got[name])


# a stride-2 and a stride-1 17x17 conv both make 16 positions of 32, at jumps 2 and 1: output i
# reads [2i - 8, 2i + 8] and [i, i + 16], a span 17 wide at i = 8 and 18 at i = 9
JUMPS = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 1, 32, 32)
    def __init__(self):
        super().__init__()
        self.strided = nn.Conv2d(1, 1, 17, stride=2, padding=8)
        self.wide = nn.Conv2d(1, 1, 17)
        self.same = nn.Identity()

    def forward(self, x):
        return self.same(self.strided(x) + self.wide(x))
'''


def test_a_sum_of_different_jumps_has_no_field_and_torch_agrees_there_is_none():
    import torch

    got = _fields(JUMPS)
    assert got["strided"] == ((17, 2), (17, 2)) and got["wide"] == ((17, 1), (17, 1))
    assert got["same"] is None
    model = _prepare(JUMPS)
    x = torch.ones(1, 1, 32, 32, dtype=torch.float64, requires_grad=True)
    out = model(x)
    widths = []
    for p in _probes(out.shape[-2:]):
        (g,) = torch.autograd.grad(out[(0, 0) + p], x, retain_graph=True)
        widths.append([last - first + 1 for first, last in _span(g[0, 0] != 0, 2)])
    assert widths[0] != widths[1]  # neighbouring outputs' fields differ in size: no one (size, jump)


BRANCH = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 5, padding=2)
        self.after = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        if x.dtype == torch.float64:             # undecided: one path adds a wider field, one does not
            x = x + x
        else:
            x = x + self.c2(x)
        return self.after(x)
'''

ALIAS = HEAD + '''
class Net(nn.Module):  # shapelint: input=(3, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 7, padding=3)
        self.after = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        y = self.c1(x)
        z = y                                    # the same tensor
        y += self.c2(x)                          # changes z too
        return self.after(z)
'''


def test_a_merge_on_one_path_of_an_undecided_branch_has_no_field():
    got = _fields(BRANCH)
    assert got["c1"] == ((3, 1), (3, 1)) and got["after"] is None


def test_a_tensor_another_name_changed_in_place_has_no_field():
    import torch

    got = _fields(ALIAS)
    assert got["c1"] == ((3, 1), (3, 1)) and got["c2"] == ((7, 1), (7, 1))
    assert got["after"] is None
    model = _prepare(ALIAS)
    x = torch.ones(3, 2, 32, 32, dtype=torch.float64, requires_grad=True)
    assert measured_field(model(x), x, 2) == ((9, 1), (9, 1))  # torch reads c2's field through z, not c1's 5


def test_a_drawn_model_has_the_same_fields():
    """`shapelint graph` gives `a + b` a row of its own: the fields are those of --explain."""
    for src in (DOWNSAMPLE, MISALIGNED):
        (drawn,) = [m for m in check_source("rf.py", src, graph=True).models if m.name == "Net"]
        assert {r.op for r in drawn.layers} >= ({"+"} if src is DOWNSAMPLE else {"*"})
        got = {r.module: r.receptive for r in drawn.layers if r.module is not None}
        assert got == {r.module: r.receptive for r in _rows(src) if r.module is not None}


MODES = HEAD + '''
class Mix(nn.Module):
    def forward(self, x, w):
        return x + w if not self.training else x + x   # eval mode merges the wider field


class Net(nn.Module):  # shapelint: input=(3, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 5, padding=2)
        self.mix = Mix()
        self.after = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        return self.after(self.mix(x, self.c2(x)))
'''


def test_a_block_whose_modes_return_different_merges_has_no_field():
    import torch

    got = _fields(MODES)
    assert got["c1"] == ((3, 1), (3, 1)) and got["c2"] == ((7, 1), (7, 1))
    assert got["mix"] is None and got["after"] is None
    model = _prepare(MODES)
    x = torch.ones(3, 2, 32, 32, dtype=torch.float64, requires_grad=True)
    widths = {}
    for mode in (True, False):
        model.train(mode)
        widths[mode] = measured_field(model(x), x, 2)
    assert widths[True] == ((5, 1), (5, 1)) and widths[False] == ((9, 1), (9, 1))  # no one field for both modes
