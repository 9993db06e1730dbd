"""The tensors of a layer given to `weight_norm` (torch.nn.utils or its parametrizations form):
`weight` becomes `weight_v` (or `original1`), of weight's shape, plus `weight_g` (`original0`),
the magnitude per index of dim 0: weight.size(0) values. With name="weight", dim=0 only."""

from __future__ import annotations

from typing import Optional

from ..core.values import ModuleValue
from .params import Counts, formula_counts

# where weight.size(0) comes from: Conv (out, in // g, *k), ConvTranspose (in, out // g, *k), Linear (out, in)
_DIM0 = {**{f"Conv{d}d": "out_channels" for d in (1, 2, 3)}, **{f"ConvTranspose{d}d": "in_channels" for d in (1, 2, 3)},
         "Linear": "out_features"}


def weight_norm_counts(m: ModuleValue) -> Optional[Counts]:
    if m.weight_norm != "default" or m.cls is not None or m.spec is None or m.attrs or m.kind not in _DIM0:
        return None
    base = formula_counts(m)
    g = m.params.get(_DIM0[m.kind])
    if base is None or not isinstance(g, int) or isinstance(g, bool):
        return None
    return base + Counts(g)
