"""`copy.deepcopy(module)`, as Python and nn.Module define it (DETR's and fairseq's
`_get_clones`: `nn.ModuleList([copy.deepcopy(layer) for _ in range(N)])`).

A deep copy is a new module of the same class and constructor values, whose submodules, buffers
and Parameters are new objects too (so each clone's parameters count in `model.parameters()`),
with what was shared inside the original shared inside the copy (deepcopy's memo: a weight tied
between two of its layers stays tied in the copy). A module whose contents shapelint does not
follow completely (opaque, inexact, clobbered, written by code it did not follow, lazy, weight-
normed) is not copied: the result is unknown.
"""

from __future__ import annotations

from ..core.values import ModuleValue, ParameterTensor, Tensor

CANNOT = object()
_FLAGS = ("invalid", "exact", "opaque", "writes_known", "weight_norm", "weight_norm_dim")


def deep_copy_module(m: ModuleValue, plain_copy, memo=None):
    """The deep copy of `m`, or CANNOT; `plain_copy(v)` deep-copies a value with no tensor or module in it."""
    memo = {} if memo is None else memo
    return _module(m, plain_copy, memo)


def _followed(m: ModuleValue) -> bool:
    return not m.opaque and m.exact and m.clobbered is None and m.writes_known and not m.lazy_sizes and m.weight_norm is None


def _module(m: ModuleValue, plain_copy, memo):
    if id(m) in memo:
        return memo[id(m)]
    if not _followed(m):
        return CANNOT
    c = ModuleValue(m.kind, m.node, spec=m.spec, cls=m.cls)
    memo[id(m)] = c
    for flag in _FLAGS:
        setattr(c, flag, getattr(m, flag))
    c.param_nodes = dict(m.param_nodes)
    for field in ("params", "attrs", "param_tensors"):
        copied = {}
        for k, v in getattr(m, field).items():
            copied[k] = _value(v, plain_copy, memo)
            if copied[k] is CANNOT:
                return CANNOT
        setattr(c, field, copied)
    for k, child in m.children.items():
        c.children[k] = None if child is None else _module(child, plain_copy, memo)
        if c.children[k] is CANNOT:
            return CANNOT
    return c


def _value(v, plain_copy, memo):
    if isinstance(v, ModuleValue):
        return _module(v, plain_copy, memo)
    if isinstance(v, Tensor):
        return _tensor(v, memo)
    if type(v) in (list, tuple):
        items = [_value(x, plain_copy, memo) for x in v]
        return CANNOT if any(x is CANNOT for x in items) else (items if type(v) is list else tuple(items))
    if type(v) is dict:
        items = {k: _value(x, plain_copy, memo) for k, x in v.items()}
        return CANNOT if any(x is CANNOT for x in items.values()) else items
    return plain_copy(v)


def _tensor(t: Tensor, memo):
    if id(t) in memo:
        return memo[id(t)]
    if t.slot is not None or type(t) not in (Tensor, ParameterTensor) or t.shape is None:
        return CANNOT
    prov = t._prov
    if type(t) is ParameterTensor:
        c = ParameterTensor(t.shape, prov, dtype=t.dtype, trainable=t.trainable, certain=t.certain)
    else:
        c = Tensor(t.shape, prov, dtype=t.dtype)
    c.values_below = t.values_below
    memo[id(t)] = c
    return c
