"""nn.EmbeddingBag: one reduced (sum / mean / max) embedding per bag of indices.

forward(input, offsets=None, per_sample_weights=None), torch 2.13:
- a 2-D input (B, N) without offsets is B bags of N indices: (B, embedding_dim);
- a 1-D input with 1-D offsets (n,) is n bags (n - 1 with include_last_offset=True): (n, embedding_dim);
- F.embedding_bag(input, weight, offsets, ...) the same, its width read from the weight;
- anything else torch raises (offsets with a 2-D input, a 1-D input without offsets) or is not
  modelled here: unknown, no finding. per_sample_weights is only accepted by mode="sum", with the
  input's shape; another case is unknown.
Its parameters are the (num_embeddings, embedding_dim) weight, unless `_weight` is given.
A pending model input is guessed as (B, N) bags, the form without offsets.
"""

from __future__ import annotations

from ..core.symbolic import is_known, size_or_opaque
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL
from .index_dtype import INTEGER
from .kernels import bind, input_shape, made_by
from .spec import REQUIRED, LayerSpec

PARAMS = (
    ("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("max_norm", None), ("norm_type", 2.0),
    ("scale_grad_by_freq", False), ("mode", "mean"), ("sparse", False), ("_weight", None),
    ("include_last_offset", False), ("padding_idx", None), ("device", None), ("dtype", None),
)
FORWARD = ("input", "offsets", "per_sample_weights")


def _bag_count(ctx, m, x: Tensor, offsets, last):
    """How many bags torch makes, or None where it raises or shapelint cannot tell."""
    if offsets is None:
        if x.pending:
            ctx.assume_rank()  # (B, N) bags is a guess
        shape = input_shape(ctx, m, x, lambda: ((ctx.batch, ctx.input_symbol("N")), (None, None)))
        return shape[0] if shape is not None and len(shape) == 2 else None
    if x.shape is None or len(x.shape) != 1:
        return None
    if not isinstance(offsets, Tensor) or offsets.shape is None or len(offsets.shape) != 1:
        return None
    n = offsets.shape[0]
    if last is False:
        return n
    return n - 1 if last is True and is_known(n) and n >= 1 else None


def _weights_fit(mode, x: Tensor, weights) -> bool:
    if weights is None:
        return True
    return (mode == "sum" and isinstance(weights, Tensor) and weights.shape is not None
            and x.shape is not None and tuple(weights.shape) == tuple(x.shape))


def bags(ctx, site, x, offsets, weights, mode, last, dim):
    """The (bags, dim) output, or None where torch raises or shapelint does not model the form."""
    if not isinstance(x, Tensor) or mode not in ("sum", "mean", "max") or (x.dtype is not None and x.dtype not in INTEGER):
        return None
    count = _bag_count(ctx, site, x, offsets, last)
    if count is None or not _weights_fit(mode, x, weights):
        return None
    batch_origin = x.prov[0] if offsets is None and x.prov else None  # the bags are the input's rows
    return Tensor((count, size_or_opaque(dim, "e")), (batch_origin, made_by(site, f"embedding_dim={dim}")))


def embedding_bag_call(vm, m, args, kwargs, node):
    b = bind(list(args), dict(kwargs), list(FORWARD), {"offsets": None, "per_sample_weights": None})
    p = m.params
    out = None if b is None else bags(vm.ctx, m, b["input"], b["offsets"], b["per_sample_weights"], p.get("mode"),
                                      p.get("include_last_offset"), p.get("embedding_dim"))
    if out is None:
        vm.explain.lost(node, "nn.EmbeddingBag called in a form shapelint does not model")
        return Unknown("nn.EmbeddingBag form not modelled")
    return out


def functional_embedding_bag(ctx, site, args, kwargs):
    """F.embedding_bag(input, weight, offsets=None, ..., mode="mean", ..., per_sample_weights, include_last_offset):
    the weight (num_embeddings, embedding_dim) gives the width."""
    names = ["input", "weight", "offsets", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse",
             "per_sample_weights", "include_last_offset", "padding_idx"]
    defaults = {"offsets": None, "max_norm": None, "norm_type": 2, "scale_grad_by_freq": False, "mode": "mean",
                "sparse": False, "per_sample_weights": None, "include_last_offset": False, "padding_idx": None}
    b = bind(list(args), dict(kwargs), names, defaults)
    weight = None if b is None else b["weight"]
    if not isinstance(weight, Tensor) or weight.shape is None or len(weight.shape) != 2:
        return UNKNOWN
    out = bags(ctx, site, b["input"], b["offsets"], b["per_sample_weights"], b["mode"], b["include_last_offset"], weight.shape[1])
    return out if out is not None else UNKNOWN


FUNCTIONAL["embedding_bag"] = functional_embedding_bag

LAYERS = {"EmbeddingBag": LayerSpec("EmbeddingBag", PARAMS, call=embedding_bag_call)}
