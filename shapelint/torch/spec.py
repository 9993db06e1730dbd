"""What an entry of the torch tables is, and what a shape rule is told about its call site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

REQUIRED = object()  # a constructor parameter without a default
PLACEMENT_PARAMS = ("device", "dtype")  # constructor arguments that never change a shape


@dataclass(frozen=True)
class LayerSpec:
    """One torch.nn layer: its signature and its shape semantics.

    `params` is torch's parameter order, so positional arguments bind as in torch.
    A leaf layer has `forward(ctx, module, x) -> output`; a block made of other layers
    (attention, Transformer layers) has `build(module, new_layer)`, which creates the
    children torch creates, and `call(vm, module, args, kwargs, node)`, which runs them.
    """

    name: str
    params: Tuple[Tuple[str, Any], ...]
    forward: Optional[Callable] = None
    check: Optional[Callable] = None  # construction-time checks (torch raises in __init__)
    extra_ok: bool = False  # accepts arbitrary *args/**kwargs (activations, Identity)
    dims: int = 0  # spatial dimensions of a Conv*d / Pool*d / Norm*d; 0 otherwise
    build: Optional[Callable] = None
    call: Optional[Callable] = None


class Site:
    """A functional call seen as a layer: its label, node and arguments (a module is its own site)."""

    def __init__(self, label: str, node, param_nodes: Dict[str, Any] = None, params=None):
        self._label = label
        self.name = None  # a functional call belongs to no submodule
        self.node = node
        self.param_nodes = param_nodes or {}
        self.params = params or {}
        self.invalid = False

    def label(self) -> str:
        return self._label

    def param_node(self, name: str):
        return self.param_nodes.get(name) or self.node

