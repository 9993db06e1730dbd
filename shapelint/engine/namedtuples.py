"""`collections.namedtuple(...)` and `class C(typing.NamedTuple)`, as the standard library builds them.

A namedtuple type is a class (a synthetic `ClassInfo` for `collections.namedtuple`, the user's
class for `typing.NamedTuple`, so subclasses and their methods work); an instance is a real
tuple (`NamedTupleValue`), so indexing, unpacking, len, iteration, `==` and `isinstance(x, tuple)`
are Python's, with its fields read by name, `_replace`, `_asdict` and `_fields`. Field names
given as "a b" / "a, b" / a list; `defaults=` applies to the last fields; `rename=` or a
`__new__` of the user's is unknown.
"""

from __future__ import annotations

import keyword

from typing import List, Optional, Tuple

import libcst as cst

from ..core.values import ClassRef, FunctionRef, Ref, Unknown
from .extract import ClassInfo, dotted

CONSTRUCTORS = ("collections.namedtuple", "typing.NamedTuple")
_NO_DEFAULT = object()


class NamedTupleValue(tuple):
    """An instance of a namedtuple type: `info` is its class."""

    info: ClassInfo = None


def make_type(vm, q: str, args, kwargs, node):
    """`namedtuple("Name", fields, defaults=...)` / functional `NamedTuple("Name", [(f, t), ...])`."""
    if len(args) != 2 or not isinstance(args[0], str) or any(k not in ("defaults", "module") for k in kwargs):
        return Unknown(f"`{q}` call shapelint does not read", node)
    spec = args[1]
    if q == "typing.NamedTuple":
        spec = [f[0] if isinstance(f, tuple) and len(f) == 2 else None for f in spec] if isinstance(spec, (list, tuple)) else None
    elif isinstance(spec, str):
        spec = spec.replace(",", " ").split()
    if not isinstance(spec, (list, tuple)) or not all(isinstance(f, str) and f.isidentifier() and not f.startswith("_") for f in spec):
        return Unknown("namedtuple fields shapelint does not know (or that Python rejects)", node)
    defaults = kwargs.get("defaults", ())
    if defaults is None:
        defaults = ()
    if not isinstance(defaults, (list, tuple)) or len(defaults) > len(spec):
        return Unknown("namedtuple defaults shapelint does not know", node)
    if not args[0].isidentifier() or keyword.iskeyword(args[0]) or any(keyword.iskeyword(f) for f in spec):
        return Unknown("a namedtuple name Python rejects (ValueError)", node)
    try:
        info = ClassInfo(cst.parse_statement(f"class {args[0]}:\n    pass\n"), {})
    except cst.ParserSyntaxError:  # an identifier CPython takes and libcst's tokenizer does not
        return Unknown("a namedtuple name shapelint cannot read", node)
    info.namedtuple = (list(spec), [_NO_DEFAULT] * (len(spec) - len(defaults)) + list(defaults))
    return ClassRef(info)


def fields_of(vm, info: ClassInfo) -> Optional[Tuple[List[str], list]]:
    """The fields and defaults of a namedtuple class or a subclass of one; None for other classes,
    Unknown for a NamedTuple shapelint cannot read."""
    for c in info.mro():
        if getattr(c, "namedtuple", None) is not None:
            return c.namedtuple
        if any(isinstance(b, Ref) and b.qualname == "typing.NamedTuple" for b in c.bases):
            return _class_fields(vm, c)
    return None


def _class_fields(vm, c: ClassInfo):
    from .dataclass_configs import class_value

    names, defaults = [], []
    body = c.node.body.body if isinstance(c.node.body, cst.IndentedBlock) else []
    for stmt in body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                ann = small.annotation.annotation
                if (dotted(ann.value if isinstance(ann, cst.Subscript) else ann) or "").endswith("ClassVar"):
                    continue
                names.append(small.target.value)
                defaults.append(class_value(vm, c, small.target.value) if small.value is not None else _NO_DEFAULT)
    c.namedtuple = (names, defaults)
    return c.namedtuple


def instantiate(vm, info: ClassInfo, fields, args, kwargs, node):
    names, defaults = fields
    if any("__new__" in c.methods for c in info.mro()):
        return Unknown(f"`{info.name}.__new__` of the user's", node)
    if len(args) > len(names) or any(k not in names for k in kwargs) or any(n in kwargs for n in names[:len(args)]):
        return Unknown(f"`{info.name}(...)` raises TypeError", node)
    values = list(args)
    for n, d in zip(names[len(args):], defaults[len(args):]):
        if n in kwargs:
            values.append(kwargs[n])
        elif d is _NO_DEFAULT:
            return Unknown(f"`{info.name}(...)` misses an argument (TypeError)", node)
        else:
            values.append(d)
    nt = NamedTupleValue(values)
    nt.info = info
    return nt


def attribute(vm, nt: NamedTupleValue, name: str, bound_method):
    names = fields_of(vm, nt.info)[0]
    if name in names:
        return nt[names.index(name)]
    if name == "_fields":
        return tuple(names)
    if name in ("_replace", "_asdict"):
        return bound_method(nt, name)
    from .objects import call_function, class_attr

    v = class_attr(vm, nt.info, name, nt)  # a method, property or class attribute of the user's class
    if isinstance(v, FunctionRef) and any(dotted(d.decorator) == "property" for d in v.node.decorators):
        return call_function(vm, v, [], {}, None)
    return v


def method(vm, nt: NamedTupleValue, name: str, args, kwargs, node):
    names = fields_of(vm, nt.info)[0]
    if name == "_asdict" and not args and not kwargs:
        return dict(zip(names, nt))
    if name == "_replace" and not args and all(k in names for k in kwargs):
        out = NamedTupleValue(kwargs.get(n, v) for n, v in zip(names, nt))
        out.info = nt.info
        return out
    return Unknown(f"`{name}` of a namedtuple (ValueError or not modelled)", node)
