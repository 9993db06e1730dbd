"""What a layer does to the receptive field of a conv stack: the window it reads, or nothing.

The receptive field of an output position is the span (first to last) of the input positions
it depends on, per spatial dimension; the jump is how far apart, in input positions, two
neighbouring output positions' fields are. A window of effective size k = dilation * (kernel - 1) + 1
and stride s turns (size, jump) into (size + (k - 1) * jump, jump * s). Padding shifts the
window, never its size. Layers that read one position per output position (activations,
dropout, BatchNorm as it computes in eval mode: one scale and shift per channel) keep both.

Everything else (transposed convs, adaptive pooling, upsampling, LayerNorm, GroupNorm, softmax
over a dim, reshapes, ...) is not here: its field is unknown.
"""

from __future__ import annotations

from typing import Optional, Tuple

from .kernels import ntuple

Field = Tuple[Tuple[int, int], ...]  # (size, jump) per spatial dimension, in the input's positions

# torch.nn layers that read only the output's own position of their input
KEEPS_POSITIONS = frozenset({
    "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Hardtanh",
    "Hardswish", "Hardsigmoid", "Softplus", "Softsign", "Tanhshrink", "Threshold", "LogSigmoid", "Softshrink",
    "Hardshrink", "PReLU", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
})

# functional ops (F.NAME, torch.NAME, .NAME()) that do the same
_POINTWISE = frozenset({
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh",
    "hardswish", "hardsigmoid", "softplus", "softsign", "tanhshrink", "threshold", "logsigmoid", "softshrink",
    "hardshrink", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
})
_POINTWISE_IN_PLACE = frozenset({"relu_", "leaky_relu_", "elu_", "selu_", "celu_", "hardtanh_", "threshold_", "sigmoid_", "tanh_"})
_SAME_TENSOR_METHODS = frozenset({"contiguous", "clone", "detach", "float"})

_CONVS = {f"Conv{n}d": n for n in (1, 2, 3)}
_POOLS = {f"{kind}Pool{n}d": n for kind in ("Max", "Avg") for n in (1, 2, 3)}
_FUNCTIONAL_POOLS = {f"{kind}_pool{n}d": n for kind in ("max", "avg") for n in (1, 2, 3)}


def keeps_positions_op(label: str) -> bool:
    """A functional op row (`F.relu`, `torch.sigmoid`, `.relu()`) that reads one position per output."""
    if label.startswith(".") and label.endswith("()"):
        name = label[1:-2]
        return name in _POINTWISE or name in _POINTWISE_IN_PLACE or name in _SAME_TENSOR_METHODS
    prefix, _, name = label.rpartition(".")
    return prefix in ("F", "torch") and (name in _POINTWISE or name in _POINTWISE_IN_PLACE)


def layer_window(kind: str, params: dict) -> Optional[tuple]:
    """(spatial dims, effective kernel per dim, stride per dim) of a Conv*d / MaxPool*d / AvgPool*d, or None."""
    if kind in _CONVS:
        return _window(_CONVS[kind], params.get("kernel_size"), params.get("stride", 1), params.get("dilation", 1))
    if kind in _POOLS:
        n = _POOLS[kind]
        dilation = params.get("dilation", 1) if kind.startswith("Max") else 1
        return _window(n, params.get("kernel_size"), _pool_stride(params), dilation)
    return None


def op_window(label: str, params: Optional[dict]) -> Optional[tuple]:
    """The same for `F.max_pool2d(...)` / `F.avg_pool2d(...)` rows, from their plain-number arguments."""
    prefix, _, name = label.rpartition(".")
    if prefix != "F" or name not in _FUNCTIONAL_POOLS or params is None:
        return None
    dilation = params.get("dilation", 1) if name.startswith("max") else 1
    return _window(_FUNCTIONAL_POOLS[name], params.get("kernel_size"), _pool_stride(params), dilation)


def _pool_stride(params: dict):
    stride = params.get("stride")
    return params.get("kernel_size") if stride is None else stride  # torch: stride defaults to the kernel


def _window(n: int, kernel, stride, dilation) -> Optional[tuple]:
    k, s, d = ntuple(kernel, n), ntuple(stride, n), ntuple(dilation, n)
    if k is None or s is None or d is None or min(k + s + d) < 1:
        return None
    return n, tuple(di * (ki - 1) + 1 for ki, di in zip(k, d)), s


def widen(field: Field, window: tuple) -> Optional[Field]:
    """The field after a window; None when its dimensions are not the field's."""
    n, eff, stride = window
    if len(field) != n:
        return None
    return tuple((size + (k - 1) * jump, jump * s) for (size, jump), k, s in zip(field, eff, stride))


def first_field(n: int) -> Field:
    """The model's input: each position is its own field."""
    return ((1, 1),) * n
