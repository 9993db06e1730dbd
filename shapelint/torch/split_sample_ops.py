"""Splitting by sections and sampling, as language-model code uses them (torch 2.13 semantics);
registered into the tables of `functions` when imported.

- torch.tensor_split(input, indices_or_sections, dim=0) / x.tensor_split: an int n gives n pieces,
  the first `size % n` of them one longer (torch raises for n < 1); a list or tuple of indices cuts
  like `x[:i0]`, `x[i0:i1]`, ..., `x[ik:]` (Python's slice rules, so an index past the end gives
  an empty piece). Only a known size along dim is split.
- torch.multinomial(input, num_samples, replacement=False): one row of samples per row of a 1-D or
  2-D input, a long tensor (num_samples,) or (rows, num_samples); torch raises for more samples
  than categories without replacement.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import shape_text
from ..core.values import UNKNOWN, Tensor
from .functions import METHODS, TORCH
from .kernels import bind, dim_error, normalize_dim, op_text
from .sequence_ops import concrete


def _int(v) -> bool:
    return type(v) is int


def _tensor_split(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "indices_or_sections", "dim"], {"dim": 0})
    if b is None or not isinstance(b["input"], Tensor) or b["input"].shape is None or not _int(b["dim"]):
        return UNKNOWN
    x, cut, dim = b["input"], b["indices_or_sections"], b["dim"]
    d = normalize_dim(dim, len(x.shape))
    if d is None:
        return dim_error(ctx, site, site.label(), dim, x)
    n = concrete(ctx, x.shape[d])
    if n is None:
        return UNKNOWN
    if _int(cut):
        if cut < 1:
            return UNKNOWN  # torch raises; not reported
        sizes = [n // cut + (1 if i < n % cut else 0) for i in range(cut)]
    elif isinstance(cut, (list, tuple)) and all(_int(i) for i in cut):
        bounds = [None, *cut, None]
        sizes = [len(range(n)[a:z]) for a, z in zip(bounds, bounds[1:])]
    else:
        return UNKNOWN
    return tuple(Tensor(x.shape[:d] + (k,) + x.shape[d + 1:], dtype=x.dtype) for k in sizes)


def _multinomial(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "num_samples", "replacement"], {"replacement": False})
    if b is None or any(k not in ("input", "num_samples", "replacement", "generator") for k in kwargs):
        return UNKNOWN
    x, k, repl = b["input"], b["num_samples"], b["replacement"]
    if not isinstance(x, Tensor) or x.shape is None or len(x.shape) not in (1, 2) or not _int(k) or type(repl) is not bool:
        return UNKNOWN
    categories = concrete(ctx, x.shape[-1])
    if k < 1 or (not repl and categories is not None and k > categories):
        if k >= 1:
            detail = (f"{k} samples without replacement from {categories} categories of {shape_text(x.shape)}: "
                      f"torch raises 'cannot sample n_sample > prob_dist.size(-1) samples without replacement'")
            ctx.report(R.ShapeMismatch.finding(site.node, module=site.name, op=op_text(site), detail=detail))
        return UNKNOWN
    return Tensor(x.shape[:-1] + (k,), dtype="long")


TORCH["tensor_split"] = METHODS["tensor_split"] = _tensor_split
TORCH["multinomial"] = METHODS["multinomial"] = _multinomial
