"""More of torch's tensor ops, with torch's shape rules: var_mean/std_mean, order statistics along a dim (median,
nanmedian, kthvalue, mode: (values, indices) with the dim removed or kept; cummax/cummin: of the
input's shape), ravel, addcmul/addcdiv (three operands broadcast), broadcast_tensors,
atleast_1d/2d/3d and diag_embed. Each case was compared with torch (tests/test_order_statistics.py);
a case not covered is unknown, a finding only where torch certainly raises.

Registered into the tables of `functions` when imported (`torch.names` imports it).
"""

from __future__ import annotations

from ..core.symbolic import add
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import _REDUCE_SIGNATURES, METHODS, TORCH, ValuesIndices, _reduce
from .kernels import bind
from .sequence_ops import _dim, _int, _tensor, broadcast_dims
from .window_sizes import is_size



def _indexed(values: Tensor) -> ValuesIndices:
    return ValuesIndices((values, Tensor(values.shape, values.prov, dtype="long")))


def _order_statistic(names, defaults):
    """median / nanmedian / mode / kthvalue along `dim` (values, indices); median() of the whole
    tensor is a 0-d tensor (mode's dim defaults to -1)."""
    def op(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), names, defaults)
        if b is None or not _tensor(b["input"]) or not isinstance(b.get("keepdim", False), bool):
            return UNKNOWN
        x = b["input"]
        if "k" in b and (not _int(b["k"]) or b["k"] < 1):
            return UNKNOWN
        if b["dim"] is None:
            return Tensor(()) if "k" not in b else UNKNOWN
        if not _int(b["dim"]) or not x.shape:
            return UNKNOWN
        out = _reduce(ctx, site, (x, b["dim"], b["keepdim"]), {})
        return _indexed(out) if isinstance(out, Tensor) else out

    return op


_MEDIAN = _order_statistic(["input", "dim", "keepdim"], {"dim": None, "keepdim": False})
for _name in ("median", "nanmedian"):
    TORCH[_name] = METHODS[_name] = _MEDIAN
TORCH["mode"] = METHODS["mode"] = _order_statistic(["input", "dim", "keepdim"], {"dim": -1, "keepdim": False})
TORCH["kthvalue"] = METHODS["kthvalue"] = _order_statistic(["input", "k", "dim", "keepdim"], {"dim": -1, "keepdim": False})


_REDUCE_SIGNATURES["var_mean"] = _REDUCE_SIGNATURES["std_mean"] = _REDUCE_SIGNATURES["std"]


def _reduce_pair(ctx, site, args, kwargs):
    """torch.var_mean / torch.std_mean: a plain tuple (var or std, mean) of the reduced shape (no method)."""
    out = _reduce(ctx, site, args, kwargs)
    return (out, Tensor(out.shape, out.prov)) if isinstance(out, Tensor) else out


TORCH["var_mean"] = TORCH["std_mean"] = _reduce_pair


def _cumulative_extreme(ctx, site, args, kwargs):
    """cummax / cummin(input, dim): (values, indices), each of the input's shape."""
    b = bind(list(args), dict(kwargs), ["input", "dim"], {})
    if b is None or not _tensor(b["input"]) or not _int(b["dim"]):
        return UNKNOWN
    x = b["input"]
    if isinstance(_dim(ctx, site, x, b["dim"]), Unknown) and x.shape:
        return UNKNOWN
    return _indexed(Tensor(x.shape, x.prov, dtype=x.dtype))


for _name in ("cummax", "cummin"):
    TORCH[_name] = METHODS[_name] = _cumulative_extreme


def _ravel(ctx, site, args, kwargs):
    """ravel(): one dim, the product of the sizes."""
    b = bind(list(args), dict(kwargs), ["input"], {})
    if b is None or not _tensor(b["input"]):
        return UNKNOWN
    return METHODS["flatten"](ctx, site, (b["input"],), {})


TORCH["ravel"] = METHODS["ravel"] = _ravel


# tensor_split: torch/split_sample_ops.py


def _addc(ctx, site, args, kwargs):
    """addcmul / addcdiv(input, tensor1, tensor2, value=1): the three broadcast together."""
    b = bind(list(args), dict(kwargs), ["input", "tensor1", "tensor2"], {})
    if b is None:
        kw = {k: v for k, v in kwargs.items() if k != "value"}
        b = bind(list(args), kw, ["input", "tensor1", "tensor2"], {})
    if b is None or not all(_tensor(v) for v in b.values()):
        return UNKNOWN
    shape = broadcast_dims(ctx, site, [v.shape for v in b.values()])
    if not isinstance(shape, tuple):
        return shape if isinstance(shape, Unknown) else UNKNOWN
    return Tensor(shape, dtype=b["input"].dtype)


for _name in ("addcmul", "addcdiv"):
    TORCH[_name] = METHODS[_name] = _addc


def _broadcast_tensors(ctx, site, args, kwargs):
    if kwargs or not args or not all(_tensor(a) for a in args):
        return UNKNOWN
    shape = broadcast_dims(ctx, site, [a.shape for a in args])
    if not isinstance(shape, tuple):
        return shape if isinstance(shape, Unknown) else UNKNOWN
    return tuple(Tensor(shape, dtype=a.dtype) for a in args)


TORCH["broadcast_tensors"] = _broadcast_tensors


def _atleast(rank: int):
    """atleast_{1,2,3}d: a 0-d tensor is (1,)*rank; 1-d (n,) is (1, n) / (1, n, 1); 2-d (a, b) is (a, b, 1)."""
    def op(ctx, site, args, kwargs):
        if kwargs or len(args) != 1 or not _tensor(args[0]):
            return UNKNOWN
        x = args[0]
        s = tuple(x.shape)
        if len(s) >= rank:
            return x
        if rank == 1:
            out = (1,)
        elif rank == 2:
            out = (1,) + s if s else (1, 1)
        else:
            out = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)]
        return Tensor(out, dtype=x.dtype)

    return op


for _r in (1, 2, 3):
    TORCH[f"atleast_{_r}d"] = _atleast(_r)


def _diag_embed(ctx, site, args, kwargs):
    """diag_embed(input, offset=0, dim1=-2, dim2=-1) with the default dims: (*, n) -> (*, n + |offset|, n + |offset|)."""
    b = bind(list(args), dict(kwargs), ["input", "offset", "dim1", "dim2"], {"offset": 0, "dim1": -2, "dim2": -1})
    if b is None or not _tensor(b["input"]) or not b["input"].shape or (b["dim1"], b["dim2"]) != (-2, -1) or not _int(b["offset"]):
        return UNKNOWN
    x = b["input"]
    last = x.shape[-1]
    if not is_size(last):
        return UNKNOWN
    n = add(last, abs(b["offset"]))
    return Tensor(tuple(x.shape[:-1]) + (n, n), dtype=x.dtype)


TORCH["diag_embed"] = METHODS["diag_embed"] = _diag_embed
