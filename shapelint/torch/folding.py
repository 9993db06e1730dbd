"""`F.one_hot`, and sliding blocks: `F.unfold` / `nn.Unfold`, `F.fold` / `nn.Fold` (issue 11.1), `Tensor.unfold`.

torch's rules (aten's Im2Col / Col2Im): unfold reads (N, C, H, W) or unbatched (C, H, W)
and gives (N, C * kh * kw, L), L the product over the two spatial dims of
floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1, which must be
positive. fold reads (N, C * kh * kw, L) or (C * kh * kw, L): its dim -2 must divide by
kh * kw, and L must be the block count of output_size; it gives (N, C, *output_size).
Anything not plainly known (a symbolic size, an odd argument) is Unknown.
"""

from __future__ import annotations

from ..core.symbolic import Expr, is_known, mul
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL, METHODS
from .kernels import bind, rank_error
from .sequence_ops import _int, _mismatch, concrete
from .spec import REQUIRED, LayerSpec, Site


def _pair(v):
    if _int(v):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(_int(e) for e in v):
        return tuple(v)
    return None


def _args(p: dict, names):
    values = [_pair(p.get(n, d)) for n, d in names]
    return None if any(v is None for v in values) else values


def _blocks(ctx, site, sizes, k, d, pad, s, what: str):
    """The block count of each spatial dim; None (and reported) when torch raises."""
    if any(v <= 0 for v in k + d + s) or any(v < 0 for v in pad):
        return _mismatch(ctx, site, f"kernel_size {k}, dilation {d} and stride {s} must be positive and padding {pad} "
                                    "non-negative: torch raises")
    out = []
    for size, kk, dd, pp, ss in zip(sizes, k, d, pad, s):
        n = (size + 2 * pp - dd * (kk - 1) - 1) // ss + 1
        out.append(n)
    if any(n < 1 for n in out):
        return _mismatch(ctx, site, f"the sliding blocks of {what} {tuple(sizes)} with kernel_size {k}, dilation {d}, "
                                    f"padding {pad} and stride {s} number {out[0]} x {out[1]}: torch needs at least one")
    return out


_UNFOLD = (("kernel_size", REQUIRED), ("dilation", 1), ("padding", 0), ("stride", 1))
_FOLD = (("output_size", REQUIRED),) + _UNFOLD


def unfold_forward(ctx, m, x):
    args = _args(m.params, _UNFOLD)
    if args is None or x.shape is None:
        return Unknown("unfold arguments")
    k, d, pad, s = args
    shape = x.shape
    if len(shape) not in (3, 4):
        return rank_error(ctx, m, x, "3-D (unbatched) or 4-D (batched)", "unfold reads (N, C, H, W) or (C, H, W)")
    *lead, c, h, w = shape
    h, w = concrete(ctx, h), concrete(ctx, w)
    if h is None or w is None:
        return Unknown("unfold of symbolic sizes")
    blocks = _blocks(ctx, m, (h, w), k, d, pad, s, "input")
    if isinstance(blocks, Unknown):
        return blocks
    channels = mul(c, k[0] * k[1]) if is_known(c) or isinstance(c, Expr) else Expr.opaque("c")
    return Tensor(tuple(lead) + (channels, blocks[0] * blocks[1]))


def fold_forward(ctx, m, x):
    args = _args(m.params, _FOLD)
    if args is None or x.shape is None:
        return Unknown("fold arguments")
    out_size, k, d, pad, s = args
    shape = x.shape
    if len(shape) not in (2, 3):
        return rank_error(ctx, m, x, "2-D (unbatched) or 3-D (batched)", "fold reads (N, C * prod(kernel_size), L) or (C * prod(kernel_size), L)")
    *lead, ck, length = shape
    ck, length = concrete(ctx, ck), concrete(ctx, length)
    if ck is None:
        return Unknown("fold of a symbolic channel count")
    if ck % (k[0] * k[1]):
        return _mismatch(ctx, m, f"dim -2 of the input is {ck}, which kernel_size {k} (product {k[0] * k[1]}) does not divide")
    blocks = _blocks(ctx, m, out_size, k, d, pad, s, "output_size")
    if isinstance(blocks, Unknown):
        return blocks
    if length is not None and length != blocks[0] * blocks[1]:
        return _mismatch(ctx, m, f"the input has {length} blocks (dim -1) but output_size {out_size} with kernel_size {k}, "
                                 f"dilation {d}, padding {pad} and stride {s} gives {blocks[0]} x {blocks[1]} = {blocks[0] * blocks[1]}")
    if length is None:
        return Unknown("fold of a symbolic block count")
    return Tensor(tuple(lead) + (ck // (k[0] * k[1]),) + tuple(out_size))


def _functional(names, forward):
    def op(ctx, site, args, kwargs):
        b = bind(list(args), dict(kwargs), ["input"] + [n for n, _ in names], {n: v for n, v in names if v is not REQUIRED})
        if b is None or not isinstance(b["input"], Tensor):
            return UNKNOWN
        x = b.pop("input")
        return forward(ctx, Site(site.label(), site.node, params=b), x)

    return op


def _one_hot(ctx, site, args, kwargs):
    """F.one_hot(t, num_classes=-1): t's shape and num_classes; -1 (the largest value + 1) is unknown."""
    b = bind(list(args), dict(kwargs), ["input", "num_classes"], {"num_classes": -1})
    if b is None or not isinstance(b["input"], Tensor) or b["input"].shape is None:
        return UNKNOWN
    x, n = b["input"], b["num_classes"]
    if isinstance(n, Expr) and not n.is_opaque() and x.dtype in (None, "long"):
        return Tensor(tuple(x.shape) + (n,), dtype="long")  # a class count computed from sizes (an MoE capacity)
    if x.dtype not in (None, "long") or not _int(n) or n < -1 or n == 0:
        return Unknown("one_hot")  # torch raises for a tensor that is not long; not modelled
    return Tensor(tuple(x.shape) + (Expr.opaque("classes") if n == -1 else n,), dtype="long")


FUNCTIONAL["one_hot"] = _one_hot  # torch.nn.functional only: torch has no `torch.one_hot`
FUNCTIONAL["unfold"] = _functional(_UNFOLD, unfold_forward)
FUNCTIONAL["fold"] = _functional(_FOLD, fold_forward)

LAYERS = {
    "Unfold": LayerSpec("Unfold", _UNFOLD, unfold_forward),
    "Fold": LayerSpec("Fold", _FOLD, fold_forward),
}


def _tensor_unfold(ctx, site, args, kwargs):
    """`x.unfold(dimension, size, step)`: every window of `size` along `dimension`, `step` apart
    (patch extraction): that dim becomes the window count (n - size) // step + 1 and `size` is
    appended. torch raises for a window longer than the dim or a step below 1: unknown here."""
    b = bind(list(args[1:]), dict(kwargs), ["dimension", "size", "step"], {})
    x = args[0]
    if b is None or not isinstance(x, Tensor) or x.shape is None or not x.shape:
        return UNKNOWN
    dim, size, step = b["dimension"], b["size"], b["step"]
    rank = len(x.shape)
    if not (_int(dim) and _int(size) and _int(step)) or not -rank <= dim < rank or size < 1 or step < 1:
        return Unknown("Tensor.unfold")
    dim %= rank
    n = x.shape[dim]
    if not (isinstance(n, int) and n >= size):
        return Unknown("Tensor.unfold of a dim that may be shorter than the window")
    shape = list(x.shape)
    shape[dim] = (n - size) // step + 1
    return Tensor(tuple(shape) + (size,))


METHODS["unfold"] = _tensor_unfold
