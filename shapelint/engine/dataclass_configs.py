"""`@dataclass` config classes, as CPython's `dataclasses` builds them.

The generated `__init__` binds the fields in definition order, bases' fields first (a field a
subclass redeclares keeps its base's place); a default is the class attribute, `field(default=)`
or a fresh `field(default_factory=)()` per instance; `init=False` fields are set from their
default only; `InitVar` pseudo-fields go to `__post_init__` alone, which runs last. `replace`
calls the class again with the instance's init fields and the changes; `asdict`/`astuple` copy
the fields recursively; `fields` gives each field's name and init flag. A frozen instance refuses attribute writes (FrozenInstanceError), and
`object.__setattr__(self, name, v)` (its `__post_init__` idiom) writes anyway. Anything else
(`kw_only`, `KW_ONLY`, a mutable default that CPython rejects) is unknown.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from ..core.values import ClassRef, FunctionRef, ModuleValue, Ref, Unknown
from . import config_fields
from .extract import ClassInfo, dotted
from .frame import Frame

FIELD = "dataclasses.field"
FUNCTIONS = ("dataclasses.field", "dataclasses.replace", "dataclasses.asdict", "dataclasses.astuple",
             "dataclasses.is_dataclass", "dataclasses.fields")
_NO_DEFAULT = object()


class FieldValue:
    """What `dataclasses.field(...)` returns in a class body."""

    __slots__ = ("default", "factory", "init", "other")

    def __init__(self, default, factory, init, other):
        self.default, self.factory, self.init, self.other = default, factory, init, other


class Field:
    __slots__ = ("name", "default", "factory", "init", "initvar", "node")

    def __init__(self, name, default, factory, init, initvar, node):
        self.name, self.default, self.factory, self.init, self.initvar, self.node = name, default, factory, init, initvar, node


class FieldView:
    """What `dataclasses.fields(x)` holds for one field: its name and whether __init__ takes it
    (HF's `to_tuple`: `getattr(self, f.name) for f in fields(self)`); other attributes are unknown."""

    __slots__ = ("values",)

    def __init__(self, f: Field):
        self.values = {"name": f.name, "init": f.init}

    def attribute(self, name: str):
        return self.values[name] if name in self.values else Unknown(f"`Field.{name}`")


def class_value(vm, c: ClassInfo, name: str):
    """A class attribute's value, evaluated once, in the class's module (a `field()` stays a FieldValue)."""
    if name in c.unsure and name not in c.attr_values:  # (a write after the class statement is kept)
        return Unknown(f"class attribute `{name}`, which the class body changes in a way shapelint does not follow")
    if name not in c.attr_values:
        c.attr_values[name] = Unknown("class attribute being evaluated")
        outer_unit, vm.units.current = vm.units.current, None
        c.attr_values[name] = vm.eval(c.class_attrs[name], Frame(c.globals, c))
        vm.units.current = outer_unit
    return c.attr_values[name]


def as_class_attribute(v):
    """`Cfg.name` after @dataclass: a field's default; a default_factory field has no class attribute."""
    if isinstance(v, FieldValue):
        return v.default if v.default is not _NO_DEFAULT else Unknown("a dataclass field without a class attribute")
    return v


def options(info: ClassInfo) -> Optional[dict]:
    """The keywords of the class's own `@dataclass(...)` decorator, or None when it is not one."""
    for d in info.node.decorators:
        call = d.decorator if isinstance(d.decorator, cst.Call) else None
        name = dotted(call.func if call else d.decorator) or ""
        head, _, rest = name.partition(".")
        ref = info.globals.get(head)
        q = f"{ref.qualname}.{rest}".rstrip(".") if isinstance(ref, Ref) else None
        if q == "dataclasses.dataclass":
            return {a.keyword.value: a.value for a in (call.args if call else ()) if a.keyword is not None} | {
                "positional": bool(call and any(a.keyword is None for a in call.args))}
    return None


def _flag(vm, info: ClassInfo, opts: dict, name: str, default: bool):
    node = opts.get(name)
    return default if node is None else vm.eval(node, Frame(info.globals, info))


def generated_init(info: ClassInfo) -> Optional[ClassInfo]:
    """The class whose generated `__init__` `info(...)` runs: the first class of the MRO that
    defines `__init__` or is a dataclass (None when that is a written `__init__`, or none is)."""
    for c in info.mro():
        if "__init__" in c.methods:
            return None
        if options(c) is not None:
            return c
    return None


def fields(vm, info: ClassInfo) -> Optional[List[Field]]:
    """CPython's `fields(cls)` plus InitVars, in `__init__` order; None where shapelint cannot tell."""
    out: dict = {}
    for c in reversed(info.mro()):
        opts = options(c)
        if opts is None:
            continue
        if opts["positional"] or any(_flag(vm, c, opts, k, False) is not False for k in ("kw_only",)):
            return None
        for f in _own_fields(vm, c):
            if f is None:
                return None
            out[f.name] = f  # a redeclared field keeps its base's place
    return list(out.values())


def _own_fields(vm, c: ClassInfo):
    body = c.node.body.body if isinstance(c.node.body, cst.IndentedBlock) else []
    for stmt in body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if not (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)):
                continue
            ann = small.annotation.annotation
            kind = (dotted(ann.value if isinstance(ann, cst.Subscript) else ann) or "").rsplit(".", 1)[-1]
            if kind == "ClassVar":
                continue
            if kind == "KW_ONLY":
                yield None
                return
            name = small.target.value
            default, factory, init = _NO_DEFAULT, None, True
            if small.value is not None:
                v = class_value(vm, c, name)
                if isinstance(v, FieldValue):
                    if v.other:
                        yield None
                        return
                    default, factory, init = v.default, v.factory, v.init
                elif isinstance(v, (list, dict, set)):
                    yield None  # ValueError: mutable default (CPython refuses the class)
                    return
                else:
                    default = v
            yield Field(name, default, factory, init, kind == "InitVar", small)


def init_instance(vm, obj: ModuleValue, owner: ClassInfo, args, kwargs, node) -> bool:
    """Run the generated `__init__` of `owner` on `obj`, then `__post_init__`; False when it
    cannot be followed (or raises: a missing or unexpected argument is a TypeError in Python)."""
    fs = fields(vm, owner)
    if fs is None:
        return False
    params = [f for f in fs if f.init]
    if len(args) > len(params) or any(k not in [f.name for f in params] for k in kwargs):
        return False
    initvars = []
    for i, f in enumerate(params):
        if i < len(args):
            v = args[i]
            if f.name in kwargs:
                return False
        elif f.name in kwargs:
            v = kwargs[f.name]
        elif f.default is not _NO_DEFAULT:
            v = f.default
        elif f.factory is not None:
            v = vm.call(f.factory, [], {}, node)
        else:
            return False  # TypeError: a required argument is missing
        if f.initvar:
            initvars.append(v)
        else:
            obj.attrs[f.name] = v
    for f in fs:
        if not f.init and not f.initvar:
            if f.factory is not None:
                obj.attrs[f.name] = vm.call(f.factory, [], {}, node)
            elif f.default is not _NO_DEFAULT:
                obj.attrs[f.name] = f.default
    config_fields.note_fields(vm, obj, owner, fs, params, args, kwargs, node)
    post_owner, post = obj.cls.find_method("__post_init__")
    if post is not None:
        from .objects import call_function  # objects builds instances through this module

        call_function(vm, FunctionRef(post, obj, post_owner, post_owner.globals), initvars, {}, node)
    return True


def make_field(vm, args, kwargs, node):
    if args:
        return Unknown("field() takes keyword arguments only", node)
    default = kwargs.get("default", _NO_DEFAULT)
    factory = kwargs.get("default_factory")
    init = kwargs.get("init", True)
    other = any(k not in ("default", "default_factory", "init", "repr", "compare", "hash", "metadata") for k in kwargs)
    if init not in (True, False) or (factory is not None and default is not _NO_DEFAULT):
        other = True
    return FieldValue(default, factory, init, other)


def call(vm, q: str, args, kwargs, node):
    """`dataclasses.<name>(...)`."""
    if q == FIELD:
        return make_field(vm, args, kwargs, node)
    obj = args[0] if len(args) == 1 else None
    if q == "dataclasses.is_dataclass" and isinstance(obj, (ModuleValue, ClassRef)):
        info = obj.info if isinstance(obj, ClassRef) else obj.cls
        return info is not None and any(options(c) is not None for c in info.mro())
    if q == "dataclasses.fields" and isinstance(obj, ClassRef) and not kwargs:
        fs = fields(vm, obj.info) if any(options(c) is not None for c in obj.info.mro()) else None
        return tuple(FieldView(f) for f in fs if not f.initvar) if fs is not None else Unknown(f"`{q}`", node)
    info = obj.cls if isinstance(obj, ModuleValue) else None
    if info is not None and not any(options(c) is not None for c in info.mro()):
        return Unknown(f"`{q}` of an instance that is no dataclass (TypeError)", node)
    fs = fields(vm, info) if info is not None and obj.spec is None and not info.is_module() else None
    if fs is None or obj.clobbered is not None or not obj.writes_known:
        return Unknown(f"`{q}` of a value shapelint does not know as a dataclass", node)
    if q == "dataclasses.fields":  # the fields, InitVars left out (CPython's fields())
        return tuple(FieldView(f) for f in fs if not f.initvar) if not kwargs else Unknown(f"`{q}`", node)
    if q == "dataclasses.replace":
        changes = dict(kwargs)
        for f in fs:
            if not f.init:
                if f.name in changes:
                    return Unknown("replace() of an init=False field raises ValueError", node)
            elif f.name not in changes:
                if f.initvar or f.name not in obj.attrs:
                    return Unknown("replace() needs an InitVar's value", node)
                changes[f.name] = obj.attrs[f.name]
        from .objects import instantiate
        return instantiate(vm, info, [], changes, node)
    if kwargs:
        return Unknown(f"`{q}` with a dict_factory/tuple_factory", node)
    values = [_plain_copy(vm, obj.attrs.get(f.name, Unknown("field not set"))) for f in fs if not f.initvar]
    if q == "dataclasses.asdict":
        return dict(zip([f.name for f in fs if not f.initvar], values))
    return tuple(values)


def _plain_copy(vm, v):
    """asdict's deep copy: nested dataclasses become dicts, lists/tuples/dicts are copied."""
    if isinstance(v, list):
        return [_plain_copy(vm, x) for x in v]
    if isinstance(v, tuple):
        return tuple(_plain_copy(vm, x) for x in v)
    if isinstance(v, dict):
        return {k: _plain_copy(vm, x) for k, x in v.items()}
    if isinstance(v, ModuleValue):
        if v.cls is not None and not v.cls.is_module() and fields(vm, v.cls) is not None:
            return call(vm, "dataclasses.asdict", [v], {}, None)
        return Unknown("asdict of an object it would deep-copy")
    return v


def frozen(vm, obj) -> bool:
    """Whether `obj.name = v` raises FrozenInstanceError (frozen is a class's property)."""
    if not isinstance(obj, ModuleValue) or obj.cls is None or obj.cls.is_module():
        return False
    c = next((c for c in obj.cls.mro() if options(c) is not None), None)
    return c is not None and _flag(vm, c, options(c), "frozen", False) is True
