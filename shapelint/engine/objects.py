"""The user's own classes and functions: attribute lookup along the MRO, calls, instances.

Functions run in a fresh `Frame` with their parameters bound as Python binds them;
`super()` looks past the owner in the MRO and reaches torch's own bases as
`BaseMethod` values (nn.Sequential.__init__, nn.Sequential.forward).
"""

from __future__ import annotations

from typing import Dict

import libcst as cst

from ..core.values import UNKNOWN, BaseMethod, BoundMethod, ClassRef, FunctionRef, ModuleValue, Ref, SuperProxy, Unknown
from ..torch import containers, layer_attributes, names
from ..torch.composite import STATIC_METHODS
from ..torch.functional_layers import NO_PARAMETER
from . import (callsite, class_bodies, cstwalk, dataclass_configs, dict_subclasses, enums, local_names, method_decorators,
               mutation, namedtuples, torch_calls)
from .extract import ClassInfo, dotted
from .parameter_identity import own_parameter
from .frame import (ABSENT, CALL_STEPS, MAX_DEPTH, MAX_STEPS, TooComplex, MAYBE_ABSENT, Frame, LambdaRef, LiveScope, RaiseSignal,
                    ReturnSignal, same_value)


# ---------------------------------------------------------------------------- attributes


def module_attr(vm, m: ModuleValue, name: str):
    if vm.poisoned and id(m.attrs) in vm.poisoned:  # `self.__dict__[unknown] = ...`
        mutation.clobber(m, vm.poisoned.pop(id(m.attrs))[1])
    if m.clobbered is not None and name not in m.rewritten and (m.cls is None or m.cls.find_method(name)[1] is None):
        return Unknown(m.clobbered)
    if name in ("__dict__", "__delattr__") or (name == "__setattr__" and not _torch_own_method(m, name)):
        mark_unfollowed(m)  # writes through them are not followed (nn.Module's own __setattr__ is: module_dunders)
    if name == "__dict__" and m.cls is not None and m.spec is None and not m.cls.is_module() and "__dict__" not in m.attrs:
        return m.attrs  # a plain instance's own dict: `self.__dict__.update(kwargs)` writes its attributes
    if m.cls is not None and any("__getattribute__" in c.methods for c in m.cls.mro()):
        return vm.unmodelled(f"attribute `{name}` of a class with its own __getattribute__")
    if name in m.children:
        return m.children[name]
    if name in m.attrs:
        return m.attrs[name]
    if m.spec is not None and (m.kind, name) in layer_attributes.DERIVED:
        return layer_attributes.derived(m.kind, name, m.params)
    if m.spec is not None and name in m.params and name != "bias":
        # (a layer's `.bias` is its Parameter, never the constructor's bias=True; a loss's weight= is kept as given;
        # a conv's stride=2 is stored as (2, 2))
        return layer_attributes.stored(m.kind, name, m.params[name])
    if m.spec is not None and (name in ("weight", "bias") or _table_parameter(m, name)):
        p = own_parameter(m, name)  # a torch layer's Parameter, the same object at every read (weight tying)
        if p is not NO_PARAMETER:
            return p
        if not _class_defines(m, name):  # torch's own Parameter (or None), of a shape the arguments do not give
            return Unknown(f"{m.kind}.{name}: a shape the layer's arguments do not tell")
    if name == "training" and not (m.cls is not None and any(name in c.methods or name in c.class_attrs for c in m.cls.mro())):
        # every module of a model is in the mode its forward runs in (engine/modes.py); while a
        # model is built, the mode torch builds it in (training), as `.eval()` / `.train(mode)` /
        # `self.training = flag` left it (YOLOv5 runs its forward in __init__ to measure strides)
        if vm.training is None:
            mode = m.attrs.get("training", m.built_mode)
            return mode if isinstance(mode, bool) else Unknown("training flag")
        vm.training_reads += 1  # the mode mattered: modes.run_both runs eval mode too
        return vm.training
    if (name in containers.METHODS or name in containers.BOUND_ONLY) and m.cls is not None and _torch_own_method(m, name):
        return BoundMethod(m, name)  # nn.Module's own method (`self.add_module`, `self.items()` of a ModuleDict subclass)
    if m.cls is not None:
        v = class_attr(vm, m.cls, name, m)
        if not isinstance(v, Unknown):
            return v
    if name in containers.METHODS or name in containers.BOUND_ONLY or (m.spec is not None and f"{m.kind}.{name}" in STATIC_METHODS):
        return BoundMethod(m, name)
    return vm.unmodelled(f"attribute `{name}` of {m.kind}")


def _table_parameter(m: ModuleValue, name: str) -> bool:
    """A parameter name of a torch layer other than weight/bias that its table lists (an LSTM's weight_ih_l0)."""
    return m.kind in _NAMED_PARAMETER_KINDS and name.startswith(("weight_", "bias_"))


_NAMED_PARAMETER_KINDS = ("LSTM", "GRU", "RNN")


def _class_defines(m: ModuleValue, name: str) -> bool:
    """Whether a user class of `m` (a torch layer's subclass) defines `name` itself."""
    return m.cls is not None and any(name in c.methods or name in c.class_attrs for c in m.cls.mro())


def _torch_own_method(m: ModuleValue, name: str) -> bool:
    """Whether `m.name` is nn.Module's method: a user module class that does not define `name`."""
    return m.cls is not None and m.cls.is_module() and not any(name in c.methods or name in c.class_attrs for c in m.cls.mro())


def module_has(m: ModuleValue, name: str):
    """`hasattr(m, name)`: True/False when shapelint knows every write to `m` and its class; else None."""
    if m.children.get(name, ABSENT) is not ABSENT:
        return True  # a submodule, or None (hasattr is True for a child set to None too)
    v = m.attrs.get(name, ABSENT)
    if v is not ABSENT:
        return None if isinstance(v, Unknown) and v.reason == MAYBE_ABSENT else True
    if m.spec is not None and name in m.params:
        return True
    if name in names.MODULE_ATTRIBUTES and (m.cls is None or m.cls.is_module()):
        return True
    info = m.cls
    if info is None or m.spec is not None or not m.writes_known or name.startswith("__"):
        return None  # torch's own layers and containers have attributes these tables do not list
    for c in info.mro():
        if name in c.methods:
            return None if _decorated(c.methods[name], "property") else True  # a property may raise
        if name in c.class_attrs:
            return True
        if any(not isinstance(b, (ClassRef, Ref)) or (isinstance(b, Ref) and b.qualname not in _PLAIN_BASES)
               for b in c.bases):
            return None  # a base shapelint does not read: it may define the name
    return False


_PLAIN_BASES = ("torch.nn.Module", "object")


def mark_unfollowed(v, seen=None) -> None:
    """Code shapelint cannot follow may write to `v` and what it holds: hasattr on them stays undecided."""
    seen = set() if seen is None else seen
    if id(v) in seen or len(seen) > 10_000:
        return
    seen.add(id(v))
    if isinstance(v, ModuleValue):
        v.writes_known = False
        for child in list(v.children.values()) + list(v.attrs.values()):
            mark_unfollowed(child, seen)
    elif isinstance(v, (list, tuple)):
        for x in v:
            mark_unfollowed(x, seen)
    elif isinstance(v, dict):
        for x in list(v.values()):
            mark_unfollowed(x, seen)


def class_attr(vm, info: ClassInfo, name: str, bound):
    if not name.startswith("_") and enums.enum_kind(info) is not None:
        found = enums.members(vm, info)
        if isinstance(found, Unknown) or name in found:
            return found if isinstance(found, Unknown) else found[name]  # `Norm.BATCH`: the member, not its value
    for c in info.mro():
        if name in c.methods:
            fn = c.methods[name]
            if fn.decorators and method_decorators.has_user_decorator(vm, fn, c.globals):
                return method_decorators.bound_method(vm, fn, c, bound)  # `@double_output def forward`
            if _decorated(fn, "staticmethod"):
                return FunctionRef(fn, None, c, c.globals)
            if _decorated(fn, "classmethod"):
                return FunctionRef(fn, ClassRef(info), c, c.globals)
            if is_property(fn):  # `cfg.hidden`, `self.num_features`: the getter runs on the instance
                if bound is None:
                    return vm.unmodelled(f"property `{name}` read on the class", None)
                return call_function(vm, FunctionRef(fn, bound, c, c.globals), [], {}, None)
            return FunctionRef(fn, bound, c, c.globals)
        if name in c.class_attrs:
            return dataclass_configs.as_class_attribute(dataclass_configs.class_value(vm, c, name))
    if name == "__name__":
        return info.name
    return vm.unmodelled(f"attribute `{name}` of class {info.name}")


def set_class_attr(info: ClassInfo, name: str, value) -> None:
    """`Config.width = 64`: later reads of the class attribute see the new value."""
    info.class_attrs.setdefault(name, None)
    info.attr_values[name] = value


def super_attr(vm, sp: SuperProxy, name: str):
    if isinstance(sp.obj, dict_subclasses.MappingValue):
        found = dict_subclasses.super_method(sp.obj, sp.owner, name)
        return found if found is not None else BoundMethod(sp.obj, name)  # dict's own (`super().__getitem__(key)`)
    mro = sp.obj.cls.mro() if isinstance(sp.obj, ModuleValue) and sp.obj.cls else []
    after = False
    for c in mro:
        if after and name in c.methods:
            return FunctionRef(c.methods[name], sp.obj, c, c.globals)
        if after and name == "__init__" and dataclass_configs.options(c) is not None:
            return BaseMethod(sp.obj, c, "__init__")  # the __init__ @dataclass generated for c
        if c is sp.owner:
            after = True
    if name == "__init__":
        bases = sp.owner.torch_bases() if sp.owner else []
        return BaseMethod(sp.obj, bases[0] if bases else "torch.nn.Module", "__init__")
    if name == "forward" and isinstance(sp.obj, ModuleValue) and sp.obj.spec is not None:
        return BaseMethod(sp.obj, sp.obj.spec, "forward")  # the torch layer's own forward
    if name == "forward" and isinstance(sp.obj, ModuleValue) and sp.obj.cls and sp.obj.cls.is_sequential():
        return BaseMethod(sp.obj, "torch.nn.Sequential", "forward")
    return vm.unmodelled(f"super().{name}")


def call_base_method(vm, bm: BaseMethod, args, kwargs, node):
    """`super().__init__(...)` / `super().forward(x)` that reach a torch base class."""
    if bm.name == "__init__" and isinstance(bm.base, ClassInfo):
        if not dataclass_configs.init_instance(vm, bm.obj, bm.base, args, kwargs, node):
            mutation.clobber(bm.obj, "a dataclass __init__ shapelint cannot follow")
        return None
    if bm.name == "__init__":
        if layer_base(bm.base):
            become_layer(vm, bm.obj, bm.base, args, kwargs, node)
        else:
            containers.init_from_base(vm, bm.obj, bm.base, args)
        return None
    if bm.obj.spec is not None:
        x = args[0] if args else kwargs.get("input", UNKNOWN)
        return torch_calls.layer_forward(vm, bm.obj, args, kwargs, node, x)
    return containers.sequential_forward(vm, bm.obj, args[0] if args else UNKNOWN)


def init_not_followed(vm, bm: BaseMethod, node) -> None:
    """`super().__init__(*args)` whose arguments cannot be evaluated: the module is unknown, never empty."""
    if bm.name != "__init__" or not isinstance(bm.obj, ModuleValue):
        return
    if isinstance(bm.base, ClassInfo):
        mutation.clobber(bm.obj, "a dataclass __init__ given arguments shapelint cannot evaluate")
        return
    if layer_base(bm.base):
        become_layer(vm, bm.obj, bm.base, [], {}, node, partial=True)
    else:
        containers.make_opaque(bm.obj)


def layer_base(base) -> bool:
    return isinstance(base, str) and torch_calls.is_layer_ref(Ref(base))


def become_layer(vm, obj: ModuleValue, base: str, args, kwargs, node, partial: bool = False) -> None:
    """A subclass of a torch layer: torch's __init__ of the base binds these arguments to `obj`.
    Findings point at the subclass's own constructor call (its arguments are what the user chose)."""
    layer = torch_calls.construct_layer(vm, Ref(base), args, kwargs, node, partial=partial)
    obj.kind, obj.spec, obj.params, obj.param_nodes = layer.kind, layer.spec, layer.params, {}  # kind: torch's rules read it
    obj.init_nodes = layer.param_nodes  # where its own forward's `self.<argument>` was written (callsite.py)
    obj.children.update(layer.children)


def _decorated(fn: cst.FunctionDef, name: str) -> bool:
    return any(dotted(d.decorator) == name for d in fn.decorators)


_PROPERTIES = ("property", "cached_property", "functools.cached_property")


def is_property(fn: cst.FunctionDef) -> bool:
    return any(dotted(d.decorator) in _PROPERTIES for d in fn.decorators)


def property_write(vm, obj: ModuleValue, name: str, value, node) -> bool:
    """`obj.name = value` where obj's class makes `name` a property: its setter runs (True); with
    no setter Python raises AttributeError: the write is not followed (True, value unknown).
    False when `name` is no property of obj's class."""
    for c in obj.cls.mro():
        fn = c.methods.get(name)
        if fn is not None and is_property(fn):
            setter = c.setters.get(name)
            if setter is not None:
                call_function(vm, FunctionRef(setter, obj, c, c.globals), [value], {}, node)
            else:
                mark_unfollowed(obj)
            return True
        if fn is not None or name in c.class_attrs:
            return False
    return False


# ---------------------------------------------------------------------------- calls


def call_lambda(vm, fn: LambdaRef, args, kwargs, node):
    if vm.depth >= MAX_DEPTH:
        mutation.escape(vm, args, kwargs, "given to a call nested too deep to follow")
        return Unknown("recursion too deep", node)
    params = fn.node.params
    frame = Frame(vm.globals, fn.cls, fn.self_obj)
    frame.locals.update(fn.captured)  # the enclosing function's names, as a closure sees them
    positional = list(params.posonly_params) + list(params.params)
    if not bind_params(vm, frame, positional, params, list(args), dict(kwargs), fn.defaults):
        mutation.escape(vm, args, kwargs, "given to a call shapelint could not follow")
        mark_unfollowed([args, kwargs])
        return Unknown("call of a lambda with arguments that do not bind", node)
    vm.depth += 1
    try:
        return vm.eval(fn.node.body, frame)
    finally:
        vm.depth -= 1


def call_function(vm, fn: FunctionRef, args, kwargs, node):
    """`fn(*args, **kwargs)`; a function under functools.lru_cache/cache returns the object its
    first call with these arguments returned (method_decorators.cache_key)."""
    key = method_decorators.cache_key(fn, args, kwargs)
    if key is None:
        return _call(vm, fn, args, kwargs, node)
    cache = fn.globals.setdefault(method_decorators.CACHE_NAME, {})
    if key not in cache:
        cache[key] = _call(vm, fn, args, kwargs, node)
    return cache[key]


def _call(vm, fn: FunctionRef, args, kwargs, node):
    vm.steps += CALL_STEPS  # a call costs several statements' time (frame, binding): the step budget counts it
    if vm.steps > MAX_STEPS:
        raise TooComplex("too many steps")
    if vm.depth >= MAX_DEPTH:
        mutation.escape(vm, args, kwargs, "given to a call nested too deep to follow")
        mark_unfollowed([fn.bound, args, kwargs])
        return Unknown("recursion too deep", node)
    params = fn.node.params
    frame = Frame(fn.globals if fn.globals is not None else vm.globals, fn.owner, fn.bound)
    frame.local_names = local_names.of(fn.node)
    if fn.captured is not None:
        frame.locals.update(fn.captured)  # the enclosing function's names (`n` of `def _ntuple(n): def parse(x)`)
    elif fn.owner is not None and fn.owner.captured is not None:
        frame.locals.update(fn.owner.captured)  # a method of a class made inside a function sees its names
    all_args = list(args)
    if fn.bound is not None:
        all_args = [fn.bound] + all_args
    positional = list(params.posonly_params) + list(params.params)
    defaults = fn.defaults if fn.defaults is not None or fn.owner is None else fn.owner.method_defaults.get(id(fn.node))
    if not bind_params(vm, frame, positional, params, all_args, dict(kwargs), defaults):
        mutation.escape(vm, args, kwargs, "given to a call shapelint could not follow")
        mark_unfollowed([all_args, kwargs])
        return Unknown(f"call of `{fn.node.name.value}` with arguments that do not bind", node)
    names = [p.name.value for p in positional][1 if fn.bound is not None else 0:]
    callsite.push(vm, frame, fn.node, callsite.argument_nodes(node, names, args, kwargs), node)
    vm.depth += 1
    outer_unit = vm.units.current
    as_units = vm.units.statements_are_units(fn.node)
    try:
        for stmt in fn.node.body.body:
            vm.units.current = stmt if as_units else None
            vm.exec_stmt(stmt, frame)
        result = None
    except ReturnSignal as r:
        result = r.value
    except RaiseSignal:
        if vm.try_depth:
            raise  # a `try` around the call catches it (its clauses match the exception's class), or not: Python's unwinding
        result = Unknown("the function raises on this path", node)
    finally:
        vm.depth -= 1
        vm.call_stack.pop()
        vm.units.current = outer_unit
        if frame.alt_returns:
            vm.explain.conditional -= 1
        _write_back_declared(vm, fn, frame)
    for alt in frame.alt_returns:
        if not same_value(alt, result):
            return Unknown("paths return different values", node)
    return result


_DECLARED: Dict[int, tuple] = {}  # id(FunctionDef) -> (the node, its `global` names, its `nonlocal` names)


def _write_back_declared(vm, fn: FunctionRef, frame: Frame) -> None:
    """`global n` / `nonlocal n`: the function's writes to n are the module's or the enclosing
    function's (the body ran with n as a local; its last value goes where Python put it)."""
    cached = _DECLARED.get(id(fn.node))
    if cached is None or cached[0] is not fn.node:
        g, nl = set(), set()
        # the fast indexed walk finds none in almost every function; only then the scope-exact scan
        stack = list(fn.node.body.children) if any(isinstance(n, (cst.Global, cst.Nonlocal)) for n in cstwalk.walk(fn.node.body)) else []
        while stack:  # the function's own scope: not the defs and classes inside it
            n = stack.pop()
            if isinstance(n, (cst.Global, cst.Nonlocal)):
                (g if isinstance(n, cst.Global) else nl).update(item.name.value for item in n.names)
            elif not isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.extend(n.children)
        cached = _DECLARED[id(fn.node)] = (fn.node, g, nl)
    _node, g, nl = cached
    for declared, target in ((g, frame.globals), (nl, fn.captured)):
        if target is None:
            continue
        # on an undecided path (or a while loop's trial run) a write must land in that path's own scope;
        # one that would land under both paths is unknown instead
        safe = vm.container_log is None or (isinstance(target, LiveScope) and target.frame.locals is vm.tentative_scope)
        for name in declared:
            if name in frame.locals:
                target[name] = frame.locals[name] if safe else Unknown("written by a nested function on an undecided path")


def parameter_defaults(vm, params: cst.Parameters, frame: Frame):
    """Each parameter's default, evaluated in `frame` (where the def or lambda runs); None when none has one."""
    with_default = [p for p in (*params.posonly_params, *params.params, *params.kwonly_params) if p.default is not None]
    return {p.name.value: vm.eval(p.default, frame) for p in with_default} or None


def call_instance(vm, obj: ModuleValue, args, kwargs, node):
    """`obj(x)` of a plain class's instance: its class's `__call__` (TypeError without one)."""
    owner, method = obj.cls.find_method("__call__")
    if method is None:
        return vm.unmodelled(f"call of a {obj.kind} instance, whose class has no __call__", node)
    return call_function(vm, FunctionRef(method, obj, owner, owner.globals), args, kwargs, node)


def bind_params(vm, frame: Frame, positional, params, args, kwargs, defaults=None) -> bool:
    n_posonly = len(params.posonly_params)
    for i, p in enumerate(positional):
        name = p.name.value
        if i < len(args):
            frame.locals[name] = args[i]
        elif name in kwargs and i >= n_posonly:  # a positional-only one given by keyword stays in kwargs (TypeError, or **kw's)
            frame.locals[name] = kwargs.pop(name)
        elif p.default is not None:
            frame.locals[name] = _default(vm, frame, p, defaults)
        else:
            frame.locals[name] = Unknown(f"argument `{name}` not given")
    extra = args[len(positional):]
    star = params.star_arg
    if isinstance(star, cst.Param):
        frame.locals[star.name.value] = tuple(extra)
    elif extra:
        return False
    for p in params.kwonly_params:
        name = p.name.value
        if name in kwargs:
            frame.locals[name] = kwargs.pop(name)
        elif p.default is not None:
            frame.locals[name] = _default(vm, frame, p, defaults)
        else:
            frame.locals[name] = Unknown(f"argument `{name}` not given")
    if params.star_kwarg is not None:
        frame.locals[params.star_kwarg.name.value] = dict(kwargs)
    elif kwargs:
        return False
    return True


def _default(vm, frame: Frame, p: cst.Param, defaults):
    """A parameter's default: the value evaluated where `def` ran (one object for every call, as in
    Python), else (a default that was unknown there) evaluated from the module's names now."""
    name = p.name.value
    if defaults is not None and name in defaults:
        return defaults[name]
    return vm.eval(p.default, Frame(frame.globals))


def instantiate(vm, info: ClassInfo, args, kwargs, node):
    if enums.enum_kind(info) is not None:
        return enums.by_value(vm, info, args[0]) if len(args) == 1 and not kwargs else vm.unmodelled("an enum class called so", node)
    nt_fields = namedtuples.fields_of(vm, info) if not info.is_module() else None
    if nt_fields is not None:
        return namedtuples.instantiate(vm, info, nt_fields, args, kwargs, node)
    if not info.is_module() and dict_subclasses.is_mapping_class(info) and dataclass_configs.generated_init(info) is None:
        return dict_subclasses.instantiate(vm, info, args, kwargs, node)  # (a dataclass mapping: its fields as attributes)
    obj = ModuleValue(info.name, node, cls=info)
    generated = dataclass_configs.generated_init(info) if not info.is_module() else None
    owner, init = info.find_method("__init__")
    if generated is not None:
        if not dataclass_configs.init_instance(vm, obj, generated, args, kwargs, node):
            mutation.escape(vm, args, kwargs, "given to a dataclass shapelint could not follow")
            return vm.unmodelled(f"`{info.name}(...)`: a dataclass __init__ shapelint cannot follow", node)
    elif init is not None:
        call_function(vm, FunctionRef(init, obj, owner, owner.globals), args, kwargs, node)
    elif info.is_sequential():
        containers.sequential_init(obj, args)
    elif info.torch_bases() and layer_base(info.torch_bases()[0]):
        become_layer(vm, obj, info.torch_bases()[0], args, kwargs, node)  # no __init__ of its own: torch's
    elif args or kwargs:
        # no __init__ of its own, and no dataclass's: NamedTuple, attrs, a base class outside this file
        return vm.unmodelled(f"`{info.name}(...)` without an __init__ shapelint can follow", node)
    return obj


def define_function(vm, stmt: cst.FunctionDef, frame: Frame):
    """`def f` in running code: the function, passed through its decorators that are the user's own
    functions or factories of theirs, innermost first (`@register_model` stores it in a registry and
    returns it; `@concat_with(3)` wraps it). Other
    decorators (staticmethod, torch.no_grad(), ...) leave the function itself, as before."""
    # inside a running function: a closure over its names (module-level code, even in a branch, has none)
    captured = LiveScope(frame) if vm.call_stack and frame.locals is not frame.globals else None
    defaults = parameter_defaults(vm, stmt.params, frame)
    if captured is None:  # module level: a default unknown now is read again at each call (as before)
        defaults = class_bodies.known_defaults(defaults)
    value = FunctionRef(stmt, None, None, frame.globals, captured, defaults)
    return method_decorators.apply_user_decorators(vm, value, stmt.decorators, frame)  # `@register`, `@factory(3)`


_FIRST_INPUT_NAMES = ("input", "input1", "query", "x")  # torch layers' first forward parameter


def first_input(m: ModuleValue, kwargs: dict):
    """The input a module called by keywords shows in its row: its forward's first parameter."""
    if m.cls is not None:
        _owner, fwd = m.cls.find_method("forward")
        params = list(fwd.params.posonly_params) + list(fwd.params.params) if fwd is not None else []
        return kwargs.get(params[1].name.value) if len(params) > 1 else None
    return next((kwargs[k] for k in _FIRST_INPUT_NAMES if k in kwargs), None)
