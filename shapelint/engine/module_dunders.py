"""`self.__setattr__(name, value)` and `self.__getattr__(name)` called explicitly on a module whose
class does not override them (CenterNet's heads: `self.__setattr__(head, fc)` in __init__, then
`self.__getattr__(head)(x)` in forward): nn.Module's own methods, followed as torch runs them.

nn.Module.__setattr__ is the `setattr` builtin for a module. nn.Module.__getattr__, called directly,
looks only in _parameters, _buffers and _modules (Python's instance dict is not consulted): a
submodule is returned; anything else is left unknown (a plain attribute makes torch raise)."""

from __future__ import annotations

from ..core.values import ModuleValue, Unknown
from ..torch import containers
from . import builtins


def _module_setattr(vm, m: ModuleValue, args, kwargs, node):
    if kwargs:
        return containers.NOT_MODELLED
    builtins._setattr(vm, [m, *args], {}, node, None)  # an unknown name clobbers, as setattr does
    return None


def _module_getattr(vm, m: ModuleValue, args, kwargs, node):
    if len(args) != 1 or kwargs or not isinstance(args[0], str) or m.opaque or m.clobbered is not None:
        return containers.NOT_MODELLED
    if args[0] in m.children:
        return m.children[args[0]]
    return Unknown(f"`__getattr__({args[0]!r})`: not a submodule shapelint knows")


containers.METHODS["__setattr__"] = _module_setattr
containers.METHODS["__getattr__"] = _module_getattr
