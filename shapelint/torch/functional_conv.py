"""Convolution and sampling called as functions on tensors the code made: `F.conv1d/2d/3d(x, weight,
..., groups=...)` (StyleGAN's modulated conv: a per-sample weight folded to `(B * out, in, k, k)`
over `x.view(1, B * in, H, W)` with `groups=B`), `F.affine_grid(theta, size)` and
`F.grid_sample(input, grid)` (a spatial transformer), with torch's shape rules.

Shapes only where torch's rule is certain. A weight whose in-channels times groups differ from
the input's, or whose out-channels groups do not divide, is SHP006 when every size is known (torch
raises), and unknown otherwise; a theta or grid whose batch or last size does not fit, or any
argument shapelint does not know give unknown (no finding, no guess).
Registered into `functions.FUNCTIONAL` when imported (`engine.torch_calls` imports it).
"""

from __future__ import annotations

from ..core.symbolic import is_known, shape_text
from ..core.values import UNKNOWN, Tensor
from .functions import FUNCTIONAL
from .kernels import _size_value, bind, conv_size
from .sequence_ops import _mismatch
from .window_sizes import below, conv_transpose_size, is_size, note_zero_symbols, size_tuple

_CONV_ARGS = ["input", "weight", "bias", "stride", "padding", "dilation", "groups"]


def _shaped(t, rank: int) -> bool:
    return isinstance(t, Tensor) and t.shape is not None and len(t.shape) == rank


def _differ(ctx, a, b) -> bool:
    """Not certainly equal: different known ints (the batch read as the declared one), or sizes
    shapelint cannot compare."""
    if a == b:
        return False
    va, vb = _size_value(ctx, a), _size_value(ctx, b)
    return va is None or vb is None or va != vb


def _conv(n: int):
    def conv(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), _CONV_ARGS, {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1})
        if b is None or not _shaped(b["weight"], n + 2) or not isinstance(b["input"], Tensor) or b["input"].shape is None:
            return UNKNOWN
        x, w = b["input"].shape, b["weight"].shape
        groups = _size_value(ctx, b["groups"]) if not isinstance(b["groups"], bool) else None  # `groups=batch` of a declared batch
        batched = len(x) == n + 2
        if not (batched or len(x) == n + 1) or not isinstance(groups, int) or groups < 1:
            return UNKNOWN
        # symbols of the class's own constructor arguments too (window_sizes.py)
        stride, dilation = size_tuple(b["stride"], n), size_tuple(b["dilation"], n)
        padding = size_tuple(b["padding"], n) if not isinstance(b["padding"], str) else b["padding"]
        kernel = tuple(w[2:])
        if stride is None or dilation is None or padding is None or not all(is_size(k) for k in kernel):
            return UNKNOWN
        if below(stride + dilation, 1) or (not isinstance(padding, str) and below(padding, 0)):
            return UNKNOWN  # torch rejects it
        c_in, c_out = _size_value(ctx, x[1 if batched else 0]), _size_value(ctx, w[0])
        refused = _refused_channels(c_in, c_out, _size_value(ctx, w[1]), groups, _shown(ctx, x), _shown(ctx, w))
        if refused:
            return _mismatch(ctx, site, refused)
        if c_in is None or c_out is None or _differ(ctx, mul_known(_size_value(ctx, w[1]), groups), c_in) or c_out % groups:
            return UNKNOWN  # torch rejects it, or shapelint cannot tell: no shape
        spatial = x[-n:]
        if padding == "valid":
            padding = (0,) * n
        if padding == "same":
            out = tuple(spatial)
        elif isinstance(padding, str):
            return UNKNOWN
        else:
            note_zero_symbols(ctx, padding, kernel + stride + dilation)
            out = tuple(conv_size(L, k, s, p, d).value for L, k, s, p, d in zip(spatial, kernel, stride, padding, dilation))
        if any(is_known(o) and o <= 0 for o in out):
            return UNKNOWN
        return Tensor(((x[0],) if batched else ()) + (w[0],) + out)

    return conv


def _shown(ctx, dims) -> str:
    return shape_text([ctx.show(d) for d in dims])


def _refused_channels(c_in, c_out, w_in, groups, x, w) -> str:
    """Why torch refuses a weight for this input, with every size known (a modulated conv that
    forgets `groups=batch`); "" when it does not, or when a size is not known."""
    if not all(isinstance(v, int) for v in (c_in, c_out, w_in)):
        return ""
    if c_out % groups:
        return f"the weight {w} has {c_out} output channels, not divisible by groups={groups}"
    if w_in * groups != c_in:
        return (f"the weight {w} with groups={groups} takes {w_in * groups} input channels, "
                f"but the input {x} has {c_in}")
    return ""


def mul_known(a, b):
    return a * b if isinstance(a, int) and isinstance(b, int) else object()  # an unknown product never equals a size


def _affine_grid(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["theta", "size", "align_corners"], {"align_corners": None})
    if b is None or not isinstance(b["theta"], Tensor) or b["theta"].shape is None:
        return UNKNOWN
    size = b["size"]
    if not isinstance(size, (tuple, list)) or len(size) not in (4, 5):
        return UNKNOWN
    d = len(size) - 2  # 2: (N, 2, 3) -> (N, H, W, 2); 3: (N, 3, 4) -> (N, D, H, W, 3)
    theta = b["theta"].shape
    if len(theta) != 3 or _differ(ctx, theta[0], size[0]) or tuple(theta[1:]) != (d, d + 1):
        return UNKNOWN
    return Tensor((size[0],) + tuple(size[2:]) + (d,))


def _grid_sample(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "grid", "mode", "padding_mode", "align_corners"],
             {"mode": "bilinear", "padding_mode": "zeros", "align_corners": None})
    if b is None or not isinstance(b["input"], Tensor) or not isinstance(b["grid"], Tensor):
        return UNKNOWN
    x, g = b["input"].shape, b["grid"].shape
    if x is None or g is None or len(x) not in (4, 5) or len(g) != len(x):
        return UNKNOWN
    if _differ(ctx, x[0], g[0]) or g[-1] != len(x) - 2:
        return UNKNOWN
    return Tensor(tuple(x[:2]) + tuple(g[1:-1]))


_TRANSPOSED_ARGS = ["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"]


def _conv_transpose(n: int):
    """F.conv_transpose{n}d: weight (in, out / groups, *k); out = (L - 1) * s - 2p + d * (k - 1) + op + 1.
    Unknown where torch would refuse it (in-channels that differ, output_padding not below stride or
    dilation) or shapelint cannot tell."""
    def conv(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), _TRANSPOSED_ARGS,
                 {"bias": None, "stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1})
        if b is None or not _shaped(b["weight"], n + 2) or not isinstance(b["input"], Tensor) or b["input"].shape is None:
            return UNKNOWN
        x, w = b["input"].shape, b["weight"].shape
        groups = _size_value(ctx, b["groups"]) if not isinstance(b["groups"], bool) else None
        batched = len(x) == n + 2
        if not (batched or len(x) == n + 1) or not isinstance(groups, int) or groups < 1:
            return UNKNOWN
        stride, dilation = size_tuple(b["stride"], n), size_tuple(b["dilation"], n)
        padding, extra = size_tuple(b["padding"], n), size_tuple(b["output_padding"], n)
        kernel = tuple(w[2:])
        if None in (stride, dilation, padding, extra) or not all(is_size(k) for k in kernel + stride + dilation + padding + extra):
            return UNKNOWN
        if not all(isinstance(v, int) for v in stride + dilation + padding + extra):
            return UNKNOWN
        if below(stride + dilation, 1) or below(padding + extra, 0) or any(o >= max(s, d) for o, s, d in zip(extra, stride, dilation)):
            return UNKNOWN  # torch rejects it
        c_in, per_group = _size_value(ctx, x[1 if batched else 0]), _size_value(ctx, w[1])
        if c_in is None or per_group is None or _differ(ctx, _size_value(ctx, w[0]), c_in) or c_in % groups:
            return UNKNOWN
        out = tuple(conv_transpose_size(L, k, s, p, d, o).value
                    for L, k, s, p, d, o in zip(x[-n:], kernel, stride, padding, dilation, extra))
        if any(is_known(o) and o <= 0 for o in out):
            return UNKNOWN
        return Tensor(((x[0],) if batched else ()) + (per_group * groups,) + out)

    return conv


for _n in (1, 2, 3):
    FUNCTIONAL[f"conv{_n}d"] = _conv(_n)
    FUNCTIONAL[f"conv_transpose{_n}d"] = _conv_transpose(_n)
FUNCTIONAL["affine_grid"] = _affine_grid
FUNCTIONAL["grid_sample"] = _grid_sample
