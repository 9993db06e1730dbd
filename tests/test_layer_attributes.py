"""A torch layer's attributes read as torch stores them (and those it derives: an MHA's head_dim,
kdim, vdim; a norm layer's weight and bias, or None without affine): a conv's `stride=2` is `(2, 2)`, a
LayerNorm's `8` is `(8,)`, an Upsample's `scale_factor=2` is `2.0`, a padding layer's `1` is
`(1, 1, 1, 1)`. Before, the constructor's argument was read back: `conv.stride == 2` was True
(torch: False), `conv.kernel_size == (3, 3)` False (torch: True), `conv.stride[0]` unknown.
Each expression decides a Linear's width that torch then runs.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.probe = PROBE
        self.fc = nn.Linear(4, EXPR)

    def forward(self, x):
        return self.fc(x)
'''

CASES = [
    ("nn.Conv2d(3, 8, 3, stride=2)", "3 if self.probe.stride == 2 else 5"),
    ("nn.Conv2d(3, 8, 3, stride=2)", "self.probe.stride[0] + len(self.probe.kernel_size)"),
    ("nn.Conv2d(3, 8, 3, padding=1)", "sum(self.probe.padding) + (1 if self.probe.kernel_size == (3, 3) else 9)"),
    ("nn.Conv2d(3, 8, (1, 3), padding='same')", "len(self.probe.padding) + self.probe.kernel_size[1]"),
    ("nn.Conv1d(3, 8, 5, dilation=2)", "self.probe.dilation[0] * 3 + len(self.probe.stride)"),
    ("nn.Conv3d(3, 8, [1, 3, 3])", "len(self.probe.kernel_size) + (1 if isinstance(self.probe.kernel_size, tuple) else 7)"),
    ("nn.ConvTranspose2d(8, 3, 4, 2, 1, output_padding=1)", "sum(self.probe.output_padding) + self.probe.stride[1]"),
    ("nn.LayerNorm(8)", "self.probe.normalized_shape[0] // 2 + len(self.probe.normalized_shape)"),
    ("nn.LayerNorm([4, 8])", "self.probe.normalized_shape[-1] if self.probe.normalized_shape == (4, 8) else 2"),
    ("nn.Upsample(scale_factor=2)", "int(self.probe.scale_factor * 3) if isinstance(self.probe.scale_factor, float) else 2"),
    ("nn.ZeroPad2d(1)", "len(self.probe.padding) + self.probe.padding[2]"),
    ("nn.ConstantPad1d(2, 0.0)", "sum(self.probe.padding)"),
    ("nn.ReflectionPad2d((1, 2, 3, 4))", "self.probe.padding[3]"),
    ("nn.MaxPool2d(3, 2)", "self.probe.kernel_size + self.probe.stride"),
    ("nn.AvgPool2d(2)", "self.probe.kernel_size * 2"),
    ("nn.Linear(4, 6)", "self.probe.out_features"),
    # attributes torch derives, and norm layers' parameters (before: unknown, and kdim read as None)
    ("nn.MultiheadAttention(16, 4)", "self.probe.head_dim + self.probe.kdim + self.probe.vdim"),
    ("nn.MultiheadAttention(16, 4, kdim=6)", "self.probe.kdim"),
    ("nn.BatchNorm2d(8)", "self.probe.weight.shape[0] + self.probe.bias.numel()"),
    ("nn.BatchNorm1d(4, affine=False)", "3 if self.probe.weight is None else 1"),
    ("nn.InstanceNorm2d(4)", "3 if self.probe.weight is None and self.probe.bias is None else 5"),
    ("nn.InstanceNorm3d(4, affine=True)", "self.probe.bias.shape[0]"),
    ("nn.GroupNorm(2, 8)", "self.probe.weight.shape[0] - 1"),
    ("nn.GroupNorm(2, 8, affine=False)", "7 if self.probe.weight is None else 2"),
    ("nn.PReLU(3)", "self.probe.weight.shape[0]"),
    ("nn.PReLU()", "self.probe.weight.numel() + 1"),
    ("nn.BatchNorm2d(8)", "self.probe.running_mean.shape[0] + self.probe.num_batches_tracked.dim()"),
    ("nn.InstanceNorm2d(4)", "3 if self.probe.running_var is None else 1"),
    ("nn.BatchNorm1d(3, track_running_stats=False)", "5 if self.probe.running_mean is None else 2"),
    ("nn.InstanceNorm1d(4, track_running_stats=True)", "self.probe.running_var.numel() + self.probe.num_batches_tracked.numel()"),
    # recurrent layers' own parameters, by torch's names and in torch's order
    ("nn.LSTM(4, 6, num_layers=2, bidirectional=True)", "self.probe.weight_ih_l1_reverse.shape[1] + len(list(self.probe.parameters()))"),
    ("nn.LSTM(4, 6, proj_size=3)", "self.probe.weight_hh_l0.shape[1] * 10 + self.probe.weight_hr_l0.shape[0]"),
    ("nn.GRU(4, 6, bias=False)", "len(list(self.probe.named_parameters())) + self.probe.weight_ih_l0.shape[0]"),
    ("nn.RNN(4, 5, 2)", "list(self.probe.named_parameters())[5][1].shape[1] + len(dict(self.probe.named_parameters()))"),
    ("nn.LSTM(4, 6)", "next(n for n, p in self.probe.named_parameters() if p.dim() == 1) == 'bias_ih_l0' and 3 or 9"),
]


@pytest.mark.parametrize("probe, expr", CASES)
def test_layer_attributes_are_as_torch_stores_them(probe, expr):
    import torch

    src = SNIPPET.replace("PROBE", probe).replace("EXPR", expr)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], expr
    (report,) = [m for m in result.models if m.name == "Net"]
    want = list(load(src, "m.py").Net()(torch.zeros(2, 4)).shape)
    assert report.output == want, (probe, expr)


def test_the_table_matches_torch_for_every_entry():
    """Every (layer, attribute) the table converts, built with an int (or a float factor) in torch."""
    import torch.nn as nn

    from shapelint.torch import layer_attributes

    for (kind, name), _convert in layer_attributes._TABLE.items():
        if kind.startswith("Lazy") or not hasattr(nn, kind):
            continue
        cls = getattr(nn, kind)
        value = 2
        if kind.startswith(("Conv", "ConvTranspose")):
            kwargs = {"in_channels": 2, "out_channels": 2, "kernel_size": 3, name: value}
            if name == "output_padding":
                kwargs["stride"] = 3
        elif kind.startswith("FractionalMaxPool"):
            kwargs = {"kernel_size": 2, "output_size": 3, name: value}
        elif kind.startswith("MaxUnpool"):
            kwargs = {"kernel_size": 2, name: value}
        elif "Pad" in kind:
            kwargs = {"padding": value, **({"value": 0.0} if kind.startswith("Constant") else {})}
        elif name == "scale_factor":
            kwargs = {"scale_factor": value}
        else:
            kwargs = {name: value}
        if kind.startswith("Upsampling"):
            kwargs = {"scale_factor": value}
        layer = cls(**kwargs)
        assert layer_attributes.stored(kind, name, value) == getattr(layer, name), (kind, name)
        assert type(layer_attributes.stored(kind, name, value)) is type(getattr(layer, name)), (kind, name)


INIT_LOOP = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 5, 4)
    def __init__(self):
        super().__init__()
        self.rnn = RNN
        self.fc = nn.Linear(12, 3)
        for name, p in self.rnn.named_parameters():
            if "weight_ih" in name:
                nn.init.xavier_uniform_(p)
            elif "weight_hh" in name:
                nn.init.orthogonal_(p)
            elif "bias" in name:
                p.data.fill_(0)
                n = p.size(0)
                p.data[n // 4:n // 2].fill_(1.0)

    def forward(self, x):
        out = self.rnn(x)[0]
        return self.fc(out[:, -1])
'''


@pytest.mark.parametrize("rnn", ["nn.LSTM(4, 6, batch_first=True, bidirectional=True)", "nn.GRU(4, 12, 2, batch_first=True)",
                                 "nn.RNN(4, 12, batch_first=True, bias=False)"])
def test_an_init_loop_over_a_recurrent_layers_parameters_keeps_the_summary_exact(rnn):
    """The usual LSTM init (xavier on weight_ih, orthogonal on weight_hh, forget-gate bias 1): the
    totals equal torch's (before: unknown, the layer's parameter names were not known)."""
    src = INIT_LOOP.replace("RNN", rnn)
    model = load(src, "m.py").Net()
    (report,) = [m for m in check_source("m.py", src, explain=True).models if m.name == "Net"]
    total = report.summary["total"]
    assert total["params"] == sum(p.numel() for p in model.parameters())
    assert total["trainable"] == total["params"] and total["buffers"] == 0
