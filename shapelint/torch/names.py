"""Which names torch's modules and nn.Module have, for `hasattr(nn, "SiLU")` and `hasattr(self, "x")`.

A name the tables hold is an attribute of torch (tests/test_torch_names.py checks it against
torch itself); any other name is not known here, so the answer is undecided, never False.
"""

from __future__ import annotations

from typing import Optional

from . import functions as ops
from . import dim_ops, index_makers, linalg_ops, order_statistics, pointwise_ops, products, sequence_lists, sequence_ops, spectral_ops, triangle_indices  # noqa: F401 - they register their ops into the tables of `functions`
from .containers import CONTAINERS
from .modules import LAYERS

# names the op tables accept although torch's module of that name has no such attribute
# (`torch.softmin` and the pooling ops live in torch.nn.functional only)
NOT_ATTRIBUTES = {
    "torch": frozenset(("softmin", "avg_pool2d", "adaptive_avg_pool2d", "avg_pool3d", "adaptive_avg_pool3d")),
    "torch.nn.functional": frozenset(("flatten",)),
}

_NN = frozenset(LAYERS) | frozenset(CONTAINERS) | {"Module", "Parameter", "functional", "init", "utils"}
_TABLES = {
    "torch.nn": lambda: _NN,
    "torch": lambda: frozenset(ops.TORCH) | {"nn", "Tensor"},
    "torch.nn.functional": lambda: frozenset(ops.FUNCTIONAL),
}

# nn.Module's own public attributes (methods and `training`): every module has them
MODULE_ATTRIBUTES = frozenset((
    "add_module", "apply", "bfloat16", "buffers", "children", "compile", "cpu", "cuda", "double", "eval",
    "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half",
    "load_state_dict", "modules", "named_buffers", "named_children", "named_modules", "named_parameters",
    "parameters", "register_backward_hook", "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook", "register_module", "register_parameter",
    "requires_grad_", "set_extra_state", "share_memory", "state_dict", "to", "to_empty", "train", "training",
    "type", "zero_grad",
))


def torch_has(module: str, name: str) -> Optional[bool]:
    """True when torch's `module` has attribute `name` by these tables; None when they cannot tell."""
    table = _TABLES.get(module)
    if table is None or name in NOT_ATTRIBUTES.get(module, ()):
        return None
    return True if name in table() else None
