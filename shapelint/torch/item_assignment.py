"""`x[key] = value` on a tensor: torch copies `value` into the part `x[key]` selects, expanding
it to that part's shape (leading dims of size 1 dropped first), and raises where it cannot
("The expanded size of the tensor (4) must match the existing size (2)"), as in a key/value cache
written with `cache_k[:bsz, start_pos : start_pos + seqlen] = xk`. Only sizes known on both sides
(the declared batch counts) can make it an error; the tensor's shape never changes.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.values import Tensor
from .kernels import index_tensor, op_text
from .sequence_ops import concrete
from .spec import Site


def _target_part(ctx, x: Tensor, key):
    if x.shape is None or any(isinstance(k, Tensor) for k in (key if isinstance(key, tuple) else (key,))):
        return None  # advanced indexing: the part's shape comes from the index tensors, not modelled here
    part = index_tensor(ctx, x, key, None)
    return part if isinstance(part, Tensor) and part.shape is not None else None


def check_item_assignment(ctx, node, x: Tensor, key, value) -> None:
    """Report when `value` certainly cannot be expanded to the shape of `x[key]`."""
    if not isinstance(value, Tensor) or value.shape is None:
        return
    part = _target_part(ctx, x, key)
    if part is None:
        return
    want, have = list(part.shape), list(value.shape)
    while len(have) > len(want) and concrete(ctx, have[0]) == 1:
        have = have[1:]
    sizes = [(concrete(ctx, h), concrete(ctx, w)) for h, w in zip(reversed(have), reversed(want))]
    bad = next((i for i, (h, w) in enumerate(sizes, 1) if h is not None and w is not None and h not in (1, w)), None)
    if bad is None and len(have) > len(want) and all(concrete(ctx, h) not in (None, 1) for h in have[:len(have) - len(want)]):
        bad = 0
    if bad is None:
        return
    if bad:
        h, w = sizes[bad - 1]
        what = f"the assigned value has {h} at dimension {-bad}, where this part of the tensor has {w}"
    else:
        what = f"the assigned value has {len(have)} dimensions (past leading 1s), this part of the tensor {len(want)}"
    # the shapes stay out of the message: a symbolic and a declared run then give one finding
    detail = f"{what} (torch expands only a size of 1): torch raises 'The expanded size of the tensor must match the existing size'"
    ctx.report(R.ShapeMismatch.finding(node, module=None, op=op_text(Site("item assignment", node)), detail=detail))
