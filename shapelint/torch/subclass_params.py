"""The tensors a subclass of a torch layer holds: its base layer's, from the arguments its
`super().__init__(...)` passed (`class MyConv(nn.Conv3d)`), when nothing in the subclass can
have replaced or removed one of them.

The subclass's own `nn.Parameter`s and buffers are added by the summary. Anything that
may touch the base's tensors (`self.bias = None`, `del self.weight`, `setattr`, a tensor
attribute) makes the count unknown.
"""

from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from ..core.values import ModuleValue, Tensor
from .params import Counts, formula_counts

# names torch layers register their tensors under (a subclass writing one may change the count)
_TENSOR_NAMES = ("weight", "bias", "running_", "num_batches_tracked", "in_proj", "out_proj", "bias_k", "bias_v", "q_proj",
                 "k_proj", "v_proj")
_REWRITING_CALLS = ("setattr", "delattr", "register_parameter", "register_buffer", "register_module", "add_module")


def torch_layer_base_counts(m: ModuleValue, layer_bases: List[str], registered: Set[str]) -> Optional[Counts]:
    """The base layer's own counts, or None when not certain (`registered`: the names of the
    parameters and buffers the subclass registers itself, counted by the summary)."""
    if len(layer_bases) != 1 or m.spec is None or layer_bases[0] != f"torch.nn.{m.kind}" or m.kind.startswith("Lazy"):
        return None
    if not m.writes_known or m.clobbered is not None or m.opaque:
        return None
    for name, v in m.attrs.items():
        if (isinstance(v, Tensor) and name not in registered) or name.startswith(_TENSOR_NAMES):
            return None
    if any(_may_rewrite_tensors(c.node) for c in m.cls.mro()):
        return None
    return formula_counts(m)


def _may_rewrite_tensors(node: cst.CSTNode) -> bool:
    from ..engine.cstwalk import walk

    for n in walk(node):
        if isinstance(n, cst.Del):
            return True
        if isinstance(n, cst.Call):
            f = n.func
            name = f.attr.value if isinstance(f, cst.Attribute) else f.value if isinstance(f, cst.Name) else ""
            if name in _REWRITING_CALLS and not _own_new_buffer(n):
                return True
        targets = ([t.target for t in n.targets] if isinstance(n, cst.Assign)
                   else [n.target] if isinstance(n, (cst.AugAssign, cst.AnnAssign, cst.For)) else [])
        data_of = {id(t.value) for t in targets if _is_data_of_own_tensor(t)}
        if any(isinstance(t, cst.Attribute) and t.attr.value.startswith(_TENSOR_NAMES) and id(t) not in data_of
               for t in walk(targets)):
            return True  # self.weight = ..., self.weight, self.bias = ...
    return False


def _own_new_buffer(call: cst.Call) -> bool:
    """`self.register_buffer("mask", t)` under a literal name no torch layer uses: the summary
    counts it as the subclass's own buffer (PixelCNN's MaskedConv2d), the base's tensors stay."""
    f, first = call.func, call.args[0].value if call.args else None
    return (isinstance(f, cst.Attribute) and f.attr.value == "register_buffer" and isinstance(f.value, cst.Name)
            and f.value.value == "self" and isinstance(first, cst.SimpleString)
            and not str(first.evaluated_value).startswith(_TENSOR_NAMES))


def _is_data_of_own_tensor(t) -> bool:
    """`self.weight.data = t`, `self.weight.requires_grad = False`: the Parameter stays the same
    object and the run itself follows the write (parameter_identity.set_on_value: t's size, the
    flag), so the base's count holds where the run found it unchanged."""
    return (isinstance(t, cst.Attribute) and t.attr.value in ("data", "requires_grad") and isinstance(t.value, cst.Attribute)
            and isinstance(t.value.value, cst.Name) and t.value.value.value == "self")
