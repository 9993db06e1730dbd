"""`functools.partial` and `copy.copy`/`copy.deepcopy`, as Python defines them.

A partial is a callable value: calling it prepends the stored positional arguments and
merges the stored keywords under the call's own (`partial(f, a, k=1)(b, k=2)` is
`f(a, b, k=2)`); a partial of a partial flattens, as CPython's does. Its `.func`,
`.args` and `.keywords` read back what was stored.
"""

from __future__ import annotations

from ..core.values import ClassRef, FunctionRef, ModuleValue, Ref, Tensor, Unknown
from . import module_copies, torch_calls
from .dict_subclasses import MappingValue
from .namedtuples import NamedTupleValue

PARTIAL = ("functools.partial",)
COPIES = ("copy.copy", "copy.deepcopy")


class PartialValue:
    __slots__ = ("func", "args", "keywords")

    def __init__(self, func, args, keywords):
        self.func = func
        self.args = tuple(args)
        self.keywords = dict(keywords)


def make_partial(vm, args, kwargs, node):
    """`partial(func, *args, **keywords)`."""
    if not args:
        return Unknown("partial() without a function", node)
    func, stored = args[0], list(args[1:])
    if isinstance(func, Unknown):
        return Unknown("partial of an unknown callable", node)
    if isinstance(func, PartialValue):  # partial(partial(f, a), b) is partial(f, a, b)
        return PartialValue(func.func, list(func.args) + stored, {**func.keywords, **kwargs})
    return PartialValue(func, stored, kwargs)


def call_partial(vm, p: PartialValue, args, kwargs, node, frame):
    all_args, all_kwargs = list(p.args) + list(args), {**p.keywords, **kwargs}
    if isinstance(p.func, Ref) and torch_calls.is_layer_ref(p.func):  # the call's own arguments follow the stored ones
        return torch_calls.construct_layer(vm, p.func, all_args, all_kwargs, node, shift=len(p.args))
    return vm.call(p.func, all_args, all_kwargs, node, frame)


def partial_attr(p: PartialValue, name: str):
    if name == "func":
        return p.func
    if name == "args":
        return p.args
    if name == "keywords":
        return dict(p.keywords)
    return Unknown(f"attribute `{name}` of a partial")


def copy_value(vm, q: str, args, node):
    """`copy.copy(x)` / `copy.deepcopy(x)` of a value shapelint knows completely; else unknown."""
    if len(args) != 1:
        return Unknown(f"`{q}` call", node)
    deep = q == "copy.deepcopy"
    result = _copy(args[0], deep, {} if deep else None)
    return result if result is not _CANNOT else Unknown(f"`{q}` of a value shapelint cannot copy", node)


_CANNOT = module_copies.CANNOT


def _copy(v, deep: bool, memo):
    """Python's copy: `memo` (deep copies) maps id(original) -> its copy, so what the original
    shares (one module twice in a list, a tied weight) the copy shares too."""
    if v is None or isinstance(v, (bool, int, float, str, Ref, ClassRef, FunctionRef, PartialValue, Unknown)):
        return v  # immutable, or unknown either way
    if memo is not None and id(v) in memo:
        return memo[id(v)]
    out = _copy_new(v, deep, memo)
    if memo is not None and out is not _CANNOT:
        memo[id(v)] = out
    return out


def _copy_new(v, deep: bool, memo):
    if isinstance(v, NamedTupleValue):
        items = [_copy(x, True, memo) for x in v] if deep else list(v)
        if any(x is _CANNOT for x in items):
            return _CANNOT
        out = NamedTupleValue(items)
        out.info = v.info
        return out
    if isinstance(v, (list, tuple)):
        items = [_copy(x, True, memo) for x in v] if deep else list(v)
        if any(x is _CANNOT for x in items):
            return _CANNOT
        return items if isinstance(v, list) else tuple(items)
    if isinstance(v, dict):
        items = {k: (_copy(x, True, memo) if deep else x) for k, x in v.items()}
        if isinstance(v, MappingValue):  # a copy keeps the class (dict subclasses reduce to their class)
            items = MappingValue(items)
            items.info = v.info
        return _CANNOT if any(x is _CANNOT for x in items.values()) else items
    if isinstance(v, ModuleValue) and v.cls is not None and v.spec is None and not v.children and not v.cls.is_module():
        # a plain config object (a dataclass instance): its attributes are all it holds
        attrs = {k: (_copy(x, True, memo) if deep else x) for k, x in v.attrs.items()}
        if any(x is _CANNOT for x in attrs.values()):
            return _CANNOT
        c = ModuleValue(v.kind, v.node, cls=v.cls)
        c.attrs = attrs
        return c
    if deep and isinstance(v, ModuleValue):
        return module_copies.deep_copy_module(v, memo, lambda x: _copy(x, True, memo))
    if deep and isinstance(v, Tensor) and not isinstance(v, Unknown):
        return module_copies.copy_tensor(v)
    return _CANNOT
