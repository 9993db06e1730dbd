"""Calls of standard-library functions the engine models itself, by qualified name:
functools.partial, copy, importlib.import_module, dataclasses' functions, argparse and
types namespaces, namedtuples, torch.finfo/iinfo/is_tensor, the re module, itertools, operator's binary functions and functools.reduce. Everything else goes on to the torch tables (engine/torch_calls.py)."""

from __future__ import annotations

from ..core.values import BaseMethod, ModuleValue, Unknown
from ..torch import type_info
from . import (dataclass_configs, functional_tools, itertools_calls, module_lookup, namedtuples, namespaces, numpy_overlay, objects,
               partials, stdlib_calls, text_values)

NOT_MODELLED_HERE = object()


def call(vm, qualname: str, args, kwargs, node):
    """The call's value, or NOT_MODELLED_HERE when `qualname` is none of these."""
    if qualname in partials.PARTIAL:
        return partials.make_partial(vm, args, kwargs, node)
    if qualname in partials.COPIES:
        return partials.copy_value(vm, qualname, args, node)
    if qualname in module_lookup.IMPORTERS:
        return module_lookup.import_module(vm, args, kwargs, node)
    if qualname in dataclass_configs.FUNCTIONS:
        return dataclass_configs.call(vm, qualname, args, kwargs, node)
    if qualname in namespaces.CONSTRUCTORS:
        return namespaces.construct(vm, qualname, args, kwargs, node)
    if qualname in namedtuples.CONSTRUCTORS:
        return namedtuples.make_type(vm, qualname, args, kwargs, node)
    if qualname in type_info.CONSTRUCTORS:
        return type_info.type_info(qualname, args, kwargs, node)
    if qualname == type_info.IS_TENSOR:
        return type_info.is_tensor(args, kwargs, node)
    if qualname in text_values.QUALNAMES:
        return text_values.call(qualname, args, kwargs)
    if qualname.startswith("torch.nn.") and qualname.endswith(".__init__"):
        return _explicit_base_init(vm, qualname[:-len(".__init__")], args, kwargs, node)
    if qualname == "typing.cast":
        return cast(args, kwargs)
    if qualname in functional_tools.QUALNAMES:
        return functional_tools.call(vm, qualname, args, kwargs, node)
    if qualname in itertools_calls.QUALNAMES:
        return itertools_calls.call(qualname, args, kwargs)
    if qualname in stdlib_calls.NAMES:
        return stdlib_calls.call(vm, qualname, args, kwargs, node)
    return NOT_MODELLED_HERE


def _explicit_base_init(vm, base: str, args, kwargs, node):
    """`nn.Module.__init__(self)`, `nn.Sequential.__init__(self, *layers)`: what `super().__init__(...)`
    does, for a torch base of self's own class; any other use goes on to the torch tables (not modelled there)."""
    obj = args[0] if args else None
    cls = getattr(obj, "cls", None)
    if not isinstance(obj, ModuleValue) or cls is None or base not in cls.torch_bases():
        return NOT_MODELLED_HERE
    return objects.call_base_method(vm, BaseMethod(obj, base, "__init__"), list(args[1:]), kwargs, node)


def method(vm, obj, name: str, args, kwargs, node):
    """A method of a value these libraries made (a numpy array, an ArgumentParser), or NOT_MODELLED_HERE."""
    if isinstance(obj, numpy_overlay.NdArray):
        return numpy_overlay.method(obj, name, args, kwargs)
    if isinstance(obj, namespaces.ParserValue):
        return namespaces.parser_method(vm, obj, name, args, kwargs, node)
    if isinstance(obj, namedtuples.NamedTupleValue):
        return namedtuples.method(vm, obj, name, args, kwargs, node)
    if isinstance(obj, text_values.MatchValue):
        return text_values.match_method(obj, name, args, kwargs)
    if isinstance(obj, text_values.PatternValue):
        return text_values.pattern_method(obj, name, args, kwargs)
    return NOT_MODELLED_HERE


def cast(args, kwargs):
    """typing.cast(T, v) is v, unchanged."""
    return args[1] if len(args) == 2 and not kwargs else Unknown("typing.cast")
