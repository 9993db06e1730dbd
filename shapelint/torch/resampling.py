"""Sizes made by resampling: interpolation (`F.interpolate`, `nn.Upsample`) and padding
(`F.pad`, the padding layers), with torch's rules; a symbolic size or pad is kept as the
expression it is (U-Net's `F.pad(x1, [diffX // 2, ...])` of two maps' sizes)."""

from __future__ import annotations

from ..core.findings import At
from ..core.symbolic import Expr, add, is_known, mul
from ..core.values import Origin, Tensor, Unknown
from .kernels import made_by, ntuple, rank_error


def upsample_core(ctx, site, x, size, scale_factor):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    n = len(shape) - 2
    if n not in (1, 2, 3):
        return rank_error(ctx, site, x, "3-D, 4-D or 5-D", "interpolation reads (N, C, spatial...)")
    outs = []
    if size is not None:
        sz = ntuple(size, n) if not _size_expr(size) else (size,) * n  # a symbol: engine/symbolic_init.py
        if sz is None and isinstance(size, (tuple, list)) and len(size) == n and all(is_known(v) or _size_expr(v) for v in size):
            sz = tuple(size)
        if sz is None:
            return Tensor(shape[:2] + tuple(Expr.opaque("up") for _ in range(n)))
        outs = list(sz)
    elif scale_factor is not None:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * n
        if len(sf) != n:
            return Unknown("scale_factor")
        for L, f in zip(shape[2:], sf):
            if isinstance(f, (int, float)) and not isinstance(f, bool) and float(f).is_integer():
                outs.append(mul(L, int(f)))
            elif isinstance(f, float) and is_known(L):
                outs.append(int(L * f))  # torch: floor(input_size * scale_factor) in double
            else:
                outs.append(Expr.opaque("up"))
    else:
        return Unknown("interpolate without size or scale_factor")
    prov = x.prov[:2] + tuple(made_by(site, "output") for _ in range(n))
    return Tensor(shape[:2] + tuple(outs), prov)


def _size_expr(v) -> bool:
    return isinstance(v, Expr) and not v.is_opaque()


def pad_core(ctx, site, x, pads):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    # symbolic pads too: U-Net's F.pad(x1, [diffX // 2, diffX - diffX // 2, ...]) of two maps' sizes
    if not isinstance(pads, (tuple, list)) or not all(is_known(v) or _size_expr(v) for v in pads) or len(pads) % 2:
        return Unknown("padding")
    shape, prov = list(shape), list(x.prov) if len(x.prov) == len(shape) else [None] * len(shape)
    for i in range(len(pads) // 2):
        j = len(shape) - 1 - i
        if j < 0:
            return Unknown("padding")
        shape[j] = add(shape[j], add(pads[2 * i], pads[2 * i + 1]))
        if pads[2 * i] != 0 or pads[2 * i + 1] != 0:  # a padded size comes from the padding, not from x
            prov[j] = Origin(f"{site.label()} at ", At(site.node))
    return Tensor(tuple(shape), tuple(prov))
