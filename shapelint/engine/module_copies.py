"""`copy.deepcopy(module)`: a new module tree as torch's deepcopy makes it, with new Parameters
(each copy has its own: `clones(layer, 6)` holds six layers' parameters), what the original
shares shared in the copy (the memo of partials.py), and no name yet (the copy is named where it
is assigned). A module shapelint does not know completely (opaque, clobbered, attributes it
could not follow) is not copied: the result is unknown.
"""

from __future__ import annotations

import copy

from ..core.values import ModuleValue, Tensor

CANNOT = object()  # a value shapelint does not copy


def copy_tensor(t: Tensor):
    """A deep copy of a tensor: a new object of the same shape and dtype (a Parameter stays one)."""
    if t.slot is not None:
        return CANNOT  # a tensor tied to the model's input: not a value __init__ holds
    return copy.copy(t)


def deep_copy_module(m: ModuleValue, memo: dict, copy_value):
    """The copy of `m` (registered in `memo` first: a cycle back to `m` reaches the copy), or CANNOT."""
    if m.opaque or m.clobbered is not None or not m.writes_known or not m.exact:
        return CANNOT
    c = ModuleValue.__new__(ModuleValue)
    c.__dict__.update(m.__dict__)
    memo[id(m)] = c
    c.name = None
    c.root_label = None
    c.rewritten = set(m.rewritten)
    c.lazy_sizes = set(m.lazy_sizes)
    c.params = dict(m.params)
    for hooks in ("forward_hooks", "forward_pre_hooks"):  # engine/module_hooks.py: the copy has its own lists
        if hooks in m.__dict__:
            c.__dict__[hooks] = list(m.__dict__[hooks])
    c.param_nodes = dict(m.param_nodes)
    for field in ("children", "attrs", "param_tensors"):
        values = {}
        for k, v in getattr(m, field).items():
            out = copy_value(v)
            if out is CANNOT:
                return CANNOT
            values[k] = out
        setattr(c, field, values)
    return c
