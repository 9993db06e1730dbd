"""What a layer does to the receptive field of a conv stack: the window it reads, or nothing.

The receptive field of an output position is the span (first to last) of the input positions
it depends on, per spatial dimension (of a tensor: the union over its channels); the jump is
how far apart, in input positions, two neighbouring output positions' fields are; `first` is
where output position 0's field starts (input position 0 is 0; padding makes it negative).
A window of effective size k = dilation * (kernel - 1) + 1, stride s and left padding p turns
(size, jump, first) into (size + (k - 1) * jump, jump * s, first - p * jump): output position i
reads input positions i * s - p ... i * s - p + k - 1. Layers that read one position per output
position (activations, dropout, BatchNorm as it computes in eval mode: one scale and shift
per channel) keep all three.

A merge of tensors of one spatial size (`a + b`, `a * b` without broadcasting, `torch.cat` on
the channel dimension) reads, at output position i, position i of each operand: its field is
the span of the operands' fields, exact when their jumps are equal (with `first` kept, the
spans need not be centred alike); with different jumps it is not one field shifted along the
positions, and unknown.

Everything else (transposed convs, adaptive pooling, upsampling, LayerNorm, GroupNorm, softmax
over a dim, reshapes, ...) is not here: its field is unknown.
"""

from __future__ import annotations

from typing import Optional, Tuple

from .kernels import normalize_dim, ntuple

Field = Tuple[Tuple[int, int, int], ...]  # (size, jump, first) per spatial dimension, in the input's positions

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
    """(spatial dims, effective kernel, stride, left padding; per dim) of a Conv*d / MaxPool*d / AvgPool*d, or None."""
    if kind in _CONVS:
        return _window(_CONVS[kind], params.get("kernel_size"), params.get("stride", 1), params.get("dilation", 1),
                       params.get("padding", 0))
    if kind in _POOLS:
        n = _POOLS[kind]
        dilation = params.get("dilation", 1) if kind.startswith("Max") else 1
        return _window(n, params.get("kernel_size"), _pool_stride(params), dilation, params.get("padding", 0))
    return None


def op_window(label: str, params: Optional[dict]) -> Optional[tuple]:
    """The same for `F.max_pool2d(...)` / `F.avg_pool2d(...)` rows, from their plain-number arguments."""
    prefix, _, name = label.rpartition(".")
    if prefix != "F" or name not in _FUNCTIONAL_POOLS or params is None:
        return None
    dilation = params.get("dilation", 1) if name.startswith("max") else 1
    return _window(_FUNCTIONAL_POOLS[name], params.get("kernel_size"), _pool_stride(params), dilation, params.get("padding", 0))


def _pool_stride(params: dict):
    stride = params.get("stride")
    return params.get("kernel_size") if stride is None else stride  # torch: stride defaults to the kernel


def _window(n: int, kernel, stride, dilation, padding) -> Optional[tuple]:
    k, s, d = ntuple(kernel, n), ntuple(stride, n), ntuple(dilation, n)
    if k is None or s is None or d is None or min(k + s + d) < 1:
        return None
    eff = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
    if padding == "valid":
        padding = 0
    # torch's padding="same" pads (k - 1) // 2 on the left, the rest on the right
    left = tuple((e - 1) // 2 for e in eff) if padding == "same" else ntuple(padding, n)
    if left is None or min(left) < 0:
        return None
    return n, eff, s, left


def widen(field: Field, window: tuple) -> Optional[Field]:
    """The field after a window; None when its dimensions are not the field's."""
    n, eff, stride, left = window
    if len(field) != n:
        return None
    return tuple((size + (k - 1) * jump, jump * s, first - p * jump)
                 for (size, jump, first), k, s, p in zip(field, eff, stride, left))


def first_field(n: int) -> Field:
    """The model's input: each position is its own field."""
    return ((1, 1, 0),) * n


def shown(field: Optional[Field]) -> Optional[tuple]:
    """((size, jump), ...): what a row shows of a field; None for unknown and for the input itself (())."""
    return tuple((size, jump) for size, jump, _first in field) if field else None


# ---------------------------------------------------------------------------- merges
ELEMENTWISE, CONCAT = "elementwise", "concat"
MERGE_OPERATORS = frozenset({"Add", "Multiply"})  # libcst's names of `a + b`, `a * b`
_MERGE_CALLS = {
    "torch.add": ELEMENTWISE, "torch.mul": ELEMENTWISE, "torch.multiply": ELEMENTWISE,
    ".add()": ELEMENTWISE, ".mul()": ELEMENTWISE, ".multiply()": ELEMENTWISE,
    "torch.cat": CONCAT, "torch.concat": CONCAT, "torch.concatenate": CONCAT,
}


def merge_call(label: str, args, kwargs) -> Optional[tuple]:
    """(kind, operands, dim) of a call that merges tensors position by position (`torch.cat([a, b], 1)`,
    `torch.add(a, b)`, `a.mul(b)`, with the tensor first in `args`), or None; every operand a tensor or None."""
    kind = _MERGE_CALLS.get(label)
    if kind is None or "out" in kwargs:
        return None
    if kind == CONCAT:
        tensors = args[0] if args else kwargs.get("tensors")
        dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
        return (kind, tuple(tensors), dim) if isinstance(tensors, (list, tuple)) and tensors else None
    first = args[0] if args else kwargs.get("input")
    other = args[1] if len(args) > 1 else kwargs.get("other")
    return kind, (first, other), None


_OPERATOR_ROWS = frozenset({"+", "*"})  # the rows `shapelint graph` gives `a + b`, `a * b`


def is_merge_row(label: Optional[str]) -> bool:
    """An explain row (`torch.cat`, `.add()`, a drawn `+`) whose output a merge made."""
    return label in _MERGE_CALLS or label in _OPERATOR_ROWS


def merged_field(kind: str, dim, fields: list, shapes: list, out_shape) -> Optional[Field]:
    """The field of a merge's output from its operands' (() for the model input itself), or None.

    Exact only where output position i reads position i of every operand: an elementwise op on
    operands of the output's shape (no broadcasting), or a concat on the channel dimension (the
    one before the spatial ones) of operands whose other sizes are the output's."""
    if out_shape is None or any(f is None for f in fields) or any(s is None for s in shapes):
        return None
    out_shape = tuple(out_shape)
    spatial = {len(f) for f in fields if f}
    if not spatial:  # the model input merged with itself: positions kept, whichever dims are spatial
        return () if kind == ELEMENTWISE and all(tuple(s) == out_shape for s in shapes) else None
    if len(spatial) != 1:
        return None
    (n,) = spatial
    rank = len(out_shape)
    if rank not in (n + 1, n + 2) or any(len(s) != rank for s in shapes):
        return None
    if kind == ELEMENTWISE:
        if any(tuple(s) != out_shape for s in shapes):
            return None
    else:
        d = normalize_dim(dim, rank)
        if d is None or d != rank - n - 1 or any(tuple(s[:d]) + tuple(s[d + 1:]) != out_shape[:d] + out_shape[d + 1:] for s in shapes):
            return None
    return _span_union([f or first_field(n) for f in fields])


def _span_union(fields: list) -> Optional[Field]:
    out = []
    for per_dim in zip(*fields):
        jumps = {jump for _size, jump, _first in per_dim}
        if len(jumps) != 1:
            return None  # neighbouring outputs' spans move by different steps: no one field
        first = min(f for _size, _jump, f in per_dim)
        last = max(f + size - 1 for size, _jump, f in per_dim)
        out.append((last - first + 1, jumps.pop(), first))
    return tuple(out)
