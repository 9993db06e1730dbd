"""A torch layer's attributes as its constructor stores them, where that differs from the argument.

`nn.Conv2d(3, 8, 3, stride=2).stride` is `(2, 2)`, not `2`; `nn.LayerNorm(8).normalized_shape`
is `(8,)`; `nn.Upsample(scale_factor=2).scale_factor` is `2.0`; `nn.ZeroPad2d(1).padding` is
`(1, 1, 1, 1)`. Reading the argument instead gives a wrong value (`conv.stride == 2` is False in
torch; `conv.kernel_size == (3, 3)` is True). Each entry was read from torch itself
(tests/test_layer_attributes.py constructs every case and compares).
"""

from __future__ import annotations

from ..core.values import Tensor, Unknown

_NOT_KNOWN = object()


def _ntuple(n: int):
    def convert(v):
        if isinstance(v, (list, tuple)):
            return tuple(v)
        if isinstance(v, str) or v is None:
            return v
        return (v,) * n
    return convert


def _padding(n: int):
    """A padding layer's int becomes the 2n-tuple torch pads with; a sequence is kept as a tuple."""
    def convert(v):
        return tuple(v) if isinstance(v, (list, tuple)) else (v,) * (2 * n)
    return convert


def _float_factor(v):
    if isinstance(v, (list, tuple)):
        return tuple(float(f) if isinstance(f, (int, float)) else _NOT_KNOWN for f in v)
    if v is None:
        return None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _NOT_KNOWN


def _shape(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


_TABLE = {}
for _n in (1, 2, 3):
    for _k in (f"Conv{_n}d", f"ConvTranspose{_n}d", f"LazyConv{_n}d", f"LazyConvTranspose{_n}d"):
        for _a in ("kernel_size", "stride", "padding", "dilation") + (("output_padding",) if "Transpose" in _k else ()):
            _TABLE[(_k, _a)] = _ntuple(_n)
    for _a in ("kernel_size", "stride", "padding"):
        _TABLE[(f"MaxUnpool{_n}d", _a)] = _ntuple(_n)
    for _k in ("ReflectionPad", "ReplicationPad", "ZeroPad", "ConstantPad", "CircularPad"):
        _TABLE[(f"{_k}{_n}d", "padding")] = _padding(_n)
for _n in (2, 3):
    for _a in ("kernel_size", "output_size"):
        _TABLE[(f"FractionalMaxPool{_n}d", _a)] = _ntuple(_n)
for _k in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
    _TABLE[(_k, "scale_factor")] = _float_factor
for _k in ("LayerNorm", "RMSNorm"):
    _TABLE[(_k, "normalized_shape")] = _shape


def _mha_kdim(p):
    return p.get("kdim") if p.get("kdim") is not None else p.get("embed_dim")


def _mha_vdim(p):
    return p.get("vdim") if p.get("vdim") is not None else p.get("embed_dim")


def _mha_head_dim(p):
    e, h = p.get("embed_dim"), p.get("num_heads")
    return e // h if isinstance(e, int) and isinstance(h, int) and h > 0 and not isinstance(e, bool) else _NOT_KNOWN


# attributes torch's constructor derives from its arguments: (kind, name) -> function of the arguments
DERIVED = {
    ("MultiheadAttention", "kdim"): _mha_kdim,
    ("MultiheadAttention", "vdim"): _mha_vdim,
    ("MultiheadAttention", "head_dim"): _mha_head_dim,
}


def _running_stat(p):
    n, track = p.get("num_features"), p.get("track_running_stats")
    if not isinstance(track, bool) or not isinstance(n, int) or isinstance(n, bool):
        return _NOT_KNOWN
    return Tensor((n,)) if track else None


def _batches_tracked(p):
    track = p.get("track_running_stats")
    return _NOT_KNOWN if not isinstance(track, bool) else Tensor((), dtype="long") if track else None


for _n in (1, 2, 3, None):
    for _k, _default in (((f"BatchNorm{_n}d", True), (f"InstanceNorm{_n}d", False)) if _n else (("SyncBatchNorm", True),)):
        # a norm layer's running statistics (buffers: a fresh tensor of their shape at each read)
        DERIVED[(_k, "running_mean")] = DERIVED[(_k, "running_var")] = (
            lambda p, d=_default: _running_stat({"track_running_stats": d, **p}))
        DERIVED[(_k, "num_batches_tracked")] = lambda p, d=_default: _batches_tracked({"track_running_stats": d, **p})


def derived(kind: str, name: str, params: dict):
    """`layer.name` that torch computes from the arguments (an MHA's head_dim); None when not in the table."""
    fn = DERIVED.get((kind, name))
    if fn is None:
        return None
    out = fn(params)
    return Unknown(f"{kind}.{name} of arguments shapelint does not know") if out is _NOT_KNOWN or isinstance(out, Unknown) else out


def stored(kind: str, name: str, value):
    """The value `layer.name` holds in torch, given the constructor's argument `value`."""
    convert = _TABLE.get((kind, name))
    if convert is None or isinstance(value, Unknown):
        return value
    out = convert(value)
    if out is _NOT_KNOWN or (isinstance(out, tuple) and any(v is _NOT_KNOWN for v in out)):
        return Unknown(f"{kind}.{name} as torch stores it")
    return out
