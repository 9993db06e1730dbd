"""Where the interpreter meets torch: every call, attribute and operator on torch values.

The knowledge itself is in the tables of `shapelint.torch` (LAYERS, METHODS, TORCH,
FUNCTIONAL, containers); this module finds the entry and calls it with the shape
context. A name, method or layer with no entry becomes unknown through
`vm.unmodelled`, and the explain table notes where shapes were lost.
"""

from __future__ import annotations

import libcst as cst

from ..core.values import BoundMethod, DeviceUnknown, FunctionRef, ModuleValue, ParameterTensor, Ref, Tensor, Unknown
from ..torch import composite, containers, einops_patterns, packed_sequence
from ..torch import functions as ops
from ..torch import (  # noqa: F401 - they register their ops into the tables of `functions`
    dtype_flow, expand_ops, float_unary, functional_conv, jit_calls, legacy_tensors, nonzero_ops, positional, products, result_dtypes, rotary_ops,
    sequence_ops, split_sample_ops, tensor_values,
)
from ..torch.functional_layers import replaced_parameter_differs, tied_forward, wrapped_module
from ..torch.init_functions import init_call
from ..torch.advanced_indexing import TORCH_DTYPES
from ..torch.kernels import index_tensor
from ..torch.receptive import ELEMENTWISE, MERGE_OPERATORS, merge_call
from ..torch.modules import LAYERS
from ..torch.spec import REQUIRED, SHAPE_FREE_PARAMS, Site, functional_params
from . import callsite, config_fields, method_decorators, mutation, numpy_overlay, parameter_identity, same_defect, size_origins
from .frame import hashable
from .pyvalues import math_call



def is_layer_ref(fn: Ref) -> bool:
    q = fn.qualname
    return q.startswith("torch.nn.") and q.count(".") == 2 and q.rsplit(".", 1)[1] in LAYERS


# ---------------------------------------------------------------------------- calls of imported names


def call_ref(vm, fn: Ref, args, kwargs, node):
    """A call of an imported name: a torch layer, container, function, or `math`/OrderedDict."""
    q = fn.qualname
    if q in ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"):
        return containers.construct(vm, q.rsplit(".", 1)[1], args, node)
    if q in ("collections.OrderedDict", "typing.OrderedDict"):
        return _ordered_dict(args, kwargs)
    if q in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
        return new_parameter(args, kwargs, node)
    if is_layer_ref(fn):
        return construct_layer(vm, fn, args, kwargs, node)
    if q.startswith("torch.nn.") and q[len("torch.nn."):] in composite.STATIC_METHODS:
        return apply_op(vm, composite.STATIC_METHODS[q[len("torch.nn."):]], q[len("torch."):], args, kwargs, node)
    if q.startswith("torch.nn.functional.") or q.startswith("torch.functional."):
        name = q.rsplit(".", 1)[1]
        return apply_op(vm, ops.FUNCTIONAL.get(name), "F." + name, args, kwargs, node)
    if q.startswith("torch.") and q.count(".") == 1:
        return apply_op(vm, ops.TORCH.get(q.split(".")[1]), q, args, kwargs, node)
    if q in ops.QUALIFIED:
        return apply_op(vm, ops.QUALIFIED[q], q[len("torch."):], args, kwargs, node)
    if q in packed_sequence.FUNCTIONS:
        return apply_op(vm, packed_sequence.FUNCTIONS[q], q.rsplit(".", 1)[1], args, kwargs, node)
    if q.startswith("math."):
        return math_call(q[5:], args)
    if q.startswith("numpy."):
        result = numpy_overlay.call(q[6:], args, kwargs)
        if result is not numpy_overlay.NOT_IN_TABLE:
            return result
    wrapped = wrapped_module(q, args, kwargs)
    if wrapped is not None:
        return wrapped
    filled = init_call(q, args)
    if filled is not None:
        return filled  # nn.init.*_(t): t, filled in place
    if q.startswith("einops."):
        layer = einops_patterns.construct(q, args, kwargs, node)
        if layer is not None:
            return layer
        if q in einops_patterns.FUNCTIONS:
            return apply_op(vm, einops_patterns.FUNCTIONS[q], q.rsplit(".", 1)[1], args, kwargs, node)
    if q.startswith("torch.nn.") and q.count(".") == 2:
        vm.explain.lost(node, f"`nn.{q.rsplit('.', 1)[1]}` has no shape rule yet")
        return ModuleValue(q.rsplit(".", 1)[1], node)  # a module whose calls are unknown
    if any(isinstance(a, Tensor) for a in args):
        vm.explain.lost(node, f"a call shapelint does not model (`{q}`)")
    if not q.startswith(_PURE_LIBRARIES) or q in _MUTATING_LIBRARY_FUNCTIONS:
        mutation.escape(vm, args, kwargs, f"given to `{q}`, which shapelint does not follow")
    return vm.unmodelled(f"`{q}`", node)


# libraries whose functions do not change the lists and dicts given to them
_PURE_LIBRARIES = ("torch.", "math.", "numpy.", "copy.", "logging.", "warnings.", "itertools.", "typing.", "json.",
                   "os.path.", "einops.")
_MUTATING_LIBRARY_FUNCTIONS = ("numpy.random.shuffle",)


def _ordered_dict(args, kwargs):
    """OrderedDict(mapping_or_pairs, **kwargs): the pairs first, then the keywords, as dict() does."""
    if len(args) > 1:
        return Unknown("OrderedDict")
    src = args[0] if args else {}
    if isinstance(src, dict):
        return {**src, **kwargs}
    if isinstance(src, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 and hashable(p[0]) for p in src):
        return {**dict(src), **kwargs}
    return Unknown("OrderedDict")


# the positional argument that is a fill value, not a size: unknown (`torch.finfo(x.dtype).min`),
# it leaves the shape known (the op's rule reads the dtype it can); torch.tensor's data likewise
# (a float of unknown value is a 0-d float tensor; its rule refuses data it cannot read)
_FILL_VALUE = {"torch.full": 1, "torch.tensor": 0}


def apply_op(vm, op, label, args, kwargs, node):
    """A torch function (`torch.cat`, `F.relu`): its table entry, with an explain row."""
    if op is None:
        if any(isinstance(a, Tensor) for a in args):
            vm.explain.lost(node, f"`{label}` has no shape rule yet")
        return vm.unmodelled(f"`{label}`", node)
    sized = [a for i, a in enumerate(args) if i != _FILL_VALUE.get(label)]
    if any(isinstance(a, Unknown) for a in sized if not isinstance(a, (list, tuple))) and not any(isinstance(a, Tensor) for a in args):
        return Unknown(f"`{label}` of unknown values", node)
    before = args[0] if args else None
    mark = vm.findings.mark()
    result = _passed_dtype(op(vm.ctx, Site(label, node), tuple(args), dict(kwargs)), args, ())
    vm.findings.relate_since(mark, lambda: callsite.attribute_arguments(vm, node))
    size_origins.relate(vm, node, vm.findings.since(mark))
    callsite.move_to_constructor_arguments(vm, node, vm.findings.since(mark))
    size_origins.move_to_attribute_origins(vm, node, vm.findings.since(mark))
    if isinstance(before, Tensor) and sum(isinstance(a, Tensor) for a in args) == 1:  # `rearrange(q, ...)`, `torch.reshape(k, ...)`
        same_defect.scope(vm, node, vm.findings.since(mark), skip=1)
    vm.explain.record_op(label, node, before, result, functional_params(label, args, kwargs), (args, kwargs))
    _note_merge(vm, label, tuple(args), kwargs, result)
    return result


def _note_merge(vm, label, args, kwargs, result) -> None:
    """`torch.cat([a, b], 1)`, `torch.add(a, b)`: the receptive field follows the operands."""
    if vm.explain.recording:
        merge = merge_call(label, args, kwargs)
        if merge is not None:
            vm.explain.record_merge(*merge, result)


# ---------------------------------------------------------------------------- layers


def construct_layer(vm, fn: Ref, args, kwargs, node, partial: bool = False, shift: int = 0) -> ModuleValue:
    """`nn.Conv2d(...)`: the arguments bound to torch's signature; checks run once the model is named.
    `shift`: how many positional arguments a functools.partial stored before the call's own."""
    name = fn.qualname.rsplit(".", 1)[1]
    spec = LAYERS[name]
    m = ModuleValue(name, node, spec=spec)
    if partial:  # some arguments could not be evaluated: the layer exists, its shapes are unknown
        for p, _d in spec.params:
            m.params[p] = Unknown("argument not evaluated")
        return m
    if spec.extra_ok:
        m.params = dict(kwargs)
        return m
    names = [p for p, _ in spec.params]
    if len(args) > len(names) or any(k not in names for k in kwargs):
        vm.explain.lost(node, f"arguments of `{name}` that do not match torch's signature")
        for p in names:
            m.params[p] = Unknown("bad arguments")
        return m
    defaults = dict(spec.params)
    for i, p in enumerate(names):
        if i < len(args):
            m.params[p] = args[i]
        elif p in kwargs:
            m.params[p] = kwargs[p]
        else:
            m.params[p] = Unknown(f"required argument `{p}` missing") if defaults[p] is REQUIRED else defaults[p]
    _note_argument_nodes(vm, m, node, names, shift)
    if spec.build is not None:
        spec.build(m, new_layer)
    return m


def _note_argument_nodes(vm, m: ModuleValue, node, names, shift: int = 0) -> None:
    """Which source expression gave each argument: findings and fixes point at it."""
    if not isinstance(node, cst.Call):
        return
    names = names[shift:]
    arg_nodes = list(node.args)
    positional = [a for a in arg_nodes if a.keyword is None and not a.star]
    if len(positional) == len([a for a in arg_nodes if a.keyword is None]):
        for i, a in enumerate(positional):
            if i < len(names):
                m.param_nodes[names[i]] = a.value
    for a in arg_nodes:
        if a.keyword is not None:
            m.param_nodes[a.keyword.value] = a.value
    for v in m.param_nodes.values():
        vm.units.note(v)
    callsite.note_layer_arguments(vm, m)


def new_layer(kind: str, node, **params) -> ModuleValue:
    """A torch layer that a block's __init__ creates itself (no arguments of the user's file)."""
    spec = LAYERS[kind]
    m = ModuleValue(kind, node, spec=spec)
    for p, default in spec.params:
        m.params[p] = params.get(p, default)
    return m


def module_forward(vm, m: ModuleValue, args, kwargs, node, x):
    """What calling module `m` returns: a torch layer's rule, a block's children, a user forward
    (a subclass of a torch layer with a forward of its own runs that one)."""
    if m.spec is not None and (m.cls is None or m.cls.find_method("forward")[1] is None):
        return layer_forward(vm, m, args, kwargs, node, x)
    if m.cls is not None:
        owner, fwd = m.cls.find_method("forward")
        if fwd is not None and fwd.decorators and method_decorators.has_user_decorator(vm, fwd, owner.globals):
            return vm.call(method_decorators.bound_method(vm, fwd, owner, m), args, kwargs, node)
        if fwd is not None:
            return vm.call_function(FunctionRef(fwd, m, owner, owner.globals), args, kwargs, node)
        if m.cls.is_sequential():
            return _sequential_forward(vm, m, args, kwargs, node, x)
        return vm.unmodelled(f"{m.kind} has no forward", node)
    if m.kind == "Sequential":
        return _sequential_forward(vm, m, args, kwargs, node, x)
    if m.kind == "Unknown":
        return Unknown("unknown module")
    vm.explain.lost(node, f"`{m.kind}` has no shape rule yet")
    return vm.unmodelled(f"`{m.kind}`", node)


def _sequential_forward(vm, m: ModuleValue, args, kwargs, node, x):
    """nn.Sequential.forward(self, input): called with any other inputs (two for a Bilinear
    inside it), torch raises TypeError; shapelint has no rule for that, so the output is unknown."""
    if not containers.takes_one_input(args, kwargs):
        vm.explain.lost(node, f"`{m.kind}` called with other than one input: nn.Sequential.forward takes one")
        return Unknown("nn.Sequential called with other than one input")
    return containers.sequential_forward(vm, m, x)


def layer_forward(vm, m: ModuleValue, args, kwargs, node, x):
    """A torch layer's forward, by its table entry."""
    if m.spec.call is None and not isinstance(x, (Tensor, packed_sequence.PackedSequenceValue)):
        return Unknown("input of unknown shape")
    if m.invalid:
        return Unknown("torch rejects this layer's constructor arguments")
    if any(isinstance(v, Unknown) for k, v in m.params.items() if k not in SHAPE_FREE_PARAMS):
        return Unknown("layer arguments unknown")  # the layer's arguments are unknown: its output is too
    if m.attrs and replaced_parameter_differs(m):
        tied = tied_forward(vm.ctx, m, x, node)  # F.embedding / F.linear of the tensors it holds now
        return tied if tied is not None else Unknown("a layer whose weight was replaced by another tensor")
    outer, vm.findings.site = vm.findings.site, m  # findings about its arguments may move to a call site
    try:
        if m.spec.call is not None:
            return m.spec.call(vm, m, args, kwargs, node)
        if isinstance(x, packed_sequence.PackedSequenceValue):
            return packed_sequence.layer_forward(vm.ctx, m, args, kwargs, node, x, m.spec.after)
        out = m.spec.forward(vm.ctx, m, x)
        return m.spec.after(vm.ctx, m, args, kwargs, node, out) if m.spec.after is not None else out
    finally:
        vm.findings.site = outer


def module_method(vm, m: ModuleValue, name, args, kwargs, node):
    static = composite.STATIC_METHODS.get(f"{m.kind}.{name}") if m.spec is not None else None
    if static is not None:
        return apply_op(vm, static, f"{m.kind}.{name}", args, kwargs, node)
    method = containers.METHODS.get(name)
    result = method(vm, m, args, kwargs, node) if method is not None else containers.NOT_MODELLED
    if result is containers.NOT_MODELLED and name in containers.CHANGING and containers.kind_of(m) is not None:
        vm.touch_children(m)
        containers.make_opaque(m)  # torch changed it (or raised) in a way shapelint does not follow
    return vm.unmodelled(f"module method `{name}`", node) if result is containers.NOT_MODELLED else result


# ---------------------------------------------------------------------------- tensors


# A tensor's dtype (known only for some: see Tensor.dtype) passes through an op that returns
# its input only where the op keeps the dtype; a cast sets it; any other op's result that is
# one of its inputs loses it (`mask + 0` is long, `idx / 2` float).
KEEPS_DTYPE = ("clone", "contiguous", "detach", "cpu", "cuda", "pin_memory", "flip", "roll", "requires_grad_")
# ops that move a tensor's values without computing new ones: the result has the input's dtype
# (SHP015 follows an index through `pos.unsqueeze(0)`, `idx.view(-1)`)
SHAPE_ONLY = ("view", "reshape", "unsqueeze", "squeeze", "flatten", "transpose", "permute", "t", "expand", "expand_as",
              "repeat", "narrow", "flip", "roll", "contiguous", "clone", "detach", "unflatten", "movedim", "swapaxes")
# of those, the ones whose result holds every value of the input (not narrow): arange's bound stays exact
SAME_VALUES = frozenset(SHAPE_ONLY) - {"narrow"}
CASTS = {"long": "long", "int": "int", "bool": "bool", "float": "float", "double": "float", "half": "float",
         "bfloat16": "float", "to": None, "type": None}



def _dtype_arg(x: Tensor, name: str, args, kwargs):
    """The dtype of `.to(torch.long)` / `.type(torch.bool)` / `.to(x.device, torch.bool)` (the one named),
    `.to("cuda")` / `.to(x.device)` (x's: a device only moves it), `.to(other)` (other's); None when not
    plain (`.type("torch.LongTensor")` names a type by a string: not read)."""
    named = [a for a in list(args) + [kwargs.get("dtype")] if isinstance(a, Ref)]
    devices = [a for a in list(args[:1]) + [kwargs.get("device")] if isinstance(a, (str, DeviceUnknown))]
    flags = [k for k in kwargs if k in ("non_blocking", "copy")]  # they change neither dtype nor values
    rest = len(args) + len(kwargs) - len(named) - len(devices) - len(flags)
    if len(named) == 1 and rest == 0:
        return TORCH_DTYPES.get(named[0].qualname)
    if name != "to":
        return None
    if not named and devices and rest == 0:
        return x.dtype
    if len(args) == 1 and not kwargs and isinstance(args[0], Tensor):
        return args[0].dtype
    return None


def _is_dtype_view(name, args, kwargs) -> bool:
    """`x.view(torch.float16)` reinterprets the bytes: a new dtype, not the input's."""
    return name == "view" and any(isinstance(a, Ref) for a in list(args) + list(kwargs.values()))


def _passed_dtype(result, inputs, keeps: tuple, name: str = None):
    if isinstance(result, Tensor) and any(result is a for a in inputs) and name not in keeps:
        out = result.with_dtype(None)
        if out is result and result.values_below is not None:  # new values: arange's bound is gone
            out = Tensor(result.shape, result.prov)
        return out
    return result


# The in-place tensor methods that change the tensor's own shape. Every other in-place method
# (`floor_`, `bernoulli_`, `clamp_min_`, ...) writes into the tensor with its shape unchanged, or
# raises: torch never broadcasts `self` of an in-place op.
SHAPE_CHANGING_IN_PLACE = frozenset({
    "t_", "transpose_", "swapaxes_", "swapdims_", "squeeze_", "unsqueeze_", "resize_", "resize_as_",
    "as_strided_", "set_", "sparse_resize_", "sparse_resize_and_clear_",
})


def tensor_method(vm, x: Tensor, name, args, kwargs, node):
    """`x.view(...)`, `x.size(0)`: the METHODS entry, with the tensor as first argument."""
    if isinstance(x, ParameterTensor) and name == "requires_grad_":
        parameter_identity.set_requires_grad(vm, x, kwargs.get("requires_grad", args[0] if args else True))
    op = ops.METHODS.get(name)
    label = f".{name}()"
    if op is None:
        vm.explain.lost(node, f"tensor method `.{name}()` has no shape rule yet")
        if name in SHAPE_CHANGING_IN_PLACE:  # `y.t_()`: the tensor itself, under every name, is unknown now
            vm.poisoned[id(x)] = (x, f"reshaped in place by `.{name}()`, which has no shape rule")
        return vm.unmodelled(label, node)
    mark = vm.findings.mark()
    result = op(vm.ctx, Site(label, node), (x,) + tuple(args), dict(kwargs))
    config_fields.place_head_split(vm, node, vm.findings.since(mark))
    same_defect.scope(vm, node, vm.findings.since(mark))
    size_origins.relate(vm, node, vm.findings.since(mark))
    if name.endswith("_") and name != "requires_grad_":
        tensor_values.forget(x)  # an in-place op may have changed the values
    if isinstance(result, Tensor) and name in CASTS:
        result = result.with_dtype(CASTS[name] if name not in ("to", "type") else _dtype_arg(x, name, args, kwargs))
        if result.dtype in ("long", "int"):  # an integer cast keeps arange's positions
            result = result.with_values_of(x)
    elif isinstance(result, Tensor) and name in SHAPE_ONLY and result is not x and not _is_dtype_view(name, args, kwargs):
        result = result.with_dtype(x.dtype)
        if name in SAME_VALUES and all(d != 0 for d in (result.shape or ())):
            result = result.with_values_of(x)
    else:
        result = _passed_dtype(result, (x,) + tuple(args), KEEPS_DTYPE, name)
    if isinstance(x, ParameterTensor) and isinstance(result, Tensor) and (name in SAME_OBJECT or name.endswith("_")):
        result = result.uncertain() if isinstance(result, ParameterTensor) else ParameterTensor.of(result, x.trainable).uncertain()
    elif isinstance(result, ParameterTensor):
        result = result.fresh(result.dtype)  # `p.clone()`, `p.view(-1)`: a new tensor, not a Parameter, in torch
    vm.explain.record_op(label, node, x, result, inputs=(x, args, kwargs))
    _note_merge(vm, label, (x,) + tuple(args), kwargs, result)
    return result


# methods torch may answer with the Parameter itself (`p.float()` of a float32 one, `p.mul_(2)`):
# whether the result is a Parameter is not followed (a module holding it has no parameter count)
SAME_OBJECT = frozenset(("to", "type", "float", "double", "half", "bfloat16", "cuda", "cpu", "contiguous", "type_as",
                         "requires_grad_", "share_memory_"))


def new_parameter(args, kwargs, node):
    """`nn.Parameter(t, requires_grad=True)`: a new Parameter (its own object) of t's shape."""
    if not args or not isinstance(args[0], Tensor):
        return Unknown("parameter", node)
    flag = kwargs.get("requires_grad", args[1] if len(args) > 1 else True)
    return ParameterTensor.of(args[0], flag if isinstance(flag, bool) else None)


def tensor_attribute(vm, x: Tensor, name: str):
    """`x.shape`, `x.ndim`, ... from ATTRIBUTES; any other name is a method (looked up when called)."""
    attribute = ops.ATTRIBUTES.get(name)
    if attribute is None:
        return BoundMethod(x, name)
    value = attribute(vm.ctx, x)
    # `p.data`, `p.T`: a new tensor, not the Parameter, in torch (the engine may give `p` itself)
    return value.fresh(value.dtype) if isinstance(value, ParameterTensor) else value


def tensor_operator(vm, op: str, a, b, node):
    """`a + b`, `a @ b`, ... where either side is a tensor."""
    operator = ops.OPERATORS.get(op)
    if operator is None:
        return vm.unmodelled("tensor operator", node)
    if op == "Add" and positional.added_table_report(vm.ctx, node, a, b):
        return Unknown("a positional table shorter than the sequence")
    result = _passed_dtype(operator(vm.ctx, node, a, b), (a, b), ())
    if op == "MatrixMultiply":
        vm.explain.matmul_operators += 1
    if vm.explain.recording and op in MERGE_OPERATORS:
        vm.explain.record_merge(ELEMENTWISE, (a, b), None, result, in_place=isinstance(node, cst.AugAssign))
    if vm.explain.flow is not None:
        vm.explain.record_operator(OPERATOR_SYMBOLS.get(op, op), node, a, b, result)
    return result


OPERATOR_SYMBOLS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "MatrixMultiply": "@",
                    "FloorDivide": "//", "Modulo": "%", "Power": "**", **result_dtypes.COMPARISONS}


def tensor_index(vm, x: Tensor, key, node):
    result = tensor_values.element(x, key) or index_tensor(vm.ctx, x, key, node)
    if vm.explain.flow is not None:
        vm.explain.record_operator("[...]", node, x, key, result)
    return result

