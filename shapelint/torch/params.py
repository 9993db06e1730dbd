"""How many parameters and buffers each torch layer holds: torch's constructors as formulas.

`own_counts(module)` is what a layer registers itself (not its children), as
`Counts(trainable, frozen, buffers)` in numbers of values (torch's `p.numel()`), or
None when an argument it depends on is not a known integer. Each formula is torch's
`__init__`: the shapes of the `weight`, `bias`, `running_*` tensors it creates.
tests/test_summary.py compares them with `named_parameters()` / `named_buffers()`.
"""

from __future__ import annotations

from math import prod
from typing import Callable, Dict, NamedTuple, Optional

from ..core.values import ModuleValue
from .loss_modules import LOSSES, loss_buffers_known
from .rnn_cells import cell_parameters


class Counts(NamedTuple):
    trainable: int = 0
    frozen: int = 0  # parameters with requires_grad=False (a frozen Embedding)
    buffers: int = 0

    def __add__(self, other):
        return Counts(self.trainable + other.trainable, self.frozen + other.frozen, self.buffers + other.buffers)

    @property
    def params(self) -> int:
        return self.trainable + self.frozen


def _int(v) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _flag(v) -> Optional[bool]:
    return v if isinstance(v, bool) else None


def _kernel(v, dims: int) -> Optional[int]:
    if _int(v) is not None:
        return v ** dims
    if isinstance(v, (tuple, list)) and len(v) == dims and all(_int(k) is not None for k in v):
        return prod(v)
    return None


def _known(*values) -> bool:
    return all(v is not None for v in values)


def _conv(m: ModuleValue) -> Optional[Counts]:
    p = m.params
    cin, cout, groups = _int(p.get("in_channels")), _int(p.get("out_channels")), _int(p.get("groups"))
    k, bias = _kernel(p.get("kernel_size"), m.spec.dims), _flag(p.get("bias"))
    if not _known(cin, cout, groups, k, bias) or groups == 0:
        return None
    if m.kind.startswith("ConvTranspose"):  # weight: (in, out // groups, *k)
        weight = cin * (cout // groups) * k
    else:  # weight: (out, in // groups, *k)
        weight = cout * (cin // groups) * k
    return Counts(weight + (cout if bias else 0))


def _linear(m: ModuleValue) -> Optional[Counts]:
    i, o, bias = _int(m.params.get("in_features")), _int(m.params.get("out_features")), _flag(m.params.get("bias"))
    return Counts(i * o + (o if bias else 0)) if _known(i, o, bias) else None


def _bilinear(m: ModuleValue) -> Optional[Counts]:
    """weight: (out, in1, in2), bias: (out,)."""
    p = m.params
    i1, i2, o, bias = _int(p.get("in1_features")), _int(p.get("in2_features")), _int(p.get("out_features")), _flag(p.get("bias"))
    return Counts(o * i1 * i2 + (o if bias else 0)) if _known(i1, i2, o, bias) else None


def _batch_norm(m: ModuleValue) -> Optional[Counts]:
    """BatchNorm*d and InstanceNorm*d: weight and bias when affine, running stats when tracked."""
    p = m.params
    c, affine, track, bias = _int(p.get("num_features")), _flag(p.get("affine")), _flag(p.get("track_running_stats")), _flag(p.get("bias"))
    if not _known(c, affine, track, bias):
        return None
    return Counts((c + (c if bias else 0)) if affine else 0, 0, (2 * c + 1) if track else 0)


def _group_norm(m: ModuleValue) -> Optional[Counts]:
    c, affine, bias = _int(m.params.get("num_channels")), _flag(m.params.get("affine")), _flag(m.params.get("bias"))
    if not _known(c, affine, bias):
        return None
    return Counts((c + (c if bias else 0)) if affine else 0)


def _layer_norm(m: ModuleValue) -> Optional[Counts]:
    shape, affine, bias = m.params.get("normalized_shape"), _flag(m.params.get("elementwise_affine")), _flag(m.params.get("bias"))
    n = _kernel(shape, 1) if _int(shape) is not None else (
        prod(shape) if isinstance(shape, (tuple, list)) and all(_int(d) is not None for d in shape) else None)
    if not _known(n, affine, bias):
        return None
    return Counts((n + (n if bias else 0)) if affine else 0)


def _rms_norm(m: ModuleValue) -> Optional[Counts]:
    """nn.RMSNorm: a weight of normalized_shape when elementwise_affine, no bias."""
    return _layer_norm(_WithoutBias(m))


class _WithoutBias:
    def __init__(self, m: ModuleValue):
        self.params = {**m.params, "bias": False}


def _embedding(m: ModuleValue) -> Optional[Counts]:
    p = m.params
    n, d = _int(p.get("num_embeddings")), _int(p.get("embedding_dim"))
    if not _known(n, d) or p.get("_weight") is not None:
        return None
    return Counts(0, n * d) if p.get("_freeze") is True else Counts(n * d) if p.get("_freeze") is False else None


def _embedding_bag(m: ModuleValue) -> Optional[Counts]:
    n, d = _int(m.params.get("num_embeddings")), _int(m.params.get("embedding_dim"))
    return Counts(n * d) if _known(n, d) and m.params.get("_weight") is None else None


def _cell(m: ModuleValue) -> Optional[Counts]:
    n = cell_parameters(m)
    return Counts(n) if n is not None else None


def _prelu(m: ModuleValue) -> Optional[Counts]:
    n = _int(m.params.get("num_parameters"))
    return Counts(n) if n is not None else None


_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _rnn(m: ModuleValue) -> Optional[Counts]:
    """weight_ih_l{k}: (gates*H, in), weight_hh_l{k}: (gates*H, H or proj), biases 2*gates*H, weight_hr (proj, H)."""
    p = m.params
    g = _GATES[m.kind]
    inp, h, layers = _int(p.get("input_size")), _int(p.get("hidden_size")), _int(p.get("num_layers"))
    bias, bi = _flag(p.get("bias")), _flag(p.get("bidirectional"))
    proj = _int(p.get("proj_size", 0))
    if not _known(inp, h, layers, bias, bi, proj):
        return None
    dirs = 2 if bi else 1
    out = proj if proj else h
    total = 0
    for layer in range(layers):
        x = inp if layer == 0 else out * dirs
        per = g * h * x + g * h * out + (2 * g * h if bias else 0) + (proj * h if proj else 0)
        total += per * dirs
    return Counts(total)


def _attention(m: ModuleValue) -> Optional[Counts]:
    """in_proj (one packed weight when kdim == vdim == embed_dim), in_proj_bias, bias_k/v, out_proj (a Linear)."""
    p = m.params
    e, bias, kv = _int(p.get("embed_dim")), _flag(p.get("bias")), _flag(p.get("add_bias_kv"))
    kdim = e if p.get("kdim") is None else _int(p.get("kdim"))
    vdim = e if p.get("vdim") is None else _int(p.get("vdim"))
    if not _known(e, bias, kv, kdim, vdim):
        return None
    weights = e * e + e * kdim + e * vdim
    return Counts(weights + (3 * e if bias else 0) + (2 * e if kv else 0) + e * e + (e if bias else 0))


OWN: Dict[str, Callable[[ModuleValue], Optional[Counts]]] = {
    **{f"{k}{d}d": _conv for k in ("Conv", "ConvTranspose") for d in (1, 2, 3)},
    **{f"{k}{d}d": _batch_norm for k in ("BatchNorm", "InstanceNorm") for d in (1, 2, 3)},
    "Linear": _linear,
    "Bilinear": _bilinear,
    "GroupNorm": _group_norm,
    "LayerNorm": _layer_norm,
    "RMSNorm": _rms_norm,
    "Embedding": _embedding,
    "EmbeddingBag": _embedding_bag,
    "RNNCell": _cell,
    **{kind: (lambda m: Counts() if loss_buffers_known(m) else None) for kind in LOSSES},
    "GRUCell": _cell,
    "LSTMCell": _cell,
    "PReLU": _prelu,
    "LSTM": _rnn,
    "GRU": _rnn,
    "RNN": _rnn,
    "MultiheadAttention": _attention,
    "SyncBatchNorm": _batch_norm,
}

# layers whose own parameters live in the children shapelint builds for them (torch's too)
BY_CHILDREN = frozenset(("Transformer", "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder"))
# stateful layers: running statistics that every call updates
RUNNING_STATS = frozenset(f"{k}{d}d" for k in ("BatchNorm", "InstanceNorm") for d in (1, 2, 3)) | {"SyncBatchNorm"}


def own_counts(m: ModuleValue) -> Optional[Counts]:
    """What a torch layer or container registers itself; None for a user class (see summary) or unknown."""
    if m.spec is None:
        return Counts() if m.kind in ("Sequential", "ModuleList", "ModuleDict") and m.cls is None else None
    if m.attrs:  # a weight or bias assigned after construction (tied weights): shapelint does not count it
        return None
    return formula_counts(m)


def formula_counts(m: ModuleValue) -> Optional[Counts]:
    """What torch layer `m`'s constructor registers, from its arguments alone."""
    if m.kind in BY_CHILDREN:
        return Counts()
    if m.kind.startswith("Lazy"):  # its sizes come from its first call: unknown here
        return None
    f = OWN.get(m.kind)
    if f is not None:
        return f(m)
    return Counts()  # a layer without parameters or buffers (activations, pools, dropout, pads, ...)


# ---------------------------------------------------------------------------- multiply-accumulates
# torch.utils.flop_counter.FlopCounterMode counts matrix products and convolutions only, at
# 2 FLOPs per multiply-accumulate (bias additions, norms, activations and pools count 0).
# `macs(module, input_shape, output_shape)` is that count / 2 for one call, None when unknown.

ZERO_MAC_PREFIXES = ("MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool", "BatchNorm", "InstanceNorm",
                     "Dropout", "ZeroPad", "ConstantPad", "ReplicationPad", "ReflectionPad", "Upsampling")
# nn.Bilinear runs aten._trilinear, which FlopCounterMode does not count (torch 2.13: 0 FLOPs)
ZERO_MAC = frozenset(("Bilinear", "GroupNorm", "LayerNorm", "RMSNorm", "Flatten", "Unflatten", "Embedding", "EmbeddingBag", "GLU", *LOSSES, "Upsample", "PixelShuffle",
                      "PReLU", "Softmax", "LogSoftmax", "Softmin", "Identity", "AlphaDropout", "FeatureAlphaDropout",
                      "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
                      "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Softsign", "Tanhshrink", "Threshold",
                      "LogSigmoid", "Softshrink", "Hardshrink", "Softmax2d", "PixelUnshuffle", "ChannelShuffle",
                      "LocalResponseNorm", "SyncBatchNorm", "LPPool1d", "LPPool2d", "LPPool3d"))


def _ints(shape) -> bool:
    return shape is not None and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)


def macs(m: ModuleValue, inp, out) -> Optional[int]:
    kind = m.kind
    if m.spec is None:
        return None
    if kind in ZERO_MAC or kind.startswith(ZERO_MAC_PREFIXES):
        return 0
    if not (_ints(inp) and _ints(out)):
        return None
    p = m.params
    if kind == "Linear":
        i, o = _int(p.get("in_features")), _int(p.get("out_features"))
        return prod(inp[:-1]) * i * o if _known(i, o) and len(inp) >= 2 else None
    if kind in _CONV_KINDS:
        d = m.spec.dims
        cin, cout, g = _int(p.get("in_channels")), _int(p.get("out_channels")), _int(p.get("groups"))
        k = _kernel(p.get("kernel_size"), d)
        if not _known(cin, cout, g, k) or g == 0 or len(inp) != d + 2 or len(out) != d + 2:
            return None
        if kind.startswith("ConvTranspose"):  # torch counts over the input's positions
            return inp[0] * cin * (cout // g) * k * prod(inp[2:])
        return out[0] * cout * (cin // g) * k * prod(out[2:])
    return None


_CONV_KINDS = frozenset(f"{k}{d}d" for k in ("Conv", "ConvTranspose") for d in (1, 2, 3))
