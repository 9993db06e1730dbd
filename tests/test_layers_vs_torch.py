"""Every entry of shapelint.torch.modules.LAYERS against real torch, one small tensor at a time.

Each case builds a one-layer model `self.layer = nn.<Name>(<args>)` with a declared
input, lints it, and runs the same layer with torch on a CPU tensor of that shape:
- torch runs: shapelint reports no error and its explain row for `layer` has torch's
  output shape;
- torch raises (construction or forward): shapelint reports an error.
The pooling and convolution formulas are also checked over a wide integer grid, and
with symbolic sizes substituted afterwards, against torch's functional ops.
"""

import inspect
import itertools

import pytest

torch = pytest.importorskip("torch")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from shapelint.engine.check import check_source  # noqa: E402
from shapelint.torch.kernels import pool_size  # noqa: E402
from shapelint.torch.modules import LAYERS, REQUIRED  # noqa: E402
from shapelint.core.symbolic import Expr, substitute  # noqa: E402

pytestmark = pytest.mark.torch

# name -> [(constructor arguments, input shape)], failing cases included
GRID = {
    "Conv1d": [
        ("3, 4, 3", (2, 3, 10)), ("3, 4, 3, stride=2, padding=1", (2, 3, 11)), ("3, 6, 3, dilation=2", (2, 3, 9)),
        ("4, 6, 3, groups=2", (2, 4, 8)), ("3, 4, 5, padding='same'", (2, 3, 7)), ("3, 4, 4, padding='same'", (1, 3, 9)),
        ("3, 4, 5, padding='valid'", (1, 3, 7)), ("3, 4, 3", (3, 10)), ("3, 4, kernel_size=3, stride=3", (1, 3, 10)),
        ("3, 4, 3", (2, 5, 10)), ("3, 4, 5", (1, 3, 4)), ("3, 4, 3, groups=2", (1, 3, 8)),
        ("3, 4, 3, stride=2, padding='same'", (1, 3, 8)), ("3, 4, 3", (2, 3, 4, 4)),
    ],
    "Conv2d": [
        ("3, 8, 3", (2, 3, 9, 9)), ("3, 8, 3, 2, 1", (2, 3, 9, 8)), ("3, 8, (3, 5), stride=(2, 1), padding=(1, 2)", (1, 3, 10, 7)),
        ("3, 8, 7, padding=3", (1, 3, 12, 12)), ("3, 6, 3, dilation=2, padding=1", (1, 3, 11, 11)), ("6, 9, 3, groups=3", (2, 6, 6, 6)),
        ("3, 4, 4, padding='same', dilation=2", (1, 3, 9, 10)), ("3, 4, 3, padding='valid'", (1, 3, 5, 5)), ("3, 4, 3, padding=1", (3, 6, 6)),
        ("in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1", (1, 3, 8, 8)),
        ("3, 4, 3, bias=False, padding_mode='reflect', padding=1", (1, 3, 5, 5)),
        ("3, 8, 3", (2, 4, 9, 9)), ("3, 8, 5", (1, 3, 4, 9)), ("3, 8, 3, padding=1", (1, 3, 0, 5)), ("4, 6, 3, groups=4", (1, 4, 8, 8)),
        ("3, 8, 3, stride=2, padding='same'", (1, 3, 9, 9)), ("3, 8, 3", (2, 3, 9)), ("3, 8, 3", (3, 9)),
    ],
    "Conv3d": [
        ("2, 4, 3", (1, 2, 5, 6, 7)), ("2, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)", (1, 2, 4, 7, 7)),
        ("2, 4, 3, padding='same'", (2, 5, 5, 5)), ("2, 4, 3", (1, 3, 5, 5, 5)), ("2, 4, 3", (1, 2, 2, 5, 5)),
    ],
    "ConvTranspose1d": [
        ("3, 4, 3", (2, 3, 5)), ("3, 4, 3, stride=2, padding=1, output_padding=1", (2, 3, 5)),
        ("4, 6, 2, stride=2, groups=2", (1, 4, 7)), ("3, 4, 3, dilation=2", (3, 6)), ("3, 4, 3", (2, 5, 5)),
    ],
    "ConvTranspose2d": [
        ("3, 4, 2, stride=2", (2, 3, 5, 6)), ("3, 4, 3, stride=2, padding=1, output_padding=1", (1, 3, 4, 4)),
        ("3, 4, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(0, 2)", (1, 3, 4, 5)),
        ("3, 4, 3, 1, 0, 0, 1, True, 2", (1, 3, 4, 4)), ("3, 4, 3, padding=2", (1, 3, 2, 2)), ("3, 4, 3", (1, 8, 4, 4)),
        ("3, 4, 3, padding=1", (1, 3, 1, 1)), ("3, 4, 3, stride=2, output_padding=2", (1, 3, 4, 4)),
    ],
    "ConvTranspose3d": [
        ("2, 3, 2, stride=2", (1, 2, 3, 4, 5)), ("2, 3, 3, stride=2, padding=1, output_padding=1", (1, 2, 3, 3, 3)),
        ("2, 3, 2", (1, 4, 3, 3, 3)),
    ],
    "MaxPool1d": [
        ("2", (2, 3, 9)), ("3, 2", (1, 2, 10)), ("3, 2, 1", (1, 2, 10)), ("2, ceil_mode=True", (1, 2, 9)),
        ("3, 3, 1, ceil_mode=True", (1, 2, 5)), ("2, dilation=2", (1, 2, 9)), ("3, 2, 1, return_indices=True", (1, 2, 8)),
        ("4", (1, 2, 3)), ("2, 2, 2", (1, 2, 8)),
    ],
    "MaxPool2d": [
        ("2", (2, 3, 9, 8)), ("2, 4", (1, 3, 32, 32)), ("4, 4", (1, 3, 32, 32)), ("kernel_size=2, stride=2, padding=0", (1, 18, 32, 32)),
        ("3, 2, 1", (1, 3, 7, 8)), ("(2, 3), (1, 2), (1, 1)", (1, 2, 6, 7)), ("3, 3, 1, ceil_mode=True", (1, 2, 5, 5)),
        ("2, ceil_mode=True", (1, 2, 5, 7)), ("3, 2, dilation=2, ceil_mode=True", (1, 1, 9, 10)), ("2", (3, 8, 8)),
        ("2", (1, 3, 1, 8)), ("3, 2, 2", (1, 3, 8, 8)), ("2", (1, 3, 8)),
    ],
    "MaxPool3d": [("2", (1, 2, 4, 5, 6)), ("3, 2, 1, ceil_mode=True", (1, 1, 5, 6, 7)), ("3", (1, 2, 2, 6, 6))],
    "AvgPool1d": [
        ("2", (2, 3, 9)), ("3, 2, 1", (1, 2, 10)), ("3, 3, 1, ceil_mode=True", (1, 2, 5)),
        ("3, 2, 1, True, False", (1, 2, 7)), ("5", (1, 2, 4)), ("2, 2, 2", (1, 2, 8)),
    ],
    "AvgPool2d": [
        ("2", (2, 3, 9, 8)), ("3, 2, 1", (1, 3, 7, 8)), ("3, 3, 1, ceil_mode=True", (1, 2, 5, 7)),
        ("2, divisor_override=3", (1, 2, 4, 4)), ("(3, 1), (2, 1)", (1, 2, 7, 3)), ("4", (1, 2, 3, 8)),
    ],
    "AvgPool3d": [("2", (1, 2, 4, 5, 6)), ("3, 2, 1, ceil_mode=True", (1, 1, 5, 6, 7)), ("3", (1, 1, 3, 3, 2))],
    "AdaptiveAvgPool1d": [("4", (2, 3, 9)), ("1", (1, 2, 3)), ("7", (1, 2, 3)), ("4", (3, 9))],
    "AdaptiveAvgPool2d": [("(1, 1)", (2, 3, 9, 8)), ("5", (1, 2, 3, 7)), ("(None, 2)", (1, 2, 5, 6)), ("1", (1, 2, 5))],
    "AdaptiveAvgPool3d": [("2", (1, 2, 4, 5, 6)), ("(None, 1, 3)", (1, 2, 4, 5, 6))],
    "AdaptiveMaxPool1d": [("4", (2, 3, 9)), ("2, return_indices=True", (1, 2, 8))],
    "AdaptiveMaxPool2d": [("(3, None)", (2, 3, 9, 8)), ("2", (1, 2, 5, 5))],
    "AdaptiveMaxPool3d": [("1", (1, 2, 3, 4, 5)), ("(2, None, None)", (1, 1, 4, 5, 6))],
    "BatchNorm1d": [("4", (2, 4)), ("4", (2, 4, 7)), ("4, affine=False", (2, 4, 5)), ("4", (2, 5)), ("4", (2, 3, 7)), ("4", (2, 4, 3, 3))],
    "BatchNorm2d": [("3", (2, 3, 4, 4)), ("3, momentum=0.2, bias=False", (2, 3, 4, 4)), ("3", (2, 4, 4, 4)), ("3", (2, 3, 4))],
    "BatchNorm3d": [("2", (2, 2, 3, 3, 3)), ("2", (2, 3, 3, 3, 3)), ("2", (2, 2, 3, 3))],
    "GroupNorm": [("2, 4", (2, 4, 3, 3)), ("3, 6", (2, 6, 5)), ("4, 8, affine=False", (1, 8)), ("2, 4", (2, 6, 3, 3)), ("3, 4", (1, 4, 2, 2))],
    "InstanceNorm1d": [("3", (2, 3, 5)), ("3", (3, 5)), ("3, affine=True", (2, 3, 5)), ("3, affine=True", (2, 4, 5)), ("3", (2, 3, 5, 5))],
    "InstanceNorm2d": [("3", (2, 3, 4, 5)), ("3, track_running_stats=True", (2, 3, 4, 4)), ("3, affine=True", (2, 5, 4, 4))],
    "InstanceNorm3d": [("2", (1, 2, 3, 3, 3)), ("2, affine=True", (1, 2, 3, 3, 3))],
    "LayerNorm": [
        ("6", (2, 3, 6)), ("(3, 6)", (2, 3, 6)), ("[4, 4]", (2, 3, 4, 4)), ("6, elementwise_affine=False", (2, 6)),
        ("5", (2, 3, 6)), ("(6, 3)", (2, 3, 6)), ("(2, 3, 6)", (3, 6)),
    ],
    "RMSNorm": [
        ("6", (2, 3, 6)), ("(3, 6), eps=1e-6", (2, 3, 6)), ("[4, 4], elementwise_affine=False", (2, 3, 4, 4)),
        ("5", (2, 3, 6)), ("(6, 3)", (2, 3, 6)), ("(2, 3, 6)", (3, 6)),
    ],
    "Dropout": [("0.2", (2, 3)), ("p=0.1, inplace=False", (2, 3, 4))],
    "Dropout1d": [("0.2", (2, 3, 4))],
    "Dropout2d": [("0.2", (2, 3, 4, 4))],
    "Dropout3d": [("0.2", (2, 3, 4, 4, 4))],
    "AlphaDropout": [("0.2", (2, 3))],
    "FeatureAlphaDropout": [("0.2", (2, 3, 4, 4))],
    "Identity": [("", (2, 3)), ("54, unused_argument_one=0.1", (2, 3, 4))],
    "Flatten": [("", (2, 3, 4, 5)), ("0", (2, 3, 4)), ("1, 2", (2, 3, 4, 5)), ("-3, -2", (2, 3, 4, 5)), ("start_dim=2", (2, 3)), ("2, 1", (2, 3, 4))],
    "Unflatten": [("1", "(4, 5)", ), ],
    "Linear": [("12, 5", (2, 12)), ("12, 5", (2, 3, 12)), ("12, 5, bias=False", (12,)), ("12, 5", (2, 11)), ("18 * 16 * 16, 64", (2, 18 * 16 * 16))],
    "Embedding": [("10, 4", (2, 7)), ("10, 4, padding_idx=0", (3,)), ("num_embeddings=10, embedding_dim=6", (2, 3, 5))],
    "Upsample": [
        ("scale_factor=2", (1, 2, 3, 4)), ("size=(5, 7)", (1, 2, 3, 4)), ("size=9", (1, 2, 4)), ("scale_factor=2, mode='bilinear'", (1, 2, 3, 3)),
        ("scale_factor=1.5", (1, 2, 5, 4)), ("scale_factor=(2, 3)", (1, 2, 3, 3)), ("None, 2, 'trilinear'", (1, 1, 2, 3, 4)),
    ],
    "UpsamplingNearest2d": [("scale_factor=2", (1, 2, 3, 4)), ("size=(5, 6)", (1, 2, 3, 4))],
    "UpsamplingBilinear2d": [("scale_factor=2", (1, 2, 3, 4)), ("(7, 5)", (1, 2, 3, 4))],
    "PixelShuffle": [("2", (1, 8, 3, 4)), ("3", (2, 9, 2, 2)), ("2", (1, 6, 3, 3)), ("2", (8, 3, 4))],
    "PixelUnshuffle": [("2", (1, 2, 4, 6)), ("3", (2, 1, 6, 3)), ("2", (1, 2, 5, 4)), ("2", (3, 4, 4)), ("2", (4, 4))],
    "ChannelShuffle": [("2", (1, 4, 3, 3)), ("3", (2, 6, 5)), ("2", (1, 3, 2, 2))],
    "LocalResponseNorm": [("2", (2, 3, 4, 4)), ("size=3", (2, 5, 7)), ("2", (2, 3))],
    "SyncBatchNorm": [("3", (2, 3)), ("3", (2, 3, 4, 4)), ("4", (2, 3, 5)), ("3", (3,))],
    "LPPool1d": [("2, 3", (2, 3, 8)), ("1, 2, stride=1", (1, 2, 5)), ("2, 4", (2, 3, 3))],
    "LPPool2d": [("2, 2", (2, 3, 4, 4)), ("2, (2, 3), stride=1", (1, 2, 5, 6)), ("2, 3, ceil_mode=True", (1, 2, 5, 5))],
    "LPPool3d": [("2, 2", (1, 2, 4, 4, 4))],
    "PReLU": [("", (2, 3, 4)), ("3", (2, 3, 4)), ("3", (2, 4, 4))],
    "Softmax": [("dim=1", (2, 3)), ("-1", (2, 3, 4)), ("dim=2", (2, 3))],
    "LogSoftmax": [("dim=1", (2, 3)), ("3", (2, 3, 4))],
    "Softmin": [("dim=0", (2, 3))],
    "Softmax2d": [("", (2, 3, 4, 4))],
    "ZeroPad1d": [("2", (1, 2, 5)), ("(1, 3)", (1, 2, 5))],
    "ZeroPad2d": [("1", (1, 2, 3, 4)), ("(1, 2, 0, 3)", (1, 2, 3, 4))],
    "ZeroPad3d": [("1", (1, 2, 3, 4, 5))],
    "ConstantPad1d": [("2, 0.5", (1, 2, 5))],
    "ConstantPad2d": [("(1, 0, 2, 1), 1.0", (1, 2, 3, 4))],
    "ConstantPad3d": [("1, 0.0", (1, 1, 2, 3, 4))],
    "ReplicationPad1d": [("2", (1, 2, 5))],
    "ReplicationPad2d": [("(1, 2, 3, 0)", (1, 2, 4, 4))],
    "ReplicationPad3d": [("1", (1, 1, 2, 3, 4))],
    "ReflectionPad1d": [("2", (1, 2, 5))],
    "ReflectionPad2d": [("(1, 2, 1, 0)", (1, 2, 4, 4))],
    "ReflectionPad3d": [("1", (1, 1, 2, 3, 4))],
    "LSTM": [
        ("6, 8", (5, 2, 6)), ("6, 8, batch_first=True", (2, 5, 6)), ("6, 8, 2, bidirectional=True", (5, 2, 6)),
        ("6, 8, num_layers=3, batch_first=True, bidirectional=True", (2, 4, 6)), ("6, 8, proj_size=3", (5, 2, 6)),
        ("6, 8", (5, 6)), ("6, 8", (5, 2, 7)),
    ],
    "GRU": [("6, 8", (5, 2, 6)), ("6, 8, batch_first=True, bidirectional=True", (2, 5, 6)), ("6, 8, 2", (4, 6)), ("6, 8, batch_first=True", (2, 5, 5))],
    "RNN": [("6, 8", (5, 2, 6)), ("6, 8, 2, 'relu', True, True", (2, 5, 6)), ("6, 8, bidirectional=True", (5, 2, 6)), ("6, 8", (5, 2, 4))],
}
# Lazy*: the first size comes from the input (failing cases: a wrong rank, groups that do not divide it)
GRID.update({
    "LazyConv1d": [("4, 3", (2, 3, 10)), ("4, 3, stride=2, padding=1", (3, 11)), ("4, 3, groups=2", (1, 3, 8)), ("4, 3", (2, 3, 4, 4))],
    "LazyConv2d": [("8, 3", (2, 3, 9, 9)), ("6, 3, groups=3, padding=1", (2, 6, 6, 6)), ("8, 3", (3, 9, 9)), ("4, 3, groups=2", (1, 3, 8, 8)), ("8, 5", (1, 3, 4, 9))],
    "LazyConv3d": [("4, 3", (1, 2, 5, 6, 7)), ("4, 3", (2, 5, 5, 5)), ("4, 3", (1, 2, 5, 5))],
    "LazyConvTranspose1d": [("4, 3", (2, 3, 5)), ("4, 3, stride=2, padding=1, output_padding=1", (3, 5)), ("6, 2, groups=2", (1, 3, 7))],
    "LazyConvTranspose2d": [("4, 2, stride=2", (2, 3, 5, 6)), ("4, 3, stride=2, output_padding=2", (1, 3, 4, 4)), ("4, 3", (2, 3, 4))],
    "LazyConvTranspose3d": [("3, 2, stride=2", (1, 2, 3, 4, 5)), ("3, 2", (2, 3, 3, 3))],
    "LazyLinear": [("5", (2, 12)), ("5", (2, 3, 12)), ("5, bias=False", (12,))],
    "LazyBatchNorm1d": [("", (2, 4)), ("", (2, 4, 7)), ("", (2, 4, 3, 3))],
    "LazyBatchNorm2d": [("", (2, 3, 4, 4)), ("momentum=0.2", (2, 5, 4, 4)), ("", (2, 3, 4))],
    "LazyBatchNorm3d": [("", (2, 2, 3, 3, 3)), ("", (2, 2, 3, 3))],
    "LazyInstanceNorm1d": [("", (2, 3, 5)), ("", (3, 5)), ("", (2, 3, 5, 5))],
    "LazyInstanceNorm2d": [("", (2, 3, 4, 5)), ("affine=False", (3, 4, 4)), ("", (2, 3, 4))],
    "LazyInstanceNorm3d": [("", (1, 2, 3, 3, 3)), ("", (2, 3, 3, 3))],
})
GRID["Unfold"] = [
    ("3", (2, 4, 7, 9)), ("(2, 3), stride=2", (2, 4, 7, 9)), ("3, dilation=2, padding=1", (1, 2, 8, 8)),
    ("kernel_size=(3, 2), dilation=(1, 2), padding=(2, 0), stride=(3, 1)", (2, 3, 6, 10)), ("3", (4, 6, 6)),
    ("5", (1, 2, 4, 9)), ("3", (2, 4, 9)), ("3", (2, 3, 4, 5, 6)), ("2, stride=0", (1, 2, 4, 4)),
]
GRID["Fold"] = [
    ("(4, 5), 2", (2, 12, 12)), ("(6, 6), 3, stride=3", (1, 18, 4)), ("(7, 9), (2, 3), dilation=2, padding=1, stride=(1, 2)", (2, 6, 35)),
    ("(4, 5), 2", (1, 12, 13)), ("(4, 5), 2", (1, 10, 12)), ("(4, 5), 2", (2, 12)), ("(4, 5), 2", (1, 2, 12, 12)),
    ("(1, 5), 2", (1, 8, 4)),
]
GRID["GLU"] = [("", (2, 3, 8)), ("dim=1", (2, 6, 5)), ("-3", (4, 3, 2)), ("dim=1", (2, 5, 4)), ("dim=3", (2, 4, 4)), ("", (2, 3, 7))]
for _cell in ("RNNCell", "GRUCell", "LSTMCell"):  # input (N, input_size) or (input_size,)
    GRID[_cell] = [("4, 6", (3, 4)), ("4, 6, bias=False", (4,)), ("4, 6", (3, 5)), ("4, 6", (2, 3, 4))]
GRID["RNNCell"].append(("4, 6, nonlinearity='relu'", (2, 4)))
GRID["Unflatten"] = [("1, (4, 5)", (2, 20)), ("-1, (2, 3)", (2, 4, 6)), ("1, (2, -1)", (2, 12)), ("1, (4, 4)", (2, 20))]

_ACTIVATION_ARGS = {"LeakyReLU": "0.2", "ELU": "alpha=0.5", "CELU": "1.5", "GELU": "approximate='tanh'", "Hardtanh": "-2.0, 2.0",
                    "Softplus": "beta=2", "Threshold": "0.1, 20.0", "Softshrink": "0.3", "Hardshrink": "lambd=0.4", "ReLU": "inplace=True"}
for _name, _spec in LAYERS.items():
    if _spec.extra_ok and _name not in GRID:
        GRID[_name] = [(_ACTIVATION_ARGS.get(_name, ""), (2, 3, 4)), (_ACTIVATION_ARGS.get(_name, ""), (3, 5))]

INT_INPUT = {"Embedding"}

# Cases where torch fails but shapelint stays silent by design (never a false alarm):
# the declared first dimension is the batch, a symbol B internally, and B may equal the
# layer's channels, so an unbatched reading of the input cannot be ruled out.
KNOWN_MISSES = {}

CASES = [(name, args, tuple(shape)) for name, cases in GRID.items() for args, shape in cases]


def _errors_and_layer_rows(path, src):
    """shapelint's errors, and the explain rows of the submodule named `layer`."""
    result = check_source(path, src, explain=True)
    errors = [f for f in result.findings if f.severity == "error"]
    rows = [r for m in result.models for r in m.layers if r.module == "layer"]
    return errors, rows


def _lint(name, args, shape):
    src = (
        "import torch.nn as nn\n\n"
        f"class One(nn.Module):  # shapelint: input=({', '.join(map(str, shape))},)\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.layer = nn.{name}({args})\n\n"
        "    def forward(self, x):\n        return self.layer(x)\n"
    )
    return _errors_and_layer_rows("one.py", src)


def _torch(name, args, shape):
    """(error or None, output shape) from real torch."""
    try:
        layer = eval(f"nn.{name}({args})", {"nn": nn})  # noqa: S307 - our own grid
        x = torch.randint(0, 10, shape) if name in INT_INPUT else torch.randn(*shape)
        with torch.no_grad():
            out = layer(x)
    except Exception as e:  # torch's own verdict
        return f"{type(e).__name__}: {e}", None
    t = out[0] if isinstance(out, tuple) else out
    return None, list(t.shape)


def test_grid_covers_every_layer():
    blocks = {name for name, spec in LAYERS.items() if spec.call is not None}  # several inputs: test_transformer_layers.py, test_bilinear.py
    # nn.EmbeddingBag (input, offsets) and the loss layers (input, target): test_sequence_model_ops.py
    losses = {"CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CTCLoss"}
    assert blocks == {"MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder", "Transformer",
                      "Bilinear", "EmbeddingBag"} | losses
    assert set(LAYERS) - blocks <= set(GRID), sorted(set(LAYERS) - blocks - set(GRID))


@pytest.mark.parametrize("name,args,shape", CASES, ids=[f"{n}({a})-{'x'.join(map(str, s))}" for n, a, s in CASES])
def test_layer_matches_torch(name, args, shape):
    torch_error, torch_out = _torch(name, args, shape)
    errors, rows = _lint(name, args, shape)
    if torch_error is None:
        assert errors == [], [f.message for f in errors]
        assert len(rows) == 1, rows
        assert rows[0].out == torch_out, (rows[0], torch_out)
        assert rows[0].inp == list(shape)
    else:
        if (name, args, shape) in KNOWN_MISSES:
            assert errors == [], "a known miss is now detected: remove it from KNOWN_MISSES"
            return
        assert errors, f"torch fails ({torch_error}) but shapelint reports no error; rows={rows}"


# ---------------------------------------------------------------------------- signatures


def _torch_params(name):
    cls = getattr(nn, name)
    if name in ("LSTM", "GRU", "RNN"):
        params = list(inspect.signature(nn.RNNBase.__init__).parameters.values())[2:]  # self, mode
        names = [p.name for p in params]
        if name != "LSTM":
            names.remove("proj_size")  # torch rejects proj_size for GRU/RNN
        if name == "RNN":
            names.insert(3, "nonlinearity")  # RNN.__init__ splices args[3] out as nonlinearity
        defaults = {p.name: REQUIRED if p.default is inspect.Parameter.empty else p.default for p in params}
        defaults["nonlinearity"] = "tanh"
        return [(n, defaults[n]) for n in names]
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [
        (p.name, REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in params
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


SIGNED = [n for n, s in LAYERS.items() if not s.extra_ok]


@pytest.mark.parametrize("name", SIGNED)
def test_layer_signature_matches_torch(name):
    expected = _torch_params(name)
    ours = list(LAYERS[name].params)
    assert [n for n, _ in ours] == [n for n, _ in expected]
    for (n, d), (_, td) in zip(ours, expected):
        if td is REQUIRED:
            assert d is REQUIRED, n
        elif name in ("LSTM", "GRU", "RNN") and n in ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"):
            pass  # RNNBase's defaults are torch's documented ones; RNNBase itself has no defaults for some
        elif n == "activation":
            assert d == td.__name__  # torch's default is the function F.relu; shapes do not depend on it
        else:
            assert d == td or (d is None and td is None), (n, d, td)


def test_rnn_documented_defaults():
    # torch's docs: num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0
    lstm = dict(LAYERS["LSTM"].params)
    assert (lstm["num_layers"], lstm["bias"], lstm["batch_first"], lstm["dropout"], lstm["bidirectional"], lstm["proj_size"]) == (1, True, False, 0.0, False, 0)
    assert nn.LSTM(2, 3).num_layers == 1 and nn.LSTM(2, 3).batch_first is False and nn.LSTM(2, 3).proj_size == 0


# ---------------------------------------------------------------------------- formulas over a wide grid

POOL_GRID = [
    (L, k, s, p, d, ceil)
    for L, k, s, d, ceil in itertools.product(range(1, 10), range(1, 5), range(1, 5), (1, 2), (False, True))
    for p in range(0, k // 2 + 1)
    if d * (k - 1) + 1 - 2 * p <= L  # otherwise torch rejects the input (checked separately)
]


def _torch_pool_len(L, k, s, p, d, ceil):
    x = torch.zeros(1, 1, L)
    try:
        return F.max_pool1d(x, k, s, p, d, ceil_mode=ceil).shape[-1]
    except RuntimeError:
        return None


def test_pool_formula_matches_torch_over_grid():
    bad = []
    for L, k, s, p, d, ceil in POOL_GRID:
        want = _torch_pool_len(L, k, s, p, d, ceil)
        got = pool_size(L, k, s, p, d, ceil).value
        if want is None:
            if got >= 1:
                bad.append(((L, k, s, p, d, ceil), got, "torch fails"))
        elif got != want:
            bad.append(((L, k, s, p, d, ceil), got, want))
    assert not bad, bad[:10]


def test_pool_formula_with_symbolic_size_matches_torch():
    """A symbolic result, once L is substituted, equals torch's size for every L that runs."""
    L = Expr.symbol("L")
    checked = 0
    for k, s, p, d, ceil in itertools.product(range(1, 5), range(1, 5), range(0, 3), (1, 2), (False, True)):
        if p > k // 2:
            continue
        out = pool_size(L, k, s, p, d, ceil).value
        if isinstance(out, Expr) and out.is_opaque():
            continue  # unknown is allowed; a wrong formula is not
        for n in range(1, 14):
            want = _torch_pool_len(n, k, s, p, d, ceil)
            if want is None:
                continue
            assert substitute(out, {"L": n}) == want, (k, s, p, d, ceil, n, out)
            checked += 1
    assert checked > 900


def test_ceil_mode_drops_the_window_that_starts_in_the_padding():
    # k=3, s=3, p=1 on 5: naive ceil gives ceil((5 + 2 - 3) / 3) + 1 = 3, torch drops the last window
    assert torch.zeros(1, 1, 5).shape[-1] == 5
    assert F.max_pool1d(torch.zeros(1, 1, 5), 3, 3, 1, ceil_mode=True).shape[-1] == 2
    assert pool_size(5, 3, 3, 1, 1, True).value == 2


CONV_GRID = list(itertools.product(range(1, 9), range(1, 4), range(1, 4), range(0, 3), (1, 2)))


def _conv_row(L, k, s, p, d, transposed=False, op=0):
    src = (
        "import torch.nn as nn\n\n"
        f"class One(nn.Module):  # shapelint: input=(1, 1, {L})\n"
        "    def __init__(self):\n        super().__init__()\n"
        + (f"        self.layer = nn.ConvTranspose1d(1, 1, {k}, {s}, {p}, {op}, dilation={d})\n" if transposed
           else f"        self.layer = nn.Conv1d(1, 1, {k}, {s}, {p}, {d})\n")
        + "\n    def forward(self, x):\n        return self.layer(x)\n"
    )
    r = check_source("c.py", src, explain=True)
    errs = [f for f in r.findings if f.severity == "error"]
    rows = [row for m in r.models for row in m.layers if row.module == "layer"]
    return errs, (rows[0].out[-1] if rows and rows[0].out else None)


def test_conv1d_formula_matches_torch_over_grid():
    bad = []
    for L, k, s, p, d in CONV_GRID[::3]:
        try:
            want = F.conv1d(torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]
        except RuntimeError:
            want = None
        errs, got = _conv_row(L, k, s, p, d)
        if (want is None) != bool(errs) or (want is not None and got != want):
            bad.append(((L, k, s, p, d), got, want, [e.message for e in errs]))
    assert not bad, bad[:10]


def test_conv_transpose1d_formula_matches_torch_over_grid():
    bad = []
    for L, k, s, p, d in CONV_GRID[::3]:
        for op in range(0, max(s, d)):
            try:
                want = F.conv_transpose1d(torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d).shape[-1]
            except RuntimeError:
                want = None
            errs, got = _conv_row(L, k, s, p, d, transposed=True, op=op)
            if (want is None) != bool(errs) or (want is not None and got != want):
                bad.append(((L, k, s, p, d, op), got, want, [e.message for e in errs]))
    assert not bad, bad[:10]


# ---------------------------------------------------------------------------- the symbolic path

_SYMBOLS = {3: ("L",), 4: ("H", "W"), 5: ("D", "H", "W")}
_SEQUENCE = {"LSTM", "GRU", "RNN", "Embedding"}
SYMBOLIC_CASES = [c for c in CASES if c[0] not in _SEQUENCE and len(c[2]) in (2, 3, 4, 5)]


def _symbolic_rows(name, args, shape):
    """Lint `prefix -> layer` with no declared input; the prefix fixes rank and channels only."""
    if len(shape) == 2:
        prefix = f"nn.Linear({shape[1]}, {shape[1]})"
    else:
        prefix = f"nn.Conv{len(shape) - 2}d({shape[1]}, {shape[1]}, 1)"
    src = (
        "import torch.nn as nn\n\n"
        "class Sym(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.prefix = {prefix}\n"
        f"        self.layer = nn.{name}({args})\n\n"
        "    def forward(self, x):\n        return self.layer(self.prefix(x))\n"
    )
    return _errors_and_layer_rows("sym.py", src)


def _value(dim, env):
    if isinstance(dim, int):
        return dim
    if dim == "?" or "?" in dim:
        return None  # unknown is allowed, a wrong formula is not
    return eval(dim, {"__builtins__": {}}, dict(env))  # noqa: S307 - shapelint's own arithmetic text


def test_symbolic_shapes_equal_torch_once_sizes_are_substituted():
    """With no declared input, each layer's output is a formula in B, H, W...; put the
    case's sizes in and it must equal what torch computed for that case."""
    compared = unknown = 0
    bad = []
    for name, args, shape in SYMBOLIC_CASES:
        torch_error, torch_out = _torch(name, args, shape)
        if torch_error is not None or shape[0] == shape[1] and len(shape) > 2:
            continue
        errors, rows = _symbolic_rows(name, args, shape)
        if errors:
            bad.append((name, args, shape, "error", [e.message for e in errors]))
            continue
        if not rows or rows[0].out is None:
            unknown += 1
            continue
        env = {"B": shape[0]}
        if len(shape) > 2:
            env.update(zip(_SYMBOLS[len(shape)], shape[2:]))
        got = [_value(d, env) for d in rows[0].out]
        if len(got) != len(torch_out) or any(g is not None and g != t for g, t in zip(got, torch_out)):
            bad.append((name, args, shape, rows[0].out, torch_out))
        unknown += any(g is None for g in got)
        compared += 1
    assert not bad, bad[:8]
    print(f"symbolic: {compared} layer cases compared, {unknown} with some unknown dim")
    assert compared > 150, (compared, unknown)


# ---------------------------------------------------------------------------- tensor expressions

EXPRESSIONS = [
    ("x.chunk(3, 1)[-1]", (2, 7, 3)), ("torch.chunk(x, 4, dim=-1)[0]", (2, 6)), ("x.chunk(2, 1)[1]", (5, 3)),
    ("x.max(dim=1)[0]", (2, 3, 4)), ("x.max(1, keepdim=True).values", (2, 3, 4)), ("torch.max(x, -1)[1]", (2, 3, 4)),
    ("torch.max(x, torch.zeros_like(x))", (2, 3)), ("x.min()", (2, 3)), ("x.argmax(dim=2)", (2, 3, 4)), ("x.argmin()", (2, 3)),
    ("x[:, :1].expand(-1, 5, 4)", (2, 3, 4)), ("x[:, :1].expand(-1, 3, -1)", (2, 3, 4)), ("x.unsqueeze(0).expand(3, -1, -1)", (2, 3)),
    ("x[:, :1].expand_as(x)", (2, 3, 4)), ("x.repeat(2, 1, 3)", (2, 3, 4)), ("x.repeat(2, 1, 1, 1)", (2, 3, 4)),
    ("torch.zeros(x.size(0), 5)", (2, 3)), ("torch.ones((x.shape[0], 2, 2))", (3, 4)), ("torch.randn(x.shape[1:])", (2, 3, 4)),
    ("torch.full((x.size(0), 1), 0.5)", (2, 3)), ("x.norm(2)", (2, 3)), ("x.norm(2, 1)", (2, 3)), ("x.norm(dim=-1, keepdim=True)", (2, 3)),
    ("x.std(1, True)", (2, 3, 4)), ("x.std(dim=1, keepdim=True)", (2, 3, 4)), ("torch.var(x, 1, False, True)", (2, 3, 4)),
    ("x.var(-1)", (2, 3, 4)), ("x.mean((1, 2))", (2, 3, 4)), ("x.sum(-1, keepdim=True)", (2, 3, 4)),
    ("torch.var_mean(x, [1, 2], keepdim=True, unbiased=False)[0]", (2, 3, 4)), ("torch.var_mean(x)[1]", (2, 3)),
    ("torch.std_mean(x, 1)[1]", (2, 3, 4)), ("torch.std_mean(x, dim=-1, correction=0)[0]", (2, 3, 4)),
]


@pytest.mark.parametrize("expr,shape", EXPRESSIONS, ids=[e for e, _ in EXPRESSIONS])
def test_tensor_expression_matches_torch(expr, shape):
    x = torch.randn(*shape)
    want = list(eval(expr, {"torch": torch, "x": x}).shape)  # noqa: S307 - our own grid
    src = (
        "import torch\nimport torch.nn as nn\n\n"
        f"class E(nn.Module):  # shapelint: input=({', '.join(map(str, shape))},)\n"
        f"    def forward(self, x):\n        return {expr}\n"
    )
    result = check_source("e.py", src, explain=True)
    assert [f for f in result.findings if f.severity == "error"] == []
    (model,) = result.models
    assert model.output == want, (model.output, want)
