"""Layers that rearrange or normalise channels, with torch's rules: nn.PixelUnshuffle (space to
depth), nn.ChannelShuffle, nn.LocalResponseNorm, nn.SyncBatchNorm (BatchNorm over any rank from 2)
and nn.LPPool1d/2d/3d (a power-average pool: the pool formula without padding). Each was compared
with torch (tests/test_layers_vs_torch.py's grid). A size torch refuses that shapelint knows is
reported; one it cannot tell gives an unknown size.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import exact_div, is_known, mul
from ..core.values import Tensor, Unknown
from .kernels import ok_equal, pool_core, rank_error
from .sequence_ops import concrete
from .spec import REQUIRED as _REQUIRED, LayerSpec


def _shape(x):
    return x.shape if isinstance(x, Tensor) else None


def _mismatch(ctx, m, detail: str) -> Unknown:
    ctx.report(R.ShapeMismatch.finding(m.node, module=m.name, op=m.label(), detail=detail))
    return Unknown("shape mismatch")


def pixel_unshuffle_forward(ctx, m, x):
    """(*, C, H, W) -> (*, C * r * r, H / r, W / r); torch raises unless r divides H and W."""
    r, shape = m.params.get("downscale_factor"), _shape(x)
    if shape is None or not is_known(r) or not isinstance(r, int) or r < 1:
        return Unknown("pixel unshuffle of an unknown shape or factor")
    if len(shape) < 3:
        return rank_error(ctx, m, x, "at least 3-D", "a PixelUnshuffle reads (*, C, H, W)")
    c, h, w = shape[-3:]
    out = []
    for axis, size in (("height", h), ("width", w)):
        n = concrete(ctx, size)
        if n is not None and n % r:
            return _mismatch(ctx, m, f"{axis} {n} is not divisible by downscale_factor={r}")
        q = n // r if n is not None else exact_div(size, r)
        if q is None:
            return Unknown("a spatial size not certainly divisible by the factor")
        out.append(q)
    return Tensor(shape[:-3] + (mul(c, r * r), out[0], out[1]))


def channel_shuffle_forward(ctx, m, x):
    """The input's shape (N, C, *); torch raises unless groups divides C."""
    g, shape = m.params.get("groups"), _shape(x)
    if shape is None or not isinstance(g, int) or g < 1:
        return Unknown("channel shuffle of an unknown shape or group count")
    if len(shape) < 3:
        return rank_error(ctx, m, x, "at least 3-D", "a ChannelShuffle reads (N, C, *)")
    c = concrete(ctx, shape[1])
    if c is not None and c % g:
        return _mismatch(ctx, m, f"channels {c} are not divisible by groups={g}")
    return Tensor(shape, x.prov) if c is not None or exact_div(shape[1], g) is not None else Unknown("channels vs groups")


def local_response_norm_forward(ctx, m, x):
    shape = _shape(x)
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) < 3:
        return rank_error(ctx, m, x, "at least 3-D", "a LocalResponseNorm reads (N, C, *)")
    return Tensor(shape, x.prov)


def sync_batchnorm_forward(ctx, m, x):
    """BatchNorm over (N, C, *): any rank from 2; C must be num_features."""
    shape, nf = _shape(x), m.params.get("num_features")
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) < 2:
        return rank_error(ctx, m, x, "at least 2-D", "a SyncBatchNorm reads (N, C, *)")
    if is_known(nf) and not ok_equal(ctx, shape[1], nf, f"{m.label()} num_features"):
        return _mismatch(ctx, m, f"expected {nf} channels (num_features) but the input has {shape[1]}")
    return Tensor(shape, x.prov)


def make_lppool_forward(n: int):
    def forward(ctx, m, x):
        p = m.params
        return pool_core(ctx, m, x, n, p.get("kernel_size"), p.get("stride"), 0, 1, p.get("ceil_mode", False), m.kind)
    return forward


_BN = (("num_features", _REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True),
       ("process_group", None), ("device", None), ("dtype", None), ("bias", True))

LAYERS = {
    "PixelUnshuffle": LayerSpec("PixelUnshuffle", (("downscale_factor", _REQUIRED),), pixel_unshuffle_forward),
    "ChannelShuffle": LayerSpec("ChannelShuffle", (("groups", _REQUIRED),), channel_shuffle_forward),
    "LocalResponseNorm": LayerSpec("LocalResponseNorm", (("size", _REQUIRED), ("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)),
                                   local_response_norm_forward),
    "SyncBatchNorm": LayerSpec("SyncBatchNorm", _BN, sync_batchnorm_forward),
}
for _n in (1, 2, 3):
    LAYERS[f"LPPool{_n}d"] = LayerSpec(f"LPPool{_n}d", (("norm_type", _REQUIRED), ("kernel_size", _REQUIRED), ("stride", None),
                                                        ("ceil_mode", False)), make_lppool_forward(_n), dims=_n)
