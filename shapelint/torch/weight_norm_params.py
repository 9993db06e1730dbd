"""The tensors of a layer given to `weight_norm` (torch.nn.utils or its parametrizations form):
`weight` becomes `weight_v` (or `original1`), of weight's shape, plus `weight_g` (`original0`),
the magnitude: weight.size(dim) values for a dim of the weight (dim=-2 counts from the end), one
value for dim=None or dim=-1 (torch norms the whole weight there). With name="weight" only."""

from __future__ import annotations

from typing import Optional

from ..core.values import ModuleValue
from .functional_layers import PARAMETERS
from .params import Counts, formula_counts


def _magnitude_count(weight_shape, dim) -> Optional[int]:
    if dim is None or dim == -1:
        return 1
    if type(dim) is not int or not -len(weight_shape) <= dim < len(weight_shape):
        return None
    size = weight_shape[dim]
    return size if type(size) is int else None


def weight_norm_counts(m: ModuleValue) -> Optional[Counts]:
    if m.weight_norm != "default" or m.cls is not None or m.spec is None or m.attrs or m.kind not in PARAMETERS:
        return None
    base, shapes = formula_counts(m), PARAMETERS[m.kind](m.params)
    if base is None or not shapes or not shapes.get("weight"):
        return None
    g = _magnitude_count(shapes["weight"], m.weight_norm_dim)
    return base + Counts(g) if g is not None else None
