"""The static summary of a built model: parameters and buffers per named submodule.

Counts come from the layer formulas of `torch.params` and, for the user's own classes,
from the tensors they register themselves (`self.w = nn.Parameter(t)`,
`self.register_buffer("name", t)`) when those have known integer shapes. Anything
else is None (unknown), never a guess. Totals are over the unique modules of the
tree, as torch's `parameters()` counts a shared module once.
"""

from __future__ import annotations

from math import prod
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..core.values import ModuleValue, Tensor, Unknown
from ..torch.lazy import first_call_counts
from ..torch.params import Counts, own_counts
from ..torch.subclass_params import torch_layer_base_counts
from ..torch.weight_norm_params import weight_norm_counts
from .cstwalk import walk as _walk
from .extract import dotted
from .parameter_identity import Shared, class_parameters, key_read, layer_holding, total

_PARAM_CALLS = ("Parameter", "nn.Parameter", "torch.nn.Parameter", "nn.parameter.Parameter", "torch.nn.parameter.Parameter")


def _numel(v) -> Optional[int]:
    if isinstance(v, Tensor) and v.shape is not None and all(isinstance(d, int) and not isinstance(d, bool) for d in v.shape):
        return prod(v.shape)
    return None


def _param_call(v) -> bool:
    return isinstance(v, cst.Call) and dotted(v.func) in _PARAM_CALLS


def _requires_grad(call: cst.Call) -> Optional[bool]:
    """nn.Parameter(t, requires_grad): True/False where written as a literal (default True); None otherwise."""
    flag = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "requires_grad"), None)
    positional = [a for a in call.args if a.keyword is None]
    if flag is None and len(positional) > 1:
        flag = positional[1].value
    if flag is None:
        return True
    if isinstance(flag, cst.Name) and flag.value in ("True", "False"):
        return flag.value == "True"
    return None


class _Registered:
    """What a class's methods register by name: parameters, buffers; `unsure` for any other form."""

    def __init__(self):
        self.params: Dict[str, Optional[bool]] = {}  # name -> trainable where written as a literal
        self.buffers: List[str] = []
        self.optional = set()  # parameters assigned `nn.Parameter(...) if ... else None`
        self.unsure = False

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.IfExp) and any(_param_call(v) for v in (value.body, value.orelse)):
            # `self.gamma = nn.Parameter(...) if scale > 0 else None` (ConvNeXt's layer scale)
            calls = [v for v in (value.body, value.orelse) if _param_call(v)]
            others = [v for v in (value.body, value.orelse) if not _param_call(v)]
            if len(calls) == 1 and all(isinstance(v, cst.Name) and v.value == "None" for v in others):
                self._register(node, calls[0], optional=True)
                return
            self.unsure = True
        elif _param_call(value):
            self._register(node, value, optional=False)

    def _register(self, node: cst.Assign, call: cst.Call, optional: bool) -> None:
        t = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(t, cst.Attribute) and dotted(t.value) == "self":
            self.params[t.attr.value] = _requires_grad(call)  # (the value's own flag is what counts)
            if optional:
                self.optional.add(t.attr.value)
            return
        if isinstance(t, (cst.Name, cst.Attribute)):
            return  # a local Parameter, or another module's: counted where a module holds it (parameter_identity)
        self.unsure = True

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted(node.func) or ""
        if name.endswith(".register_buffer") or name.endswith(".register_parameter"):
            first = node.args[0].value if node.args else None
            if name == "self.register_buffer" and isinstance(first, cst.SimpleString):
                self.buffers.append(first.evaluated_value)
            else:
                self.unsure = True
        elif name in _PARAM_CALLS:
            pass  # counted by visit_Assign when assigned to self.NAME
        elif "Parameter" in name:  # ParameterList, ParameterDict, UninitializedParameter
            self.unsure = True
        elif name.endswith("requires_grad_") or (isinstance(node.func, cst.Attribute) and node.func.attr.value == "requires_grad_"):
            self.unsure = True  # also on a call's result: `nn.Conv2d(c1, 1, 1).requires_grad_(False)` (YOLOv8's DFL)
    # `p.requires_grad = False` is followed by the run on the Parameter object itself
    # (parameter_identity.set_on_value); on a value it does not know, no count is certain


_VISITS = {cst.Assign: _Registered.visit_Assign, cst.Call: _Registered.visit_Call}
_CLASS_CACHE: Dict[int, tuple] = {}  # id(ClassDef) -> (the node, what it registers)


def _registered(info) -> _Registered:
    cached = _CLASS_CACHE.get(id(info.node))
    if cached is None or cached[0] is not info.node:
        if len(_CLASS_CACHE) > 10000:
            _CLASS_CACHE.clear()
        found = _Registered()
        for n in _walk(info.node):  # a plain walk: libcst's own visit re-creates every node (most of an explain's time)
            visit = _VISITS.get(type(n))
            if visit is not None:
                visit(found, n)
        cached = _CLASS_CACHE[id(info.node)] = (info.node, found)
    return cached[1]


def own(m: ModuleValue) -> Optional[Counts]:
    """What module `m` itself registers (its children not included)."""
    held = holding(m)
    return None if held is None else total([held])


def holding(m: ModuleValue) -> Optional[Tuple[Counts, Shared]]:
    """What module `m` itself registers: counts no other module holds, and the Parameters that
    may be shared (tied), by identity (parameter_identity.py); None when not certain."""
    if m.grad_flags_unknown:
        return None  # `m.requires_grad_(flag)` ran: which of its parameters train is not followed
    if m.cls is None:
        if m.kind in ("Sequential", "ModuleList", "ModuleDict") and not m.children and not _built_empty(m):
            return None  # an empty container: often one whose contents shapelint could not follow
        if m.spec is None:
            c = own_counts(m)
            return None if c is None else (c, {})
        return layer_holding(m)
    if any(_hides_unknown(v) for v in m.attrs.values()):
        return None  # an attribute shapelint could not evaluate may hold a module or a parameter
    layer_bases = [q for q in m.cls.torch_bases() if q not in _CONTAINER_BASES]
    if not layer_bases:
        return _registered_holding(m, Counts(), {})  # torch's containers register no tensors themselves
    registered = {n for c in m.cls.mro() for n in (*_registered(c).params, *_registered(c).buffers)}
    base = torch_layer_base_counts(m, layer_bases, registered)
    if base is None or any(n in registered for n in m.param_tensors):
        return None
    keyed = key_read(m, base, {})
    return None if keyed is None else _registered_holding(m, *keyed)


_CONTAINER_BASES = ("torch.nn.Module", "torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict")


def _built_empty(m: ModuleValue) -> bool:
    """`nn.Sequential()` written with no arguments (a ResNet's identity shortcut): it holds nothing.
    A container whose contents shapelint lost is opaque and not exact, so it never gets here."""
    return isinstance(m.node, cst.Call) and not m.node.args and m.exact and not m.opaque


def registered_parameter_names(m: ModuleValue) -> Optional[set]:
    """The names `m`'s classes register as `self.NAME = nn.Parameter(...)`; None when a class
    registers in another way, or `m` is a subclass of a torch layer."""
    if m.cls is None or any(q not in _CONTAINER_BASES for q in m.cls.torch_bases()):
        return None
    regs = [_registered(c) for c in m.cls.mro()]
    return None if any(r.unsure for r in regs) else {n for r in regs for n in r.params}


def _registered_holding(m: ModuleValue, anon: Counts, shared: Shared) -> Optional[Tuple[Counts, Shared]]:
    """`anon`/`shared` plus what the user's classes of `m` register themselves (None when not certain)."""
    params, optional = {}, set()
    for c in m.cls.mro():
        reg = _registered(c)
        if reg.unsure:
            return None
        params.update(reg.params)
        optional |= reg.optional
        for name in reg.buffers:
            v = m.attrs.get(name)
            if v is None:
                continue  # register_buffer(name, None): torch registers nothing
            n = _numel(v)
            if n is None:
                return None
            anon = anon + Counts(0, 0, n)
    own = class_parameters(m, params, optional)
    if own is None:
        return None
    return anon, {**shared, **own}


def _hides_unknown(v) -> bool:
    if isinstance(v, Unknown):
        return True
    if isinstance(v, (list, tuple)):
        return any(isinstance(x, Unknown) for x in v)
    if isinstance(v, dict):
        return any(isinstance(x, Unknown) for x in v.values())
    return False


def subtree(m: ModuleValue, cache: Dict[int, Optional[Counts]], owns: Optional[Dict[int, object]] = None) -> Optional[Counts]:
    """Parameters and buffers of `m` and everything below it, each unique module and each
    Parameter once, as `m.parameters()` counts them (`owns`: each module's own holding, shared
    by the subtrees of one summary)."""
    key = id(m)
    if key in cache:
        return cache[key]
    owns = {} if owns is None else owns
    seen = set()
    held = []
    stack = [m]
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if id(x) not in owns:
            owns[id(x)] = holding(x) if x.exact else _counted(weight_norm_counts(x))  # None unless weight_norm(layer)
        h = owns[id(x)]
        if h is None:
            cache[key] = None
            return None
        held.append(h)
        stack.extend(ch for ch in x.children.values() if isinstance(ch, ModuleValue))
    cache[key] = total(held)
    return cache[key]


def _counted(c: Optional[Counts]):
    return None if c is None else (c, {})


# ---------------------------------------------------------------------------- the summary table
CONVENTION = "macs: multiply-accumulates = torch.utils.flop_counter.FlopCounterMode FLOPs / 2 (it counts matrix products and convolutions only)"
# functional ops and methods FlopCounterMode counts: a forward calling one has no static MAC total here
# (not F.bilinear: it runs aten._trilinear, which FlopCounterMode counts as 0 in torch 2.13)
_COUNTED_OPS = ("matmul", "mm", "bmm", "addmm", "baddbmm", "addbmm", "einsum", "tensordot", "linear",
                "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                "scaled_dot_product_attention", "multi_head_attention_forward", "cdist", "addmv", "mv", "chain_matmul",
                "lstm", "gru", "rnn_tanh", "rnn_relu", "inner", "vdot", "dot", "kron")
FLOAT_BYTES = 4  # float32, torch's default dtype


def _op_name(label: str) -> str:
    return label.strip(".()").rsplit(".", 1)[-1]


def _numel_of(shape) -> Optional[int]:
    if shape is None or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        return None
    return prod(shape)


def build_summary(tree: List[ModuleValue], calls, rows, lost: list, sizes, shape_of, matmul_operators: int = 1,
                  fields=None) -> dict:
    """Per named module: parameters, buffers, calls, last output, MACs and output bytes of its calls,
    the receptive field of its output; the totals. `calls` are every module call
    (ExplainRecorder.module_calls), `rows` the explain rows, `fields` each row's receptive field,
    `matmul_operators` how many `a @ b` of tensors ran (FlopCounterMode counts them too)."""
    from ..torch.params import macs

    cache: Dict[int, Optional[Counts]] = {}
    owns: Dict[int, Optional[Counts]] = {}
    per: Dict[int, dict] = {}
    whole = not tree or tree[0].exact
    _count_called_lazy_layers(tree, calls, owns)
    for m in tree:
        c = subtree(m, cache, owns) if (whole or (m.spec is not None and not m.children)) else None
        per[id(m)] = {"module": m.name or "", "kind": m.kind,
                      "params": c.params if c else None, "trainable": c.trainable if c else None,
                      "buffers": c.buffers if c else None, "calls": 0, "output": None, "macs": 0, "output_bytes": 0,
                      "receptive_field": None}
    total_macs, total_bytes = 0, 0
    leaf_ids = {id(m) for m in tree if m.spec is not None and not m.children}
    for e in calls:
        row = per.get(id(e.value))
        if row is None:  # a module torch does not register (held by a plain object): FlopCounterMode still counts its ops
            total_macs = total_bytes = None
            continue
        row["calls"] += 1
        inp, out = shape_of(e.inp), shape_of(e.out)
        row["output"] = sizes.display(out)
        leaf = id(e.value) in leaf_ids
        n = macs(e.value, _concrete(sizes, inp), _concrete(sizes, out)) if leaf and e.value.exact else None
        if e.branch or e.conditional:  # one side of an undecided branch: whether it runs is not known
            n = size = None
        row["macs"] = None if n is None or row["macs"] is None else row["macs"] + n
        size = _numel_of(_concrete(sizes, out)) if not e.branch and isinstance(e.out, Tensor) else None
        row["output_bytes"] = None if size is None or row["output_bytes"] is None else row["output_bytes"] + size * FLOAT_BYTES
        if leaf:
            total_macs = None if row["macs"] is None or total_macs is None else total_macs + n
            total_bytes = None if row["output_bytes"] is None or total_bytes is None else total_bytes + size * FLOAT_BYTES
    _receptive_columns(per, calls, rows, fields)
    for m in tree:
        if id(m) not in leaf_ids:
            per[id(m)]["macs"] = per[id(m)]["output_bytes"] = None  # totals below; a block's own ops are not split out
    if not whole or any(m.cls is not None and any(q not in ("torch.nn.Module", "torch.nn.Sequential") for q in m.cls.torch_bases()) for m in tree):
        total_macs = total_bytes = None  # a subclass of a torch layer runs its base's forward: not counted
    if lost or matmul_operators or any(r.module is None and _op_name(r.op) in _COUNTED_OPS for r in rows):
        total_macs = None
    if lost:
        total_bytes = None
    root = subtree(tree[0], cache, owns) if tree and whole else None
    modules = [per[id(m)] for m in tree[1:]]
    return {
        "convention": CONVENTION,
        "modules": modules,
        "total": {"params": root.params if root else None, "trainable": root.trainable if root else None,
                  "buffers": root.buffers if root else None, "macs": total_macs, "output_bytes": total_bytes},
    }


def _receptive_columns(per: Dict[int, dict], calls, rows, fields) -> None:
    """Each module's receptive field: the one every call of it has (explain rows, receptive_fields.py);
    None when a call's is unknown, its calls disagree, or it is not called."""
    if fields is None:
        return
    by_call = {}
    for row, field in zip(rows, fields):
        by_call[id(row)] = field
        if row.twin is not None:
            by_call[id(row.twin)] = field
    seen: Dict[int, list] = {}
    for e in calls:
        if id(e.value) in per:
            seen.setdefault(id(e.value), []).append(by_call.get(id(e)))
    for key, found in seen.items():
        if found[0] and all(f == found[0] for f in found):
            per[key]["receptive_field"] = {"size": [size for size, _ in found[0]], "jump": [jump for _, jump in found[0]]}


def _count_called_lazy_layers(tree: List[ModuleValue], calls, owns: Dict[int, Optional[Counts]]) -> None:
    """A Lazy* layer that this forward calls on every path holds its tensors once it has run
    (torch counts them after one forward); one never called, or called on one path only, stays unknown."""
    ran = {id(e.value) for e in calls if not e.branch and not e.conditional}
    for m in tree:
        if m.kind.startswith("Lazy") and id(m) in ran and m.exact:
            owns[id(m)] = _counted(first_call_counts(m))


def _concrete(sizes, shape):
    """A shape with the declared batch substituted: ints when every size is known."""
    shown = sizes.display(shape)
    if shown is None or not all(isinstance(d, int) for d in shown):
        return None
    return tuple(shown)
