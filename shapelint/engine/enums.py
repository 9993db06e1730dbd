"""`enum.Enum` and its kin, as Python defines them: a class's members are objects of their own.

A plain Enum member equals only itself (`Norm.BATCH == "bn"` is False: before, the member was
read as its raw value and the comparison came out True), has `.name` and `.value`, and the class
lists its members (`len(Norm)`, `for n in Norm`), finds one by value (`Norm("bn")`) or name
(`Norm["BATCH"]`). `auto()` numbers from 1 (a StrEnum's gives the lower-cased name, a Flag's
powers of two). IntEnum/IntFlag/StrEnum members, and those of a class mixing in `int` or `str`,
are that int or str too (they add, compare and index as it). A name assigned twice the same
value is an alias of the first member. Anything else about an enum class (methods, `_missing_`,
`__members__`, functional `Enum("Name", ...)`) is not followed: unknown.
"""

from __future__ import annotations

import libcst as cst

from ..core.values import Builtin, ClassRef, Ref, Unknown
from .frame import Frame

ENUM_BASES = {"enum.Enum": "plain", "enum.IntEnum": "int", "enum.StrEnum": "str", "enum.Flag": "flag",
              "enum.IntFlag": "int-flag", "enum.ReprEnum": "plain"}


class EnumMember:
    """A plain Enum member: equal to itself only."""

    def __init__(self, cls, name, value):
        self.enum_cls, self.name, self.value = cls, name, value

    def __repr__(self):
        return f"<{self.enum_cls.name}.{self.name}>"


class IntMember(int):
    """An IntEnum / IntFlag member (or of an `int` mixin): the int itself, with a name."""

    enum_cls = None
    name = None

    @property
    def value(self):
        return int(self)


class StrMember(str):
    """A StrEnum member (or of a `str` mixin)."""

    enum_cls = None
    name = None

    @property
    def value(self):
        return str(self)


MEMBER_TYPES = (EnumMember, IntMember, StrMember)


def enum_kind(info):
    """"plain" / "int" / "str" / "flag" / "int-flag" for an enum class; None for any other class
    (or one whose bases shapelint cannot see)."""
    kind = None
    for c in info.mro():
        for b in c.bases:
            if isinstance(b, Ref) and b.qualname in ENUM_BASES:
                kind = kind or ENUM_BASES[b.qualname]
            elif isinstance(b, Builtin) and b.name in ("int", "str") and kind is None:
                kind = b.name + "-mixin"
    if kind is None or kind.endswith("-mixin"):
        return None if kind is None or not _derives_enum(info) else kind
    return kind


def _derives_enum(info) -> bool:
    return any(isinstance(b, Ref) and b.qualname in ENUM_BASES for c in info.mro() for b in c.bases)


def _is_auto(node) -> bool:
    return isinstance(node, cst.Call) and (
        (isinstance(node.func, cst.Name) and node.func.value == "auto")
        or (isinstance(node.func, cst.Attribute) and node.func.attr.value == "auto"))


def members(vm, info):
    """{name: member} in definition order (aliases map to the first member), or an Unknown."""
    cached = getattr(info, "enum_members", None)
    if cached is not None:
        return cached
    kind = enum_kind(info)
    info.enum_members = Unknown("enum members being evaluated")
    out, by_value, last = {}, [], 0
    for c in reversed(info.mro()):
        if c is not info and c.class_attrs:
            info.enum_members = Unknown("an enum class extending one with members (TypeError in Python)")
            return info.enum_members
    for name, node in info.class_attrs.items():
        if name.startswith("_") or node is None:
            continue
        if _is_auto(node):
            value = name.lower() if kind in ("str", "str-mixin") else (1 << max(last.bit_length(), 0) if kind in ("flag", "int-flag") else last + 1)
        else:
            value = vm.eval(node, Frame(info.globals, info))
        if isinstance(value, Unknown) or not isinstance(value, (int, str, float, tuple, bool)) or value is None:
            info.enum_members = Unknown(f"enum member `{name}` of a value shapelint does not follow")
            return info.enum_members
        if isinstance(value, int) and not isinstance(value, bool):
            last = value
        alias = next((m for v, m in by_value if v == value and type(v) is type(value)), None)
        if alias is not None:
            out[name] = alias
            continue
        member = _member(kind, info, name, value)
        if member is None:
            info.enum_members = Unknown(f"enum member `{name}` whose value does not fit the enum's type")
            return info.enum_members
        by_value.append((value, member))
        out[name] = member
    info.enum_members = out
    return out


def _member(kind, info, name, value):
    if kind in ("int", "int-flag", "int-mixin"):
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        m = IntMember(value)
    elif kind in ("str", "str-mixin"):
        if not isinstance(value, str):
            return None
        m = StrMember(value)
    else:
        m = EnumMember(info, name, value)
        return m
    m.enum_cls, m.name = info, name
    return m


def distinct(vm, info):
    """The members `for m in Cls` visits (no aliases), or None."""
    ms = members(vm, info)
    return None if isinstance(ms, Unknown) else _unique(ms.values())


def _unique(values):
    out = []
    for v in values:
        if not any(v is o for o in out):
            out.append(v)
    return out


def by_value(vm, info, value):
    """`Cls(value)`: the member with that value (a member given returns itself); else unknown (ValueError)."""
    ms = distinct(vm, info)
    if ms is None:
        return Unknown("an enum lookup shapelint does not follow")
    for m in ms:
        if m is value:
            return m
    for m in ms:
        raw = m.value
        if type(raw) is type(value) and raw == value:
            return m
    return Unknown(f"{info.name}({value!r}): no such member (ValueError)")


def by_name(vm, info, key):
    ms = members(vm, info)
    if isinstance(ms, Unknown) or not isinstance(key, str):
        return Unknown("an enum lookup shapelint does not follow")
    return ms.get(key, Unknown(f"{info.name}[{key!r}]: no such member (KeyError)"))


def attribute(obj, name: str):
    """`.name` / `.value` of a member; None for anything else."""
    if name == "name":
        return obj.name
    if name == "value":
        return obj.value
    return None


def compare_members(op: str, a, b):
    """`==`, `!=`, `is`, `is not` where a plain member is on one side: identity (Python's Enum);
    `is` between int/str members too. None where this does not decide."""
    plain = isinstance(a, EnumMember) or isinstance(b, EnumMember)
    if op in ("Is", "IsNot") and (isinstance(a, MEMBER_TYPES) or isinstance(b, MEMBER_TYPES)):
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return None
        return (a is b) if op == "Is" else (a is not b)
    if plain and op in ("Equal", "NotEqual"):
        if isinstance(a, Unknown) or isinstance(b, Unknown):
            return None
        return (a is b) if op == "Equal" else (a is not b)
    return None


def is_enum_class(v) -> bool:
    return isinstance(v, ClassRef) and enum_kind(v.info) is not None
