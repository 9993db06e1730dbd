"""Python's builtins about classes: type(x), issubclass(a, b), callable(x), and
isinstance(x, functools.partial), where the answer is certain.

Classes are values here: a builtin class (`int`), a torch class (`nn.BatchNorm2d`, a Ref), a
class of the user's file (a ClassRef), functools.partial. type() of a tensor is torch.Tensor or
nn.Parameter, of a torch layer instance its class under some module path: neither is followed,
so they stay unknown rather than guessed.
"""

from __future__ import annotations

from ..core.values import BoundMethod, Builtin, ClassRef, FunctionRef, ModuleValue, Ref, Tensor, Unknown
from ..core.symbolic import Expr
from .frame import LambdaRef
from .numpy_overlay import NpInt

PARTIAL_CLASS = ("functools.partial",)
_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", tuple: "tuple", dict: "dict"}
_PY_CLASSES = {v: k for k, v in _TYPE_NAMES.items()}
_MODULE_BASES = ("torch.nn.Module", "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict")


def _partial_value():
    from .partials import PartialValue  # partials imports torch_calls, which imports builtins

    return PartialValue


def _layer_ref(v) -> bool:
    from .torch_calls import is_layer_ref

    return isinstance(v, Ref) and (is_layer_ref(v) or v.qualname in _MODULE_BASES)


def type_of(vm, args, kwargs, node, frame):
    """type(x): a plain value's builtin class, a partial's functools.partial (CycleGAN's
    `type(norm_layer) == functools.partial`), an instance of the file's classes its class, a
    class's `type`."""
    if len(args) != 1 or kwargs:
        return vm.unmodelled("type() with three arguments (a new class)", node)
    v = args[0]
    if isinstance(v, _partial_value()):
        return Ref("functools.partial")
    if isinstance(v, Expr):
        return Builtin("int")  # a symbolic size is an int
    if type(v) in _TYPE_NAMES and not isinstance(v, NpInt):
        return Builtin(_TYPE_NAMES[type(v)])
    if isinstance(v, ModuleValue) and v.cls is not None:
        return ClassRef(v.cls)
    if _layer_ref(v) or isinstance(v, Builtin) and v.name in _PY_CLASSES:
        return Builtin("type")  # `norm_layer=nn.BatchNorm2d`, int: their metaclass is type
    return vm.unmodelled("type() of a value whose class shapelint does not track", node)


def is_partial(v):
    """isinstance(v, functools.partial)."""
    if isinstance(v, _partial_value()):
        return True
    if v is None or isinstance(v, (bool, int, float, str, list, tuple, dict, Builtin, Expr, ClassRef, FunctionRef, LambdaRef, ModuleValue)) \
            or _layer_ref(v):
        return False
    return Unknown("isinstance")


def _callable(vm, args, kwargs, node, frame):
    """callable(x): classes, functions, lambdas, partials, bound methods and modules (nn.Module
    has __call__) are; numbers, strings, containers, None and tensors are not."""
    if len(args) != 1 or kwargs:
        return Unknown("callable")
    v = args[0]
    if isinstance(v, (ClassRef, FunctionRef, LambdaRef, Builtin, BoundMethod, ModuleValue, _partial_value())) or _layer_ref(v):
        return True
    if v is None or isinstance(v, (bool, int, float, str, list, tuple, dict, Tensor, Expr)):
        return False
    return Unknown("callable")


def _issubclass(vm, args, kwargs, node, frame):
    """issubclass(a, b) of classes whose bases are known: the file's classes by their MRO, a
    torch layer class under nn.Module, builtin classes as Python relates them."""
    if len(args) != 2 or kwargs:
        return Unknown("issubclass")
    a, targets = args
    targets = targets if isinstance(targets, tuple) else (targets,)
    answers = [_subclass(a, t) for t in targets]
    if True in answers:
        return True
    return False if answers and all(x is False for x in answers) else Unknown("issubclass")


def _subclass(a, t):
    if isinstance(a, Builtin) and isinstance(t, Builtin) and a.name in _PY_CLASSES and t.name in _PY_CLASSES:
        return issubclass(_PY_CLASSES[a.name], _PY_CLASSES[t.name])
    if isinstance(a, ClassRef):
        mro = a.info.mro()
        if isinstance(t, ClassRef) and any(c is t.info for c in mro):
            return True
        bases = [b for c in mro for b in c.bases]
        if isinstance(t, Ref) and t.qualname == "torch.nn.Module" and any(_layer_ref(b) for b in bases):
            return True
        if isinstance(t, (ClassRef, Builtin)) and all(isinstance(b, ClassRef) or _layer_ref(b) for b in bases):
            return False  # every base is known, and none is t
        if isinstance(t, Ref) and t.qualname in _MODULE_BASES and all(isinstance(b, ClassRef) or isinstance(b, Ref)
                                                                      and b.qualname in _MODULE_BASES for b in bases):
            return t.qualname in {b.qualname for b in bases if isinstance(b, Ref)}
        return None
    if _layer_ref(a):
        if isinstance(t, Ref) and (t.qualname == a.qualname or t.qualname == "torch.nn.Module"):
            return True
        if isinstance(t, (ClassRef, Builtin)):
            return False  # a torch class derives from none of the file's classes, nor from int
    return None


BUILTINS = {"type": type_of, "issubclass": _issubclass, "callable": _callable}
