"""`torch.nn.init.*`: fill a tensor in place and return it, its shape unchanged.

The fan-based ones (xavier, kaiming) and orthogonal_ raise on a tensor of fewer than 2
dimensions: they are modelled only where the rank is known to be 2 or more.
"""

from __future__ import annotations

from typing import Optional

from ..core.values import Tensor

_ANY_RANK = frozenset(("uniform_", "normal_", "constant_", "ones_", "zeros_", "trunc_normal_"))
_TWO_DIMS_OR_MORE = frozenset(("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_"))


def init_call(qualname: str, args) -> Optional[Tensor]:
    """The tensor an init function returns (its first argument), or None when not modelled."""
    if not qualname.startswith("torch.nn.init.") or not args or not isinstance(args[0], Tensor):
        return None
    name = qualname.rsplit(".", 1)[1]
    t = args[0]
    if name in _ANY_RANK or (name in _TWO_DIMS_OR_MORE and t.shape is not None and len(t.shape) >= 2):
        return t
    return None
