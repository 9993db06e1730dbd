"""Python's builtin functions, as a table of small functions `(vm, args, kwargs, node, frame)`.

A builtin name the table does not hold (map, set, ...) is bound but its calls are
unknown (`vm.unmodelled`). An unknown argument makes the result unknown, except for
the builtins that look at objects rather than values (isinstance, getattr, ...).
"""

from __future__ import annotations

import collections.abc

from typing import Callable, Dict

from ..core.symbolic import Expr
from ..core.values import Builtin, ClassRef, ExactQuotient, FunctionRef, ModuleValue, Ref, SuperProxy, Tensor, Unknown
from ..torch.names import torch_has
from . import class_relations, enums, iterators, mutation
from .eval_names import call_eval
from .exceptions import EXCEPTION_NAMES, raise_if_caught
from .frame import MAX_UNROLL, hashable
from .module_isinstance import abc_or_class_isinstance, module_isinstance
from .numpy_overlay import NdArray, NpInt
from .objects import mark_unfollowed, module_has
from .pyvalues import is_plain, truth

# every name that resolves to a builtin (the user's own definitions shadow them)
NAMES = {
    "range", "len", "int", "float", "min", "max", "abs", "sum", "zip", "enumerate", "list", "tuple",
    "dict", "reversed", "sorted", "isinstance", "round", "bool", "str", "super", "getattr", "setattr",
    "hasattr", "print", "any", "all", "map", "divmod", "pow", "set", "object", "slice", "eval", "type", "issubclass",
    "callable", "iter", "next", "filter",
} | EXCEPTION_NAMES  # exception classes: `raise ValueError(...)`, `except KeyError:`, `class E(Exception)`
_TAKE_UNKNOWN = ("isinstance", "callable", "print", "hasattr", "getattr", "setattr", "object.__setattr__")


def call_builtin(vm, name: str, args, kwargs, node, frame):
    if name == "super":
        return _super(args, frame)
    if name == "int" and len(args) == 1 and not kwargs and isinstance(args[0], ExactQuotient):
        return args[0].exact  # int(4*B / 4.0) is B
    if any(isinstance(a, Unknown) for a in args) and name not in _TAKE_UNKNOWN:
        return Unknown(f"{name}() of unknown")
    fn = BUILTINS.get(name)
    if fn is None:
        return vm.unmodelled(name, node)
    try:
        return fn(vm, args, kwargs, node, frame)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, RecursionError):
        return Unknown(f"{name}() failed")


def _super(args, frame):
    """`super()` looks past the method's own class; `super(Cls, obj)` past Cls in obj's MRO."""
    if len(args) == 2 and isinstance(args[0], ClassRef) and isinstance(args[1], ModuleValue):
        obj = args[1]
        if obj.cls is None or args[0].info not in obj.cls.mro():
            return Unknown("super(Cls, obj) of an obj that is no Cls (TypeError)")
        return SuperProxy(obj, args[0].info)
    if frame is None or frame.self_obj is None or (args and isinstance(args[0], ClassRef)):
        return Unknown("super")
    return SuperProxy(frame.self_obj, frame.cls)


def _numbers(seq) -> bool:
    return seq is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq)


def _range(vm, args, kwargs, node, frame):
    if all(isinstance(a, int) for a in args) and 1 <= len(args) <= 3:
        r = range(*args)
        return r if len(r) <= MAX_UNROLL else Unknown("range too long")
    return Unknown("range")


def _len(vm, args, kwargs, node, frame):
    v = args[0]
    if isinstance(v, iterators.PyIterator):
        return Unknown("len() of an iterator (TypeError)")
    if enums.is_enum_class(v):
        found = enums.distinct(vm, v.info)
        return Unknown("len of an enum") if found is None else len(found)
    if isinstance(v, (list, tuple, str, dict, range, set, NdArray)):
        return len(v)
    if isinstance(v, ModuleValue):
        return _module_len(vm, v, node)
    if isinstance(v, Tensor) and v.shape:
        return v.shape[0]
    return Unknown("len")


_SIZED_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def _module_len(vm, m: ModuleValue, node):
    """len(m): a torch container's number of modules; a class's own __len__; nn.Module itself has
    none (TypeError)."""
    if m.cls is not None:
        owner, method = m.cls.find_method("__len__")
        if method is not None:
            return vm.call(vm.get_attr(m, "__len__", node), [], {}, node)
        if not any(q in (f"torch.nn.{k}" for k in _SIZED_CONTAINERS) for q in m.cls.torch_bases()):
            return Unknown("len")
    elif m.kind not in _SIZED_CONTAINERS:
        return Unknown("len")
    return Unknown("len") if m.opaque else len(m.children)


def _conversion(name: str):
    fn = {"int": int, "float": float, "bool": bool, "str": str, "abs": abs, "round": round}[name]

    def convert(vm, args, kwargs, node, frame):
        if not args:  # int() is 0; abs() raises in Python
            return {"int": 0, "float": 0.0, "bool": False, "str": ""}.get(name, Unknown(name))
        v = args[0]
        if isinstance(v, Expr):
            return v if name == "int" else Unknown(name)
        if isinstance(v, (Tensor, ModuleValue)):
            return Unknown(name)
        if name == "round" and len(args) == 1 and isinstance(v, float):
            return round(v)
        if name in ("int", "float") and isinstance(v, str):
            try:
                return fn(*args)
            except ValueError:
                return raise_if_caught(vm, "ValueError", f"{name}() of a string that is no number")
        return fn(*args)

    return convert


def _min_max(name: str):
    pick = min if name == "min" else max

    def extremum(vm, args, kwargs, node, frame):
        if set(kwargs) - {"key", "default"} or (len(args) > 1 and "default" in kwargs):
            return Unknown(name)  # TypeError in Python
        seq = vm.iterate(args[0] if len(args) == 1 else args)
        if seq is not None and not seq and "default" in kwargs:
            return kwargs["default"]
        keys = _sort_keys(vm, seq, kwargs.get("key"), node, frame)
        if keys is None or not keys:
            return Unknown(name)  # an empty sequence raises ValueError
        best = pick(range(len(seq)), key=keys.__getitem__)  # the first of equal keys, as Python picks
        return seq[best]

    return extremum


def _sum(vm, args, kwargs, node, frame):
    seq = vm.iterate(args[0]) if args else None
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if len(args) > 2 or any(k != "start" for k in kwargs):
        return Unknown("sum")
    if _numbers(seq) and _numbers([start]):
        return sum(seq, start)
    if seq and any(isinstance(v, Tensor) for v in seq) and all(isinstance(v, Tensor) or _numbers([v]) for v in list(seq) + [start]):
        # `sum(skips)` of tensors: Python adds them one by one to 0, so torch broadcasts each `+`
        total = start
        for v in seq:
            total = vm.binop("Add", total, v, node)
            if isinstance(total, Unknown):
                return total
        return total
    return Unknown("sum")


def _zip(vm, args, kwargs, node, frame):
    seqs = [vm.iterate(a) for a in args]
    if any(s is None for s in seqs) or set(kwargs) - {"strict"}:
        return Unknown("zip")
    if kwargs.get("strict") is not False and kwargs and len({len(s) for s in seqs}) > 1:
        return Unknown("zip")  # zip(..., strict=True) of unequal lengths raises ValueError
    return iterators.PyIterator(tuple(t) for t in zip(*seqs))  # an iterator: drawn from once


def _enumerate(vm, args, kwargs, node, frame):
    seq = vm.iterate(args[0]) if args else None
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    return iterators.PyIterator(enumerate(seq, start)) if seq is not None and isinstance(start, int) else Unknown("enumerate")


def _sequence(name: str):
    def make(vm, args, kwargs, node, frame):
        if not args:
            return [] if name == "list" else ()
        it = args[0]
        seq = iterators.emptied(vm, it) if isinstance(it, iterators.PyIterator) else vm.iterate(it)
        if seq is None:
            return Unknown(name)
        return list(seq) if name == "list" else tuple(seq)

    return make


def _set(vm, args, kwargs, node, frame):
    """set() of known numbers (their iteration order is CPython's, fixed for numbers; a set of
    strings iterates in an order that changes per process, so it stays unknown)."""
    seq = vm.iterate(args[0]) if len(args) == 1 and not kwargs else [] if not args and not kwargs else None
    if seq is None or not all(v is None or type(v) in (int, bool, float, NpInt) for v in seq):
        return Unknown("set")
    return set(seq)


def _dict(vm, args, kwargs, node, frame):
    if not args:
        return dict(kwargs)
    if isinstance(args[0], dict):
        return dict(args[0], **kwargs)
    seq = vm.iterate(args[0])
    if seq is not None and all(isinstance(p, (list, tuple)) and len(p) == 2 and hashable(p[0]) for p in seq):
        return dict(seq)
    return Unknown("dict")


def _reversed(vm, args, kwargs, node, frame):
    seq = vm.iterate(args[0])
    return Unknown("reversed") if seq is None else iterators.PyIterator(reversed(seq))


def _sorted(vm, args, kwargs, node, frame):
    if len(args) != 1 or set(kwargs) - {"key", "reverse"} or not isinstance(kwargs.get("reverse", False), bool):
        return Unknown("sorted")
    seq = vm.iterate(args[0])
    keys = _sort_keys(vm, seq, kwargs.get("key"), node, frame)
    if keys is None:
        return Unknown("sorted")
    order = sorted(range(len(seq)), key=keys.__getitem__, reverse=kwargs.get("reverse", False))  # stable, as Python's
    return [seq[i] for i in order]


def _sort_keys(vm, seq, key, node, frame):
    """The values min/max/sorted compare: the items, or key(item); None unless each is a plain
    value (numbers, strings, tuples of them), whose order Python's own comparison decides (a
    TypeError there, `1 < "a"`, makes the call unknown)."""
    if seq is None:
        return None
    keys = list(seq) if key is None else [vm.call(key, [x], {}, node, frame) for x in seq]
    return keys if all(is_plain(k) for k in keys) else None


def _any_all(name: str):
    combine = any if name == "any" else all

    def test(vm, args, kwargs, node, frame):
        seq = vm.iterate(args[0])
        if seq is None:
            return Unknown(name)
        truths = [truth(v) for v in seq]
        if None in truths:
            return Unknown(name)
        return combine(truths)

    return test


def _divmod(vm, args, kwargs, node, frame):
    if all(isinstance(a, int) for a in args):
        return divmod(*args)
    return Unknown("divmod")


def _getattr(vm, args, kwargs, node, frame):
    """getattr(obj, name[, default]): the default only where `obj` certainly has no such
    attribute (a module whose every write shapelint knows); an attribute shapelint cannot read
    is unknown, never the default."""
    if len(args) >= 2 and isinstance(args[1], str):
        if len(args) == 3 and isinstance(args[0], ModuleValue) and module_has(args[0], args[1]) is False:
            return args[2]
        return vm.get_attr(args[0], args[1], node)
    return Unknown("getattr")


def _setattr(vm, args, kwargs, node, frame):
    if len(args) == 3 and isinstance(args[1], str):
        vm.set_attr(args[0], args[1], args[2])
    elif args:
        if isinstance(args[0], ModuleValue):
            mutation.clobber(args[0], "`setattr` with a name shapelint does not know")
        mark_unfollowed(args[0])  # a name not known: any attribute may have been set
    return None


def _object_setattr(vm, args, kwargs, node, frame):
    """`object.__setattr__(self, "name", v)`: a plain write, which a frozen dataclass allows."""
    if len(args) == 3 and isinstance(args[1], str) and not kwargs:
        vm.set_attr(args[0], args[1], args[2], bypass=True)
    else:
        _setattr(vm, args, kwargs, node, frame)
    return None


def _hasattr(vm, args, kwargs, node, frame):
    """hasattr on torch's modules (by shapelint's tables) and on modules whose every write is known."""
    if len(args) != 2 or kwargs or not isinstance(args[1], str):
        return vm.unmodelled("hasattr", node)
    obj, name = args
    if isinstance(obj, Ref):
        found = torch_has(obj.qualname, name)
    elif isinstance(obj, ModuleValue):
        found = module_has(obj, name)
    else:
        found = None
    return vm.unmodelled("hasattr", node) if found is None else found


def _pow(vm, args, kwargs, node, frame):
    if len(args) == 2:
        return vm.binop("Power", args[0], args[1], node)
    return Unknown("pow")


def _print(vm, args, kwargs, node, frame):
    return None


BUILTINS: Dict[str, Callable] = {
    "range": _range, "len": _len, "sum": _sum, "zip": _zip, "enumerate": _enumerate, "dict": _dict,
    "reversed": _reversed, "sorted": _sorted, "divmod": _divmod, "getattr": _getattr, "setattr": _setattr,
    "pow": _pow, "print": _print,
    "min": _min_max("min"), "max": _min_max("max"), "list": _sequence("list"), "tuple": _sequence("tuple"),
    "any": _any_all("any"), "all": _any_all("all"),
}
for _name in ("int", "float", "bool", "str", "abs", "round"):
    BUILTINS[_name] = _conversion(_name)


_PLAIN = {"int": int, "float": float, "bool": bool, "str": str, "tuple": tuple, "list": list, "dict": dict}


_ABSTRACT = {f"{m}.{n}": getattr(collections.abc, n) for m in ("collections.abc", "typing") for n in ("Iterable", "Sequence")}


def _isinstance(vm, args, kwargs, node, frame):
    """isinstance of a plain Python value or a tensor against builtin types and torch.Tensor
    (`pair(t)` helpers, `if isinstance(input, Tensor): prev = [input]`); any other object or
    class stays unknown (hasattr and other types: shapelint does not track them)."""
    if len(args) != 2 or kwargs:
        return Unknown("isinstance")
    v, types = args
    types = types if isinstance(types, tuple) else (types,)
    if types and all(isinstance(t, Ref) and t.qualname in class_relations.PARTIAL_CLASS for t in types):
        return class_relations.is_partial(v)
    if isinstance(v, ModuleValue) and types and all(isinstance(t, Ref) and t.qualname.startswith("torch.") for t in types):
        answers = [module_isinstance(v, t) for t in types]
        return True if True in answers else False if all(a is False for a in answers) else Unknown("isinstance")
    if types and all(isinstance(t, ClassRef) or (isinstance(t, Ref) and not t.qualname.startswith("torch.")) for t in types):
        answers = [abc_or_class_isinstance(v, t) for t in types]
        if True in answers or all(a is False for a in answers):
            return True in answers
        # not decided there (`collections.abc.Iterable`): the plain-type reading below may decide it
    known = []
    for t in types:
        if isinstance(t, Builtin) and t.name in _PLAIN:
            known.append(_PLAIN[t.name])
        elif isinstance(t, Ref) and t.qualname == "torch.Tensor":
            known.append(Tensor)
        elif isinstance(t, Ref) and t.qualname in _ABSTRACT and not isinstance(v, Tensor):
            known.append(_ABSTRACT[t.qualname])  # timm's to_2tuple: `isinstance(x, collections.abc.Iterable)`
        else:
            return Unknown("isinstance")
    if isinstance(v, Expr):
        v = 1  # a symbolic size is an int
    if isinstance(v, NpInt):
        return Unknown("isinstance of a numpy integer (not an int; shapelint does not track it past arithmetic)")
    if v is None or isinstance(v, (int, float, str, tuple, list, dict, Tensor)):
        return isinstance(v, tuple(known))
    if _class_or_function(v):
        return False  # `if not isinstance(name, str): return name` given nn.SiLU: a class is no str, int or tensor
    return Unknown("isinstance")


def _class_or_function(v) -> bool:
    """A class, function or module object: never an instance of a plain type or of torch.Tensor."""
    from .torch_calls import is_layer_ref  # imported here: torch_calls imports this module's neighbours

    return isinstance(v, (ClassRef, FunctionRef, ModuleValue)) or (isinstance(v, Ref) and is_layer_ref(v))


def _map(vm, args, kwargs, node, frame):
    """map(fn, seq, ...) of known sequences: the calls' results, in order (consumed at once,
    as `q, k, v = map(...)` and loops consume it)."""
    if len(args) < 2 or kwargs:
        return Unknown("map")
    seqs = [vm.iterate(a) for a in args[1:]]
    if any(s is None or len(s) > MAX_UNROLL for s in seqs):
        return Unknown("map")
    return iterators.PyIterator(vm.call(args[0], list(items), {}, node, frame) for items in zip(*seqs))


BUILTINS["isinstance"] = _isinstance
BUILTINS["hasattr"] = _hasattr
BUILTINS["map"] = _map
BUILTINS["set"] = _set
BUILTINS["object.__setattr__"] = _object_setattr


def _slice(vm, args, kwargs, node, frame):
    """slice(stop), slice(start, stop[, step]) of ints or None (a Swin mask's bands): the slice itself."""
    if kwargs or not 1 <= len(args) <= 3 or not all(a is None or (isinstance(a, int) and not isinstance(a, bool)) for a in args):
        return Unknown("slice")
    return slice(*args)


BUILTINS["slice"] = _slice
BUILTINS.update(class_relations.BUILTINS)
BUILTINS.update(iterators.BUILTINS)

BUILTINS["eval"] = call_eval
