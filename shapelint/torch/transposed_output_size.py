"""`convT(x, output_size=...)`: a transposed convolution told its output size, as torch resolves it.

torch computes the output padding that reaches the requested size: each requested spatial size
must lie in [min, min + stride - 1], min being the size with output_padding 0 (else it raises
ValueError); the module's own output_padding is then not used. The size may be given with or
without the batch and channel dims (the last n are taken). Before, the argument was ignored and
the output stated with the module's output_padding: (2, 6, 9, 9) where torch gives (2, 6, 10, 10).
"""

from __future__ import annotations

from ..core.symbolic import add, is_known
from ..core.values import Tensor, Unknown
from .window_sizes import conv_transpose_size, size_tuple


def _requested(args, kwargs):
    if "output_size" in kwargs:
        return kwargs["output_size"]
    return args[1] if len(args) > 1 else None


def after(ctx, m, args, kwargs, node, out):
    size = _requested(args, kwargs)
    if size is None or not isinstance(out, Tensor) or out.shape is None:
        return out
    n = m.spec.dims
    if not isinstance(size, (tuple, list)) or len(size) not in (n, n + 2) or not all(is_known(v) for v in size[-n:]):
        return Unknown("a transposed convolution's output_size shapelint cannot read")
    want = tuple(size[-n:])  # (`skip.size()`: its batch and channels are not read)
    x = args[0] if args else kwargs.get("input")
    p = m.params
    k, s, pad, d = (size_tuple(p.get(a, dflt), n) for a, dflt in (("kernel_size", None), ("stride", 1), ("padding", 0), ("dilation", 1)))
    if not isinstance(x, Tensor) or x.shape is None or None in (k, s, pad, d):
        return Unknown("a transposed convolution's output_size")
    for L, ki, si, pi, di, w in zip(x.shape[-n:], k, s, pad, d, want):
        low = conv_transpose_size(L, ki, si, pi, di, 0).value
        if not (is_known(low) and is_known(si)):
            return Unknown("a transposed convolution's output_size over a symbolic size")
        if not low <= w <= add(low, si - 1):
            return Unknown("an output_size torch refuses (ValueError)")
    return Tensor(out.shape[:-n] + want, out.prov[:-n] + (None,) * n)
