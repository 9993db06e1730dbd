"""What an entry of the torch tables is, and what a shape rule is told about its call site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

REQUIRED = object()  # a constructor parameter without a default
PLACEMENT_PARAMS = ("device", "dtype")  # constructor arguments that never change a shape
# constructor arguments that no torch layer's output shape (nor its shape errors) reads: one of
# them unknown (`bias=use_bias`, `inplace=flag`) leaves the layer's output shape known
SHAPE_FREE_PARAMS = PLACEMENT_PARAMS + ("bias", "eps", "momentum", "inplace", "negative_slope")


@dataclass(frozen=True)
class LayerSpec:
    """One torch.nn layer: its signature and its shape semantics.

    `params` is torch's parameter order, so positional arguments bind as in torch.
    A leaf layer has `forward(ctx, module, x) -> output`; a block made of other layers
    (attention, Transformer layers) has `build(module, new_layer)`, which creates the
    children torch creates, and `call(vm, module, args, kwargs, node)`, which runs them;
    a leaf layer of several inputs (nn.Bilinear) has `call` alone.
    """

    name: str
    params: Tuple[Tuple[str, Any], ...]
    forward: Optional[Callable] = None
    check: Optional[Callable] = None  # construction-time checks (torch raises in __init__)
    extra_ok: bool = False  # accepts arbitrary *args/**kwargs (activations, Identity)
    dims: int = 0  # spatial dimensions of a Conv*d / Pool*d / Norm*d; 0 otherwise
    build: Optional[Callable] = None
    call: Optional[Callable] = None
    # a leaf layer that takes more than its input (an RNN's initial state):
    # `after(ctx, module, args, kwargs, node, output)` checks them and gives the output
    after: Optional[Callable] = None


class Site:
    """A functional call seen as a layer: its label, node and arguments (a module is its own site)."""

    def __init__(self, label: str, node, param_nodes: Dict[str, Any] = None, params=None, editable: bool = True):
        self._label = label
        self.name = None  # a functional call belongs to no submodule
        self.node = node
        self.param_nodes = param_nodes or {}
        self.params = params or {}
        self.invalid = False
        # False: param_nodes place findings only; an argument such as `self.normalized_shape` is no
        # place for a number (engine/callsite.py moves such a finding to where it was written)
        self.editable = editable

    def label(self) -> str:
        return self._label

    def param_node(self, name: str):
        return self.param_nodes.get(name) or self.node



# Functional ops that compute what a layer computes: the editor's hover shows the layer's
# formula for them. name -> (the layer, its constructor parameters in F's positional order)
_POOL = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
_AVG = ("kernel_size", "stride", "padding", "ceil_mode")
FUNCTIONAL_LAYERS = {
    "max_pool1d": ("MaxPool1d", _POOL), "max_pool2d": ("MaxPool2d", _POOL), "max_pool3d": ("MaxPool3d", _POOL),
    "avg_pool1d": ("AvgPool1d", _AVG), "avg_pool2d": ("AvgPool2d", _AVG), "avg_pool3d": ("AvgPool3d", _AVG),
}


def _plain(v) -> bool:
    return (isinstance(v, (int, bool)) or v is None
            or (isinstance(v, (tuple, list)) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)))


def functional_layer(label: str):
    """The layer a functional op (`F.max_pool2d`) computes as, or None."""
    entry = FUNCTIONAL_LAYERS.get(label.rsplit(".", 1)[-1])
    return entry[0] if entry else None


def functional_params(label: str, args, kwargs):
    """The layer's constructor arguments of a functional op in FUNCTIONAL_LAYERS, when every
    argument is a plain number; else None."""
    entry = FUNCTIONAL_LAYERS.get(label.rsplit(".", 1)[-1])
    if entry is None:
        return None
    _layer, names = entry
    params = dict(zip(names, args[1:]))
    params.update((k, v) for k, v in kwargs.items() if k in names)
    if "kernel_size" not in params or not all(_plain(v) for v in params.values()):
        return None
    if params.get("stride") is None:
        params.pop("stride", None)
    return params
