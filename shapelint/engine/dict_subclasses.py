"""Instances of the user's subclasses of dict / OrderedDict, as CPython builds them (Hugging Face's
`ACT2FN = ClassInstantier(ACT2CLS)`: an OrderedDict whose `__getitem__` instantiates the class stored
under the key; output classes that are mappings).

An instance is a real dict (`MappingValue`) remembering its class: `len`, `in`, iteration, `.get`,
`.items()` are dict's; a method the class (or a base of the user's) defines wins, as attribute lookup
on the type does, and so does its `__getitem__` for `obj[key]`; `super().__getitem__(key)` and other
dict methods reached through `super()` are dict's own. The class is built by dict's constructor
(a mapping, pairs, keywords). Not followed (unknown): a class with its own `__init__`, `__new__`,
`__missing__` or a dunder that builtins call behind the user's back (`len`, `in`, `for`, `obj[k] = v`),
a decorated method (staticmethod, property), instance attributes. A dataclass that is also a mapping
(HF's ModelOutput) is built as a dataclass: its fields are attributes, its items are not followed.
"""

from __future__ import annotations

from ..core.values import BoundMethod, Builtin, FunctionRef, Ref, Unknown
from .extract import ClassInfo
from .frame import hashable

MAPPING_BASES = ("collections.OrderedDict", "typing.OrderedDict", "typing.Dict")
# dict methods whose result's class depends on the base (`OrderedDict.copy` keeps the subclass, `dict.copy`
# does not): not followed
CLASS_DEPENDENT = ("copy", "fromkeys")


class MappingValue(dict):
    """An instance of a user class deriving from dict or OrderedDict: `info` is its class."""

    info: ClassInfo = None


def _mapping_base(base) -> bool:
    return (isinstance(base, Builtin) and base.name == "dict") or (isinstance(base, Ref) and base.qualname in MAPPING_BASES)


def is_mapping_class(info: ClassInfo) -> bool:
    return any(_mapping_base(b) for c in info.mro() for b in c.bases)


# what CPython's dict does without asking the class's methods, or what shapelint does not follow
_NOT_FOLLOWED = ("__init__", "__new__", "__missing__", "__setitem__", "__delitem__", "__iter__", "__len__",
                 "__contains__", "__bool__", "__eq__", "__ne__", "__or__", "__ror__", "__ior__", "__reversed__",
                 "__getattr__", "__getattribute__", "__setattr__", "__copy__", "__deepcopy__", "__class_getitem__")


def instantiate(vm, info: ClassInfo, args, kwargs, node):
    """`Cls(mapping_or_pairs, **kwargs)` by dict's own constructor."""
    dunder_attrs = any(n.startswith("__") and n.endswith("__") for c in info.mro() for n in c.class_attrs)
    if dunder_attrs or any(name in c.methods for c in info.mro() for name in _NOT_FOLLOWED):  # `__getattr__ = dict.get`
        return vm.unmodelled(f"`{info.name}(...)`: a mapping class with a constructor or protocol method of its own", node)
    if len(args) > 1:
        return Unknown(f"`{info.name}(...)` with more than one positional argument (dict raises)", node)
    items = {}
    if args:
        source = args[0]
        pairs = list(source.items()) if isinstance(source, dict) else vm.iterate(source)
        if pairs is None or not all(isinstance(p, (list, tuple)) and len(p) == 2 and hashable(p[0]) for p in pairs):
            return Unknown(f"`{info.name}(...)` of items shapelint cannot read", node)
        items.update(pairs)
    items.update(kwargs)
    obj = MappingValue(items)
    obj.info = info
    return obj


def own_method(obj: MappingValue, name: str):
    """The class's own method `name`, bound to obj; None when dict's own applies."""
    if any(name in c.class_attrs for c in obj.info.mro()):
        return Unknown(f"`{name}` set in the class body (`get = dict.__getitem__`): not followed")
    owner, fn = obj.info.find_method(name)
    if fn is None:
        return None
    return FunctionRef(fn, obj, owner, owner.globals) if not fn.decorators else Unknown(f"decorated method `{name}`")


_DICT_METHODS = {n for n in dir(dict) if not n.startswith("_")} | {"__getitem__"}


def attribute(vm, obj: MappingValue, name: str, node):
    """`obj.name`: the class's own method, else dict's (bound); anything else is not followed."""
    own = own_method(obj, name)
    if own is not None:
        return own
    if name in CLASS_DEPENDENT or name not in _DICT_METHODS:
        return vm.unmodelled(f"attribute `{name}` of a mapping of the user's class", node)
    return BoundMethod(obj, name)


def super_method(obj: MappingValue, owner: ClassInfo, name: str):
    """`super().name` inside `owner`'s method: the next user class's method, else dict's own (None)."""
    mro = obj.info.mro()
    after = mro[mro.index(owner) + 1:] if owner in mro else []
    for c in after:
        if name in c.methods:
            fn = c.methods[name]
            return FunctionRef(fn, obj, c, c.globals) if not fn.decorators else Unknown(f"decorated method `{name}`")
    return None


def item(obj: dict, key):
    """dict.__getitem__: the value, or unknown for a key that is missing (KeyError) or unhashable."""
    return obj[key] if hashable(key) and key in obj else Unknown("key")
