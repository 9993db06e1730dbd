"""Indexing by tensors (issue 11.1): `x[idx]`, `x[:, idx]`, `emb[token_ids]`, `x[torch.arange(B), t]`, `x[mask]`.

torch's advanced indexing, the NumPy rules: integer index tensors broadcast together, and
their broadcast shape takes the place of the dims they index when they are adjacent, else
goes first; a bool mask indexes as many dims as it has, must match them exactly, and gives
one dim of unknown length (its count of True values: an opaque size, never a guess).

An int mixed with index tensors is applied first, as torch does (a `select`: its dim goes,
unlike NumPy, where it would join the index tensors). Only what is known is modelled: an index
tensor whose dtype shapelint does not know, a list mixed with index tensors, an int not known
to be in range, a 0-d mask, a mask with another index: Unknown. A None is a new dim of size 1
taken by a full slice (`x[None, idx]` is `x.unsqueeze(0)[:, idx]`, Mixtral's tokens). A float index is
SHP015 (index_dtype.py).
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import Expr, is_known, shape_text
from ..core.values import Tensor, Unknown
from .kernels import full_keys
from .index_dtype import index_dtype_report
from .spec import Site

INTEGER = ("long", "int")
BOOL = ("bool",)
TORCH_DTYPES = {"torch.long": "long", "torch.int64": "long", "torch.int": "int", "torch.int32": "int", "torch.bool": "bool",
                "torch.float": "float", "torch.float32": "float", "torch.float64": "float", "torch.double": "float",
                "torch.half": "float", "torch.float16": "float", "torch.bfloat16": "float"}


def arange_dtype(values, kwargs):
    """torch.arange's dtype: long for int bounds, float for any float bound, else the one named."""
    if "dtype" in kwargs:
        d = kwargs["dtype"]
        return TORCH_DTYPES.get(getattr(d, "qualname", None)) if d is not None else None
    if all((type(v) is int) or (isinstance(v, Expr) and not v.is_opaque()) for v in values):
        return "long"
    return "float" if all(type(v) in (int, float) for v in values) else None


def _size(size, k: slice):
    if k.start is None and k.stop is None and k.step in (None, 1):
        return size
    if is_known(size) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (k.start, k.stop, k.step)):
        if k.step == 0:
            return None
        return len(range(*k.indices(size)))
    return Expr.opaque("slice")


def _select_ints(shape, keys):
    """torch applies the int entries first, as `select` (basic indexing: their dims go), and
    indexes the rest by the tensors: `x[0, :, idx]` of (4, 5, 6) is (5, *idx.shape), not NumPy's
    (*idx.shape, 5). (None, None) for an int outside its dim or a symbolic int whose range is not known."""
    out_shape, out_keys, dim = [], [], 0
    for k in keys:
        if isinstance(k, (int, Expr)):
            size = shape[dim]
            in_range = is_known(size) and -size <= k < size if isinstance(k, int) else False
            if not (in_range or (k in (0, -1) and isinstance(size, Expr))):  # a symbolic size is >= 1
                return None, None
            dim += 1
            continue
        n = len(k.shape) if isinstance(k, Tensor) and k.dtype in BOOL else 1
        out_shape.extend(shape[dim:dim + n])
        out_keys.append(k)
        dim += n
    return tuple(out_shape), out_keys


def _nones_as_new_dims(x: Tensor, keys: list):
    """x[None, idx] is x.unsqueeze(0)[:, idx] (Mixtral's `hidden[None, top_x]`): each None becomes a
    new dim of size 1 indexed by a full slice, so it counts as a basic index between index tensors,
    as torch places them. (None, keys) when the dims an entry takes are not plain."""
    taken = [len(k.shape) if isinstance(k, Tensor) and k.dtype in BOOL else 0 if k is None or k is Ellipsis else 1
             for k in keys]
    if keys.count(Ellipsis) > 1 or any(isinstance(k, Tensor) and k.shape is None for k in keys):
        return None, keys
    covered = len(x.shape) - sum(taken)  # the dims the Ellipsis stands for
    if covered < 0 or (covered > 0 and Ellipsis not in keys):
        covered = 0  # too many indices, or dims left at the end: the rule below sees them as before
    shape, dim, out_keys = list(x.shape), 0, []
    for k, n in zip(keys, taken):
        if k is None:
            shape.insert(dim, 1)
            out_keys.append(slice(None))
            dim += 1
            continue
        out_keys.append(k)
        dim += covered if k is Ellipsis else n
    return Tensor(tuple(shape), dtype=x.dtype), out_keys


def index_by_tensors(ctx, x: Tensor, keys: list, node=None):
    """x[keys] where some key is a tensor; keys is the list of the subscript's entries."""
    shape = tuple(x.shape)
    tensors = [k for k in keys if isinstance(k, Tensor)]
    if node is not None and any(index_dtype_report(ctx, node, "indexing", t) for t in tensors):
        return Unknown("torch rejects the index's dtype")
    if any(isinstance(k, Unknown) for k in keys) or any(t.shape is None or t.dtype not in INTEGER + BOOL for t in tensors):
        return Unknown("advanced indexing by a tensor of unknown dtype or shape")
    if any(k is None for k in keys) and not any(isinstance(k, (bool, list)) for k in keys):
        x, keys = _nones_as_new_dims(x, keys)
        if x is None:
            return Unknown("None among index tensors, with an index shapelint cannot place")
        shape = tuple(x.shape)
    if any(k is None or isinstance(k, (bool, list)) for k in keys):
        return Unknown("None or a list among index tensors")
    if not all(isinstance(k, (Tensor, slice, int, Expr)) or k is Ellipsis for k in keys) or keys.count(Ellipsis) > 1:
        return Unknown("index")
    masks = [t for t in tensors if t.dtype in BOOL]
    if masks and (len(tensors) > 1 or any(len(t.shape) == 0 for t in masks) or any(isinstance(k, (int, Expr)) for k in keys)):
        return Unknown("a mask with other index tensors")
    used = sum(len(k.shape) if isinstance(k, Tensor) and k.dtype in BOOL else 1 for k in keys if k is not Ellipsis)
    keys = full_keys(ctx, shape, keys, used, node)
    if isinstance(keys, Unknown):
        return keys
    shape, keys = _select_ints(shape, keys)
    if shape is None:
        return Unknown("an int index out of range or not known to be in range")
    site = Site("indexing", node)
    before, after, index_shapes, dim, first, apart = [], [], [], 0, None, False
    for pos, k in enumerate(keys):
        if isinstance(k, slice):
            size = _size(shape[dim], k)
            if size is None:
                return Unknown("slice step 0")
            (before if first is None else after).append(size)
            dim += 1
            continue
        if first is None:
            first = pos
        elif any(isinstance(v, slice) for v in keys[first:pos]):
            apart = True  # separated by a slice: the indexed dims go first
        if k.dtype in BOOL:
            n = len(k.shape)
            indexed = shape[dim:dim + n]
            for j, (m, s) in enumerate(zip(k.shape, indexed)):
                if m != s and is_known(m) and is_known(s):
                    if node is not None:
                        ctx.report(R.ShapeMismatch.finding(
                            node, module=None, op="indexing",
                            detail=f"the mask of shape {shape_text(k.shape)} does not match the indexed dims {shape_text(indexed)}: dim {j} is {m} vs {s}"))
                    return Unknown("mask shape")
                if m != s:
                    return Unknown("mask shape not known to match")
            index_shapes.append((Expr.opaque("mask"),))
            dim += n
        else:
            index_shapes.append(tuple(k.shape))
            dim += 1
    from .sequence_ops import broadcast_dims  # here: sequence_ops imports kernels, which imports this module's caller

    index_shape = broadcast_dims(ctx, site, index_shapes)
    if not isinstance(index_shape, tuple):
        return index_shape if isinstance(index_shape, Unknown) else Unknown("index tensors' broadcast")
    if apart:
        out = index_shape + tuple(before) + tuple(after)
    else:
        out = tuple(before) + index_shape + tuple(after)
    return Tensor(out, dtype=x.dtype)
