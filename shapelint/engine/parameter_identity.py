"""Which `nn.Parameter` object each module holds, so that a tied weight is one parameter.

torch counts a Parameter once in `model.parameters()` however many modules hold it
(`self.lm_head.weight = self.wte.weight`, BERT's `self.decoder.bias = self.bias`, a Parameter
given to two modules), and each module's own `parameters()` lists it. Here a Parameter is one
`ParameterTensor` object: `nn.Parameter(t)` makes a new one, reading a torch layer's `.weight`
gives that layer's own (the same object at every read). Where the engine may hand back an
object torch would not (`p * 1` is the engine's `p` itself; `p.float()` may or may not be `p`
in torch), the value is marked uncertain, and a module holding it has no parameter count.

Also here: `self.named_parameters()` / `self.parameters()` as torch lists them (names in
`named_modules()` order, each Parameter once) and `self.apply(fn)` (fn on every module,
children first), so a weight-init loop in `__init__` leaves the model's tree exact.
"""

from __future__ import annotations

from math import prod
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..core.values import ModuleValue, ParameterTensor, Tensor, Unknown
from ..torch import containers, tensor_values
from ..torch.functional_layers import PARAMETERS, parameter
from ..torch.params import Counts, formula_counts

Shared = Dict[int, Tuple[int, bool]]  # id(Parameter) -> (numel, trainable)
_NEW_VALUE_NODES = (cst.BinaryOperation, cst.UnaryOperation, cst.Subscript)  # `a if c else b`, `a or b`: an operand itself, in torch too


def own_parameter(m: ModuleValue, name: str):
    """A torch layer's own `.weight`/`.bias`: the same Parameter at every read; None (bias=False);
    NO_PARAMETER where its shape is not known."""
    p = m.param_tensors.get(name)
    if p is None:
        t = parameter(m, name)
        if not isinstance(t, Tensor):
            return t
        p = m.param_tensors[name] = ParameterTensor(t.shape)
    return p


def read_through(vm, node, value: ParameterTensor):
    """A Parameter an expression evaluated to: uncertain where the expression computes a new
    tensor in torch but may be the engine's operand itself (`p * 1`, `p[...]`)."""
    if value.certain and isinstance(node, _NEW_VALUE_NODES):
        value = value.uncertain()
    if vm.poisoned:
        from .mutation import poisoned_value

        return poisoned_value(vm, value)
    return value


def after_torch_call(qualname: str, args, kwargs, value):
    """A torch function that returned one of its Parameter arguments: only nn.init.*_ returns
    the Parameter itself in torch (it fills it in place)."""
    if isinstance(value, ParameterTensor) and value.certain and not qualname.startswith("torch.nn.init."):
        if any(value is a for a in args) or any(value is v for v in kwargs.values()):
            return value.uncertain()
    return value


def set_on_value(vm, obj, name: str, value) -> None:
    """`obj.name = value` where obj is not a module. `x.weight = nn.Parameter(...)` on an object
    shapelint does not know may give a module of the model a Parameter: no model built by this
    run has a certain count. `p.requires_grad = False` (a freezing loop over parameters()) sets
    the Parameter's flag: unknown on one side of an undecided branch or for a value not a bool."""
    if isinstance(obj, Unknown) and (isinstance(value, ParameterTensor) or name in ("requires_grad", "data")):
        vm.explain.lost_count += 1  # it may be one of the model's Parameters
    elif isinstance(obj, ParameterTensor) and name == "requires_grad":
        set_requires_grad(vm, obj, value)
    elif name == "data" and isinstance(obj, Tensor):
        replace_data(obj, value)


def replace_data(t: Tensor, new) -> None:
    """`t.data = new` changes t itself, seen through every name of it: its values are new's,
    its size too. Of the same size (EDSR's MeanShift writes fixed weights), t keeps its shape
    and count; of another or an unknown size, t's shape is unknown from here on and a module
    holding it has no count (torch counts the new size; the layer's formula would be wrong)."""
    tensor_values.forget(t)
    if _numel(t) is not None and isinstance(new, Tensor) and new.shape is not None and tuple(new.shape) == tuple(t.shape):
        return
    t._shape, t._prov, t.slot = None, None, None
    if isinstance(t, ParameterTensor):
        t.certain = False


def set_requires_grad(vm, p: ParameterTensor, flag) -> None:
    p.trainable = flag if isinstance(flag, bool) and vm.write_log is None else None


def _numel(t) -> Optional[int]:
    shape = t.shape if isinstance(t, Tensor) else t
    if shape is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        return None
    return prod(shape)


def _held(v) -> Optional[Tuple[int, bool]]:
    """(numel, trainable) of a Parameter torch certainly registers; None when not certain."""
    if not isinstance(v, ParameterTensor) or not v.certain or v.trainable is None:
        return None
    n = _numel(v)
    return None if n is None else (n, v.trainable)


# ---------------------------------------------------------------------------- counting
def layer_holding(m: ModuleValue) -> Optional[Tuple[Counts, Shared]]:
    """A torch layer's own counts, split into what no other module can hold (its formula's, as
    constructed) and the Parameters that may be shared: a weight assigned to it, its own once read."""
    base = formula_counts(m)
    if base is None:
        return None
    if not m.attrs and not m.param_tensors:
        return base, {}
    table = PARAMETERS.get(m.kind)
    shapes = table(m.params) if table is not None and m.spec is not None else None
    anon, shared = base, {}
    for name, v in m.attrs.items():
        if not isinstance(v, (Tensor, Unknown, ModuleValue)) and name not in ("weight", "bias"):
            continue  # `layer.inplace = False`: a plain attribute, no tensor
        if shapes is None or name not in shapes:
            return None
        if shapes[name] is not False:
            anon = _without(anon, _numel(shapes[name]))
            if anon is None:
                return None
        if v is None:
            continue  # `layer.bias = None`: torch keeps the name, with no Parameter
        held = _held(v)
        if held is None:
            return None
        shared[id(v)] = held
    return key_read(m, anon, shared)


def key_read(m: ModuleValue, anon: Counts, shared: Shared) -> Optional[Tuple[Counts, Shared]]:
    """The layer's own Parameters that were read (and so may be held elsewhere too), keyed."""
    for name, p in m.param_tensors.items():
        if name in m.attrs:
            continue  # replaced: not the layer's any more
        n = _numel(p)
        anon = _without(anon, n)
        if anon is None or p.trainable is None or not p.certain:
            return None
        shared[id(p)] = (n, p.trainable)  # (False after `p.requires_grad = False`)
    return anon, shared


def _without(c: Optional[Counts], n: Optional[int]) -> Optional[Counts]:
    if c is None or n is None or c.trainable < n:
        return None
    return Counts(c.trainable - n, c.frozen, c.buffers)


def class_parameters(m: ModuleValue, registered: Dict[str, bool], optional: set) -> Optional[Shared]:
    """The Parameters a user class's module holds itself: `self.NAME = nn.Parameter(...)` names
    (`registered`) and any attribute given a Parameter (`self.p = shared`); None when not certain."""
    shared: Shared = {}
    for name in registered:
        v = m.attrs.get(name)
        if v is None and name in optional:
            continue  # the `else None` side: no parameter
        if _held(v) is None:
            return None
    for name, v in m.attrs.items():
        if isinstance(v, ParameterTensor):
            held = _held(v)
            if held is None:
                return None
            shared[id(v)] = held
    return shared


def total(holdings: List[Tuple[Counts, Shared]]) -> Counts:
    """Counts over modules, each Parameter once."""
    out, seen = Counts(), {}
    for anon, shared in holdings:
        out = out + anon
        seen.update(shared)
    for n, trainable in seen.values():
        out = out + (Counts(n) if trainable else Counts(0, n))
    return out


# ---------------------------------------------------------------------------- named_parameters, apply
def _own_named(m: ModuleValue, registered) -> Optional[List[tuple]]:
    """(name, Parameter) that `m` registers itself, in torch's order; None when not known."""
    if m.cls is None:
        if m.spec is None:
            return [] if m.kind in ("Sequential", "ModuleList", "ModuleDict") else None
        base = formula_counts(m)
        table = PARAMETERS.get(m.kind)
        if base == Counts() and not m.attrs:
            return []
        shapes = table(m.params) if table is not None else None
        if shapes is None or base is None or base.frozen or any(n not in shapes for n in m.attrs):
            return None
        out = []
        for name in shapes:
            v = m.attrs[name] if name in m.attrs else own_parameter(m, name)
            if v is not None and _held(v) is None:
                return None
            if v is not None:
                out.append((name, v))
        own = sum(_numel(shapes[n]) or 0 for n in shapes if shapes[n] is not False)
        return out if own == base.params else None  # the table lists every parameter the layer has
    names = registered(m)
    if names is None:
        return None
    out = []
    for name, v in m.attrs.items():
        if isinstance(v, ParameterTensor):
            if _held(v) is None:
                return None
            out.append((name, v))
        elif name in names and v is not None:
            return None
    return out


def named_parameters_of(root: ModuleValue, registered) -> Optional[List[tuple]]:
    """`root.named_parameters()`: modules in named_modules() order, each Parameter once."""
    out, seen_modules, seen = [], set(), set()

    def walk(m: ModuleValue, prefix: str) -> bool:
        if id(m) in seen_modules:
            return True
        if m.opaque or not m.exact or m.clobbered is not None or any(isinstance(v, Unknown) for v in m.attrs.values()):
            return False
        seen_modules.add(id(m))
        own = _own_named(m, registered)
        if own is None:
            return False
        for name, p in own:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((f"{prefix}{name}", p))
        return all(walk(c, f"{prefix}{k}.") for k, c in m.children.items() if c is not None)

    return out if walk(root, "") else None


def _registered_names(m: ModuleValue):
    from .summary import registered_parameter_names

    return registered_parameter_names(m)


def _named_parameters(vm, m, args, kwargs, node):
    found = None if args or kwargs else named_parameters_of(m, _registered_names)
    return containers.NOT_MODELLED if found is None else found


def _parameters(vm, m, args, kwargs, node):
    found = None if args or kwargs else named_parameters_of(m, _registered_names)
    return containers.NOT_MODELLED if found is None else [p for _n, p in found]


def _apply(vm, m, args, kwargs, node):
    """`m.apply(fn)`: fn on each child's subtree first, then on m (a module under two parents
    gets fn twice, as torch's recursion does); m itself is returned."""
    from .objects import mark_unfollowed

    if len(args) != 1 or kwargs or not _followable(m, set()):
        mark_unfollowed([m, args, kwargs])  # not followed: what fn writes is not known
        return m
    fn = args[0]

    def run(x: ModuleValue):
        for c in dict.fromkeys(c for c in x.children.values() if c is not None):
            run(c)
        vm.call(fn, [x], {}, node)

    run(m)
    return m


def _followable(m: ModuleValue, seen: set) -> bool:
    if id(m) in seen:
        return True
    seen.add(id(m))
    if m.opaque or not m.exact or len(seen) > 2000:
        return False
    return all(_followable(c, seen) for c in m.children.values() if c is not None)


def _module_requires_grad(vm, m, args, kwargs, node):
    """`model.requires_grad_(False)`: which of its parameters are trainable is not followed, so
    no model built by this run has certain trainable counts."""
    vm.explain.lost_count += 1
    stack, seen = [m], set()
    while stack:  # its own and its submodules' parameters: their counts are unknown (engine/summary.py)
        x = stack.pop()
        if isinstance(x, ModuleValue) and id(x) not in seen:
            seen.add(id(x))
            x.grad_flags_unknown = True
            stack.extend(x.children.values())
    return m


containers.METHODS.update(named_parameters=_named_parameters, parameters=_parameters, apply=_apply,
                          requires_grad_=_module_requires_grad)
containers.BOUND_ONLY = tuple(n for n in containers.BOUND_ONLY if n != "parameters")
