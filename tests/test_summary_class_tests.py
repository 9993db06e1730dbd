"""Parameter counts decided by comparing classes (`type(x) == functools.partial`, `type(k) is
tuple`) and a torch layer subclass that registers a buffer of its own, against torch.

CycleGAN/pix2pix pick a conv's bias from the norm layer: `norm_layer` is a class or a
`functools.partial` of one, told apart by `type(norm_layer) == functools.partial`, then
`.func == nn.InstanceNorm2d`. Python's rules, which the engine follows: type() of a partial is
functools.partial; of a class (nn.BatchNorm2d, int) it is `type`; of an int, a tuple, ... the
builtin class; a partial is equal to itself only (`==` is identity), never to a class. type()
of a tensor (it may be a Parameter) or of a torch layer instance is not modelled: the count
that depends on it is unknown, never a guess. Each snippet is written here from those rules.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import functools\nfrom functools import partial\n\nimport torch\nimport torch.nn as nn\n\n\n"

BIAS_FROM_NORM = HEAD + '''
class Block(nn.Module):
    def __init__(self, norm_layer):
        super().__init__()
        if type(norm_layer) == functools.partial:
            use_bias = norm_layer.func == nn.InstanceNorm2d
        else:
            use_bias = norm_layer == nn.InstanceNorm2d
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=use_bias)
        self.norm = norm_layer(8)

    def forward(self, x):
        return self.norm(self.conv(x))


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        self.a = Block(functools.partial(nn.InstanceNorm2d, affine=False))
        self.b = Block(partial(nn.BatchNorm2d, affine=True))
        self.c = Block(nn.BatchNorm2d)
        self.d = Block(nn.InstanceNorm2d)

    def forward(self, x):
        return self.a(x) + self.b(x) + self.c(x) + self.d(x)
'''

# the same decision spelled with `is`, isinstance and a partial of a partial
BIAS_OTHER_SPELLINGS = HEAD + '''
def bias_for(norm):
    if isinstance(norm, partial):
        return norm.func is nn.InstanceNorm2d
    return type(norm) is not type or norm is nn.InstanceNorm2d


class Net(nn.Module):  # shapelint: input=(2, 4, 8, 8)
    def __init__(self):
        super().__init__()
        inner = partial(nn.InstanceNorm2d, eps=1e-3)
        norms = [partial(inner, affine=True), nn.BatchNorm2d, partial(nn.GroupNorm, 2)]
        self.convs = nn.ModuleList(nn.Conv2d(4, 4, 1, bias=bias_for(n)) for n in norms)

    def forward(self, x):
        for conv in self.convs:
            x = conv(x)
        return x
'''

# a kernel given as an int or a pair, told apart by type(); a partial is equal to itself only
KERNEL_BY_TYPE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 3, 9, 9)
    def __init__(self, k=3, pair=(1, 3)):
        super().__init__()
        pad = k // 2 if type(k) == int else tuple(v // 2 for v in k)
        self.a = nn.Conv2d(3, 4, k, padding=pad, bias=type(pair) is tuple)
        pad2 = tuple(v // 2 for v in pair) if type(pair) in (tuple, list) else pair // 2
        self.b = nn.Conv2d(4, 4, pair, padding=pad2, bias=type(k) == float)
        p = partial(nn.Conv2d, 4)
        same = p == p and p != nn.Conv2d and p != partial(nn.Conv2d, 4)
        self.c = p(4, 1, bias=same)

    def forward(self, x):
        return self.c(self.b(self.a(x)))
'''

# PixelCNN's masked conv: a Conv2d subclass with a buffer of its own, its weight masked in forward
MASKED_CONV = HEAD + '''
class MaskedConv2d(nn.Conv2d):
    def __init__(self, mask_type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("mask", self.weight.data.clone())
        _, _, kh, kw = self.weight.size()
        self.mask.fill_(1)
        self.mask[:, :, kh // 2, kw // 2 + (mask_type == "B"):] = 0
        self.mask[:, :, kh // 2 + 1:] = 0

    def forward(self, x):
        self.weight.data *= self.mask
        return super().forward(x)


class Net(nn.Module):  # shapelint: input=(2, 1, 8, 8)
    def __init__(self):
        super().__init__()
        self.a = MaskedConv2d("A", 1, 6, 5, padding=2)
        self.b = MaskedConv2d("B", 6, 6, 3, padding=1, bias=False)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))
'''

# a subclass buffer under a name a torch layer may use, or a computed one: not followed
BUFFER_NAMED_LIKE_A_WEIGHT = MASKED_CONV.replace('"mask"', '"weight_mask"').replace("self.mask", "self.weight_mask")
BUFFER_COMPUTED_NAME = MASKED_CONV.replace('self.register_buffer("mask",', 'self.register_buffer("ma" + "sk",')

# type() of a tensor: torch.Tensor, or nn.Parameter for a Parameter; not followed, so unknown
TYPE_OF_TENSOR = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        w = nn.Parameter(torch.zeros(4))
        self.fc = nn.Linear(4, 4, bias=type(w) == torch.Tensor)
        self.w = w

    def forward(self, x):
        return self.fc(x) * self.w
'''


def _summary(src):
    (report,) = [m for m in check_source("m.py", src, explain=True).models if m.name == "Net"]
    return report.summary


def _torch_counts(m):
    params = list(m.parameters())
    return (sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad), sum(b.numel() for b in m.buffers()))


@pytest.mark.parametrize("src", [BIAS_FROM_NORM, BIAS_OTHER_SPELLINGS, KERNEL_BY_TYPE, MASKED_CONV],
                         ids=["bias_from_norm", "other_spellings", "kernel_by_type", "masked_conv"])
def test_counts_decided_by_class_tests_equal_torch_layer_by_layer(src):
    import torch

    model = load(src, "m.py").Net()
    s = _summary(src)
    t = s["total"]
    assert (t["params"], t["trainable"], t["buffers"]) == _torch_counts(model)
    named = dict(model.named_modules())
    rows = [r for r in s["modules"] if r["module"] in named]
    assert len(rows) == len(named) - 1
    for r in rows:
        assert (r["params"], r["trainable"], r["buffers"]) == _torch_counts(named[r["module"]]), r["module"]
    # the shapes torch gives are the ones stated
    report = [m for m in check_source("m.py", src).models if m.name == "Net"][0]
    x = torch.zeros(*[int(d) for d in src.split("input=(")[1].split(")")[0].split(",")])
    assert report.output == list(model(x).shape)


def test_both_sides_of_the_bias_choice_occur():
    # the fixture above is only a test if the comparisons go both ways in torch
    model = load(BIAS_FROM_NORM, "m.py").Net()
    assert [m.conv.bias is not None for m in (model.a, model.b, model.c, model.d)] == [True, False, False, True]
    other = load(BIAS_OTHER_SPELLINGS, "m.py").Net()
    assert [c.bias is not None for c in other.convs] == [True, False, False]
    k = load(KERNEL_BY_TYPE, "m.py").Net()
    assert (k.a.bias is not None, k.b.bias is not None, k.c.bias is not None) == (True, False, True)


@pytest.mark.parametrize("src", [BUFFER_NAMED_LIKE_A_WEIGHT, BUFFER_COMPUTED_NAME, TYPE_OF_TENSOR],
                         ids=["buffer_named_like_a_weight", "computed_buffer_name", "type_of_tensor"])
def test_what_is_not_followed_is_unknown_never_a_guess(src):
    load(src, "m.py").Net()  # torch builds it
    s = _summary(src)
    assert s["total"]["params"] is None
