"""Decorators that are the user's own functions, applied as Python applies them when a `def` runs:
innermost first, each called with what the one below returned (`@double_output`, a factory's
`@concat_with(3)`, a registry's `@register`). A method's decorated value is bound to the instance
on attribute access (and for the module's forward) when it is a plain function, as a function
found on the class is.

Decorators that are not the user's functions (`@torch.no_grad()`, `@functools.wraps(fn)`, an
import shapelint cannot read) leave the function as it is, as before. A user decorator together
with staticmethod / classmethod / property, or one that returns something other than a function,
is not followed: the method is unknown.
"""

from __future__ import annotations

import libcst as cst

from ..core.values import FunctionRef, Ref, Unknown
from .extract import dotted
from .frame import Frame, LambdaRef

_DESCRIPTORS = ("staticmethod", "classmethod", "property")


def user_decorator(vm, d: cst.Decorator, frame: Frame):
    """The callable a decorator line stands for when it is the user's (`@name` or `@name(...)` of a
    function of theirs); None for any other decorator."""
    expr = d.decorator
    callee = expr.func if isinstance(expr, cst.Call) else expr
    if not isinstance(callee, cst.Name) or not (callee.value in frame.locals or callee.value in frame.globals):
        return None  # an attribute (`@torch.no_grad()`) or a builtin (`@staticmethod`): not the user's
    if not isinstance(vm.eval(callee, frame), (FunctionRef, LambdaRef)):
        return None
    return vm.eval(expr, frame) if isinstance(expr, cst.Call) else vm.eval(callee, frame)


def apply_user_decorators(vm, value, decorators, frame: Frame):
    """`value` passed through the user's decorators of a `def`, innermost first."""
    for d in reversed(decorators):
        decorator = user_decorator(vm, d, frame)
        if decorator is None:
            continue
        if not isinstance(decorator, (FunctionRef, LambdaRef)):
            return Unknown("a decorator factory that returned something shapelint cannot call", d)
        value = vm.call(decorator, [value], {}, d, frame)
    return value


def has_user_decorator(vm, fn: cst.FunctionDef, globals_) -> bool:
    frame = Frame(globals_)
    return any(user_decorator(vm, d, frame) is not None for d in fn.decorators)


def bound_method(vm, fn: cst.FunctionDef, owner, bound):
    """The method `fn` of class `owner` read on `bound`: its decorators applied, then bound. Only for
    a method with a decorator of the user's (`has_user_decorator`)."""
    if any(dotted(d.decorator) in _DESCRIPTORS for d in fn.decorators):
        return Unknown(f"`{fn.name.value}`: a decorator of the user's with staticmethod/classmethod/property")
    value = apply_user_decorators(vm, FunctionRef(fn, None, owner, owner.globals), fn.decorators, Frame(owner.globals))
    if isinstance(value, FunctionRef) and value.bound is None:
        return FunctionRef(value.node, bound, value.owner if value.owner is not None else owner, value.globals, value.captured,
                           value.defaults)
    return value if isinstance(value, Unknown) else Unknown(f"`{fn.name.value}` decorated into a value shapelint does not bind")


CACHE_NAME = "__shapelint_lru_cache__"  # the file's memo of cached calls, kept in its names (build_isolation puts it back)
_CACHES = ("functools.lru_cache", "functools.cache")
_PLAIN = (int, float, str, bool, type(None))


def cache_key(fn: FunctionRef, args, kwargs):
    """The memo key of a call of a function decorated with functools.lru_cache / cache, whose
    arguments are plain values; None for any other call (it runs)."""
    if not fn.node.decorators or fn.globals is None or not _is_cached(fn):
        return None
    if not all(_plain(a) for a in args) or not all(_plain(v) for v in kwargs.values()):
        return None
    return (id(fn.node), id(fn.bound), tuple((type(a), a) for a in args), tuple(sorted((k, type(v), v) for k, v in kwargs.items())))


def _is_cached(fn: FunctionRef) -> bool:
    for d in fn.node.decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        head, _, rest = (dotted(expr) or "").partition(".")
        ref = fn.globals.get(head)
        if isinstance(ref, Ref) and f"{ref.qualname}.{rest}".rstrip(".") in _CACHES:
            return True
    return False


def _plain(v) -> bool:
    return isinstance(v, _PLAIN) or (isinstance(v, tuple) and all(_plain(x) for x in v))
