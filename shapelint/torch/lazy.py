"""The Lazy* layers: an eager layer whose first size (in_channels, in_features, num_features)
torch takes from the first call's input (`LazyModuleMixin.initialize_parameters`).

Each lazy entry is its eager twin's signature less that first parameter, and a forward
that reads the size from the input where torch reads it, then runs the eager rule (its
checks included: LazyConv2d(8, 3, groups=2) on 3 channels raises at the first call).
"""

from __future__ import annotations

from typing import Dict, Optional

from ..core.symbolic import Expr
from ..core.values import ModuleValue, Unknown
from .kernels import input_shape, spatial_symbols
from .params import Counts, formula_counts
from .spec import LayerSpec


def _conv_channels(shape, n):
    # torch: in_channels = input.shape[0] unbatched, [1] batched; other ranks fail in the eager rule
    return shape[len(shape) - n - 1] if len(shape) in (n + 1, n + 2) else None


def _last(shape, n):
    return shape[-1] if shape else None


def _second(shape, n):  # torch's _LazyNormBase: num_features = input.shape[1]
    return shape[1] if len(shape) > 1 else None


# lazy layer -> (its eager layer, the parameter the input gives, where the input gives it)
_TWINS = {"LazyLinear": ("Linear", "in_features", _last)}
for _n in (1, 2, 3):
    _TWINS[f"LazyConv{_n}d"] = (f"Conv{_n}d", "in_channels", _conv_channels)
    _TWINS[f"LazyConvTranspose{_n}d"] = (f"ConvTranspose{_n}d", "in_channels", _conv_channels)
    _TWINS[f"LazyBatchNorm{_n}d"] = (f"BatchNorm{_n}d", "num_features", _second)
    _TWINS[f"LazyInstanceNorm{_n}d"] = (f"InstanceNorm{_n}d", "num_features", _second)  # shape[1] even unbatched

# torch's LazyInstanceNorm*d default to affine=True, track_running_stats=True (the eager ones do not)
_DEFAULTS = {f"LazyInstanceNorm{_n}d": {"affine": True, "track_running_stats": True} for _n in (1, 2, 3)}


_BN_DIMS = {"BatchNorm2d": 2, "BatchNorm3d": 3}  # their table entries carry ranks, not dims


def _guess(ctx, m, eager: LayerSpec):
    """A pending model input read first by a lazy layer: its channels are a symbol of their own."""
    if eager.name == "Linear":
        ctx.assume_rank()  # (B, F) is a guess: the input may have more dims
        return (ctx.batch, ctx.input_symbol("F")), (None, None)
    n = eager.dims or _BN_DIMS.get(eager.name)
    if not n:  # BatchNorm1d reads (N, C) or (N, C, L): the rank is not known
        return None
    return (ctx.batch, ctx.input_symbol("C")) + spatial_symbols(ctx, n), (None,) * (n + 2)


def _make_forward(eager: LayerSpec, param: str, where):
    def forward(ctx, m, x):
        shape = input_shape(ctx, m, x, lambda: _guess(ctx, m, eager))
        if shape is None:
            return Unknown("a lazy layer's input shape is unknown")
        size = where(shape, eager.dims)
        m.lazy_sizes.add(size if isinstance(size, int) else None)
        m.params[param] = size if size is not None else Expr.opaque("lazy")
        try:
            if eager.check is not None:
                eager.check(ctx, m)
                if m.invalid:
                    return Unknown("torch rejects this layer at its first call")
            return eager.forward(ctx, m, x)
        finally:
            del m.params[param]  # the next call reads its own input's size again

    return forward


def lazy_layers(layers: Dict[str, LayerSpec]) -> Dict[str, LayerSpec]:
    out = {}
    for name, (eager_name, param, where) in _TWINS.items():
        eager = layers[eager_name]
        defaults = _DEFAULTS.get(name, {})
        params = tuple((p, defaults.get(p, d)) for p, d in eager.params if p != param)
        out[name] = LayerSpec(name, params, _make_forward(eager, param, where), dims=eager.dims)
    return out


def first_call_counts(m: ModuleValue) -> Optional[Counts]:
    """A Lazy* layer's tensors once its first call has run (torch's count after one forward):
    its eager twin's formula with the size its calls read, when every call read the same known
    size. None when it was never called, or a size is unknown."""
    twin = _TWINS.get(m.kind)
    if twin is None or m.spec is None or m.cls is not None or m.attrs or len(m.lazy_sizes) != 1:
        return None
    size = next(iter(m.lazy_sizes))
    if size is None:
        return None
    eager_name, param, _where = twin
    eager = ModuleValue(eager_name, m.node, m.spec)
    eager.params = {**m.params, param: size}
    return formula_counts(eager)
