"""`F.batch_norm` and `F.instance_norm` (and their `torch.` names): the output has the input's
shape. NFNet's weight standardization runs `F.batch_norm` over a conv weight reshaped to
(1, out, -1), so the standardized weight's shape is what the conv after it needs.

Where torch raises, the result is unknown (no finding is made here): a per-channel tensor whose
element count is not the channel count, an input of rank < 2, running statistics missing in
evaluation mode, or a single value per channel (per instance) while computing batch statistics."""

from __future__ import annotations

import math

from ..core.symbolic import BATCH_NAME, Expr, substitute
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL, TORCH
from .kernels import bind

_PER_CHANNEL = ("running_mean", "running_var", "weight", "bias")


def _numel(t: Tensor):
    return math.prod(t.shape) if all(isinstance(d, int) for d in t.shape) else None


def _channels_fit(b, channels) -> bool:
    """Every per-channel tensor given holds `channels` elements, as far as is known; False when one
    is not a tensor of a known shape, or is known to hold another count."""
    for name in _PER_CHANNEL:
        v = b.get(name)
        if v is None:
            continue
        if not isinstance(v, Tensor) or v.shape is None:
            return False
        n = _numel(v)
        if n is None or not (isinstance(channels, int) and n == channels):
            return False
    return True


def _several_values_per_channel(ctx, shape, skip: int) -> bool:
    """Whether each channel surely normalizes over more than one value: the dims after `skip`
    leading ones and the channel multiply to at least 2 (the batch counts as declared, any other
    symbolic dim as at least 1)."""
    batch = getattr(ctx, "declared_batch", None)
    dims = [substitute(d, {BATCH_NAME: batch}) if isinstance(d, Expr) and batch is not None else d for d in shape]
    known = [d for i, d in enumerate(dims) if i != 1 and i >= skip and isinstance(d, int)]
    return math.prod(known) >= 2


_F_BATCH_NORM = ["input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps"]
# torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled): all required
_TORCH_BATCH_NORM = ["input", "weight", "bias", "running_mean", "running_var", "training", "momentum", "eps", "cudnn_enabled"]
_F_INSTANCE_NORM = ["input", "running_mean", "running_var", "weight", "bias", "use_input_stats", "momentum", "eps"]
_TORCH_INSTANCE_NORM = ["input", "weight", "bias", "running_mean", "running_var", "use_input_stats", "momentum", "eps",
                        "cudnn_enabled"]


def _f_batch_norm(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), _F_BATCH_NORM, {"weight": None, "bias": None, "training": False, "momentum": 0.1, "eps": 1e-5})
    return _batch_norm(ctx, b)


def _torch_batch_norm(ctx, site, args, kwargs):
    return _batch_norm(ctx, bind(list(args), dict(kwargs), _TORCH_BATCH_NORM, {}))


def _batch_norm(ctx, b):
    if b is None or not isinstance(b["input"], Tensor) or b["input"].shape is None:
        return UNKNOWN
    x, training = b["input"], b["training"]
    if len(x.shape) < 2 or not isinstance(training, bool):
        return Unknown("batch_norm")
    if not training and (b["running_mean"] is None or b["running_var"] is None):
        return Unknown("batch_norm: running statistics missing in evaluation mode")  # torch raises
    if not _channels_fit(b, x.shape[1]):
        return Unknown("batch_norm: per-channel tensors")
    if training and not _several_values_per_channel(ctx, x.shape, 0):
        return Unknown("batch_norm: values per channel")  # one value: torch raises
    return Tensor(x.shape, x.prov)


def _f_instance_norm(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), _F_INSTANCE_NORM, {"running_mean": None, "running_var": None, "weight": None,
                                                          "bias": None, "use_input_stats": True, "momentum": 0.1, "eps": 1e-5})
    return _instance_norm(ctx, b)


def _torch_instance_norm(ctx, site, args, kwargs):
    return _instance_norm(ctx, bind(list(args), dict(kwargs), _TORCH_INSTANCE_NORM, {}))


def _instance_norm(ctx, b):
    if b is None or not isinstance(b["input"], Tensor) or b["input"].shape is None:
        return UNKNOWN
    x = b["input"]
    # the per-channel tensors are repeated over the batch: only the unbatched checks are modelled
    if len(x.shape) < 3 or b["use_input_stats"] is not True or any(b[n] is not None for n in _PER_CHANNEL):
        return Unknown("instance_norm")
    if not _several_values_per_channel(ctx, x.shape, 2):
        return Unknown("instance_norm: spatial elements")
    return Tensor(x.shape, x.prov)


FUNCTIONAL["batch_norm"] = _f_batch_norm
FUNCTIONAL["instance_norm"] = _f_instance_norm
TORCH["batch_norm"] = _torch_batch_norm
TORCH["instance_norm"] = _torch_instance_norm
