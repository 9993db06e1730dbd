"""Loss layers (nn.CrossEntropyLoss, nn.MSELoss, nn.CTCLoss, ...) and the binary cross entropies.

A loss layer called in forward (`self.criterion(logits, labels)`) is its functional form with the
constructor's `reduction`: the functional rules of torch/functional_layers.py and
torch/index_makers.py give the shape. F.binary_cross_entropy(_with_logits) need a target of the
input's shape (torch raises ValueError otherwise: SHP006 where the shapes certainly differ); the
loss is 0-d, or the input's shape for reduction="none". A loss layer has no parameters; a `weight`
or `pos_weight` tensor given to it is a buffer, whose count is left unknown.
"""

from __future__ import annotations

from ..core.symbolic import shape_text
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL
from .kernels import bind
from .sequence_ops import _mismatch, differ
from .spec import LayerSpec

_OLD = (("size_average", None), ("reduce", None))
# layer -> (functional name, constructor parameters in torch's order, forward inputs)
LOSSES = {
    "CrossEntropyLoss": ("cross_entropy", (("weight", None),) + _OLD[:1] + (("ignore_index", -100),) + _OLD[1:]
                         + (("reduction", "mean"), ("label_smoothing", 0.0)), ("input", "target")),
    "NLLLoss": ("nll_loss", (("weight", None),) + _OLD[:1] + (("ignore_index", -100),) + _OLD[1:] + (("reduction", "mean"),),
                ("input", "target")),
    "MSELoss": ("mse_loss", _OLD + (("reduction", "mean"),), ("input", "target")),
    "L1Loss": ("l1_loss", _OLD + (("reduction", "mean"),), ("input", "target")),
    "SmoothL1Loss": ("smooth_l1_loss", _OLD + (("reduction", "mean"), ("beta", 1.0)), ("input", "target")),
    "HuberLoss": ("huber_loss", (("reduction", "mean"), ("delta", 1.0)), ("input", "target")),
    "BCELoss": ("binary_cross_entropy", (("weight", None),) + _OLD + (("reduction", "mean"),), ("input", "target")),
    "BCEWithLogitsLoss": ("binary_cross_entropy_with_logits", (("weight", None),) + _OLD + (("reduction", "mean"), ("pos_weight", None)),
                          ("input", "target")),
    "CTCLoss": ("ctc_loss", (("blank", 0), ("reduction", "mean"), ("zero_infinity", False)),
                ("log_probs", "targets", "input_lengths", "target_lengths")),
}


def _binary_cross_entropy(ctx, site, args, kwargs):
    names = ["input", "target", "weight", "size_average", "reduce", "reduction", "pos_weight"]
    b = bind(list(args), dict(kwargs), names, {"weight": None, "size_average": None, "reduce": None, "reduction": "mean", "pos_weight": None})
    if b is None or not (isinstance(b["input"], Tensor) and isinstance(b["target"], Tensor)):
        return UNKNOWN
    x, t = b["input"].shape, b["target"].shape
    if x is None or t is None or b["size_average"] is not None or b["reduce"] is not None or b["reduction"] not in ("mean", "sum", "none"):
        return UNKNOWN
    if len(x) != len(t) or any(differ(ctx, a, c) for a, c in zip(x, t)):
        return _mismatch(ctx, site, f"the target {shape_text(t)} must have the input's shape {shape_text(x)} "
                                    f"(torch raises ValueError)")
    return Tensor(tuple(x)) if b["reduction"] == "none" else Tensor(())


FUNCTIONAL["binary_cross_entropy"] = _binary_cross_entropy
FUNCTIONAL["binary_cross_entropy_with_logits"] = _binary_cross_entropy


def _loss_call(kind: str):
    functional, _, inputs = LOSSES[kind]

    def call(vm, m, args, kwargs, node):
        b = bind(list(args), dict(kwargs), list(inputs), {})
        op = FUNCTIONAL.get(functional)
        if b is None or op is None:
            return Unknown(f"nn.{kind} called with other inputs than {', '.join(inputs)}")
        return op(vm.ctx, m, tuple(b[k] for k in inputs), {"reduction": m.params.get("reduction")})

    return call


LAYERS = {kind: LayerSpec(kind, params, call=_loss_call(kind)) for kind, (_, params, _) in LOSSES.items()}


def loss_buffers_known(m) -> bool:
    """No weight / pos_weight tensor: the layer registers nothing."""
    return m.params.get("weight") is None and m.params.get("pos_weight") is None
