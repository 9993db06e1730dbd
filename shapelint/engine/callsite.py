"""Findings at the call site of the wrong argument (issues 16.4 and 10.5).

A layer built inside a helper (`def double_conv(in_channels, out_channels)`, a block class's
`__init__`, in the checked file or a sibling module) often gets its numbers from the helper's
parameters. When such a number is wrong, the mistake is the call that passed it
(`double_conv(base, base)`), not the shared helper. While the user's functions run, each call
keeps which argument expression bound which parameter (`Binding`); a layer argument that is a
bare parameter name, not reassigned in the function, with the value the call passed, has that
call's argument as its provenance, and so on outward while the argument is itself such a name.
The outermost such argument in the checked file is where findings about that layer argument
are reported, with the helper's layer as a related location, and where their fix edits go
(the helper itself is never edited). A number written inside the helper keeps the finding there.
"""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from ..core.findings import Related, code_of
from . import config_entries, config_fields, loop_elements
from .cstwalk import walk

class Binding:
    """One running call of a user function: its parameters' argument expressions and values."""

    __slots__ = ("frame", "fn_node", "args", "caller", "caller_unit", "in_checked_file", "call")

    def __init__(self, frame, fn_node, args, caller, caller_unit, in_checked_file, call=None):
        self.frame, self.fn_node, self.args = frame, fn_node, args
        self.call = call  # the call expression that runs the function
        self.caller = caller  # the Binding of the function whose code made this call (None: module level)
        self.caller_unit = caller_unit  # the position unit of the call expression
        self.in_checked_file = in_checked_file  # the call expression is in the checked file


class CallArgument:
    """Where a layer argument's value was written: `node` in the checked file, with the values
    of the names it reads (for a fix that keeps the expression); `entry`, the config entry it
    reads (engine/config_entries.py), where a finding about it goes."""

    __slots__ = ("node", "names", "fixable", "entry", "through", "scope")

    def __init__(self, node, names, fixable, entry=None, through=(), scope=None):
        self.node, self.names = node, names
        self.scope = scope  # the Binding whose code holds `node` (None: module level)
        self.fixable = fixable  # no name it reads is rebound where it is (a loop variable): an edit holds
        self.entry = entry
        # the inner calls' arguments that passed the value on, innermost first: where the wrong
        # number may have been passed (`SqueezeExcite(in_chs, ...)` inside a block built with in_chs)
        self.through = tuple(through)


def _same(a, b) -> bool:
    if isinstance(a, (int, float, str, tuple)) or a is None:
        return type(a) is type(b) and a == b
    return a is b


def _assigned(vm, fn_node) -> Set[str]:
    """The names a function body (re)binds anywhere: a parameter among them is not trusted
    (kept per interpreter, whose tree lives as long as it does)."""
    key = id(fn_node)
    found = vm.assigned_names.get(key)
    if found is None:
        found = set()
        for n in walk(fn_node.body):
            targets = ()
            if isinstance(n, cst.AssignTarget):
                targets = (n.target,)
            elif isinstance(n, (cst.AugAssign, cst.AnnAssign)):
                targets = (n.target,)
            elif isinstance(n, (cst.For, cst.CompFor)):
                targets = (n.target,)
            elif isinstance(n, (cst.AsName, cst.NamedExpr)):
                targets = (n.name if isinstance(n, cst.AsName) else n.target,)
            elif isinstance(n, (cst.Global, cst.Nonlocal)):
                found.update(x.name.value for x in n.names)
            for t in targets:
                found.update(_bound_names(t))
        vm.assigned_names[key] = found
    return found


def _unchanged(vm, b: Binding, name: str) -> bool:
    """Whether parameter `name` of the running call `b` still holds what the call passed: the body
    never rebinds it, or rebinds it only by assignments (each noted in `frame.rebound` as it runs)
    and none has run yet (`window_size = min(...)` under an `if` the map size decided against)."""
    if name in _other_bindings(vm, b.fn_node):
        return False
    return name not in _assigned(vm, b.fn_node) or name not in b.frame.rebound


def _other_bindings(vm, fn_node) -> Set[str]:
    """Names a function binds other than by an assignment the interpreter notes (`with ... as`,
    `except ... as`, imports, `del`, a nested `def`, `global`): a parameter among them is never trusted."""
    key = ("other", id(fn_node))
    found = vm.assigned_names.get(key)
    if found is None:
        found = set()
        for n in walk(fn_node.body):
            if isinstance(n, cst.AsName):
                found.update(_bound_names(n.name))
            elif isinstance(n, cst.ImportAlias) and n.asname is None:
                found.add(code_of(n.name).split(".")[0])  # `import name`, `from m import name`
            elif isinstance(n, cst.Del):
                found.update(_bound_names(n.target))
            elif isinstance(n, (cst.Global, cst.Nonlocal)):
                found.update(x.name.value for x in n.names)
            elif isinstance(n, (cst.FunctionDef, cst.ClassDef)):
                found.add(n.name.value)
        vm.assigned_names[key] = found
    return found


def _bound_names(target):
    """The names a target binds: `a`, `a, (b, *c)`; not `self.a` or `x[i]` (they bind no name)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for e in target.elements:
            yield from _bound_names(e.value)
    elif isinstance(target, cst.StarredElement):
        yield from _bound_names(target.value)


def argument_nodes(node, names, args, kwargs) -> dict:
    """{parameter: (argument expression, value)} of a call whose arguments are written out
    one by one (no `*args`/`**kwargs`, nothing added by a partial); {} otherwise."""
    if not isinstance(node, cst.Call) or any(a.star for a in node.args):
        return {}
    positional = [a.value for a in node.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    if len(positional) != len(args) or set(keywords) != set(kwargs) or len(positional) > len(names):
        return {}
    out = {name: (expr, value) for name, expr, value in zip(names, positional, args)}
    out.update((k, (expr, kwargs[k])) for k, expr in keywords.items())
    return out


def push(vm, frame, fn_node, args: dict, call=None) -> Binding:
    stack = vm.call_stack
    caller = stack[-1] if stack else None
    if caller is not None:
        checked = caller.frame.globals is vm.globals
    else:
        checked = vm.units.current is not None  # module-level code of the checked file
    b = Binding(frame, fn_node, args, caller, vm.units.current, checked, call)
    stack.append(b)
    return b


def trace(vm, node, value, b=None) -> Optional[CallArgument]:
    """The outermost argument in the checked file whose expression produced a layer argument
    written as `node` with `value` in the code of call `b` (the running one), or None (a number
    of the helper's own)."""
    if b is None:
        b = vm.call_stack[-1] if vm.call_stack else None
    found = None
    while isinstance(node, cst.Name) and b is not None:
        name = node.value
        bound = b.args.get(name)
        if bound is None:
            bound = loop_elements.element_argument(vm, b, name, value, _same, _unchanged)  # `for c in channels`
            if bound is None:
                break
        elif not _unchanged(vm, b, name) or not (_same(b.frame.locals.get(name), value) and _same(bound[1], value)):
            break
        node = bound[0]
        # a call in a sibling module's own function counts too, where it writes the value (a
        # parameter it only passes on is the shared code's, never edited)
        passed_on = isinstance(node, cst.Name) and b.caller is not None and node.value in b.caller.args
        if b.in_checked_file or (b.caller is not None and not passed_on):
            if b.caller_unit is not None and b.in_checked_file:
                vm.units.node_unit[id(node)] = b.caller_unit
            scope = b.caller.frame.locals if b.caller is not None else vm.globals
            names = {n.value: scope.get(n.value) for n in walk(node) if isinstance(n, cst.Name)}
            rebound = _assigned(vm, b.caller.fn_node) if b.caller is not None else set(names)
            others = {e.value: v for e, v in b.args.values() if isinstance(e, cst.Name)}
            fn = b.caller.fn_node if b.caller is not None else None
            entry = _entry(vm, node, fn, value, others) if b.in_checked_file else None  # the checked file's configs
            through = found.through + (found.node,) if found is not None else ()
            found = CallArgument(node, names, not (set(names) & rebound), entry, through, b.caller)
        b = b.caller
    return found


def building_call(vm):
    """The call in the checked file, inside a function, that built the torch container subclass
    whose constructor runs now (`Conv2dNormActivation(width_in, width_out, kernel_size=1)` in a
    block's __init__, through any `super().__init__(...)` of its subclasses); None elsewhere. A layer built there is a part of
    that call's block, as a layer a helper function builds is a part of its call."""
    b = vm.call_stack[-1] if vm.call_stack else None
    if b is None or b.fn_node.name.value != "__init__":
        return None
    obj = b.frame.self_obj
    cls = getattr(obj, "cls", None)
    if cls is None or not _container_class(cls):
        return None
    while b.caller is not None and b.caller.frame.self_obj is obj and b.caller.fn_node.name.value == "__init__":
        b = b.caller  # `super().__init__(...)` of a subclass: the subclass's call built it
    if b.caller is None:
        return None  # a call at module level (`net = Block(3)`) builds the model itself, not a part of it
    return b.call if b.in_checked_file and isinstance(b.call, cst.Call) else None


def _container_class(cls) -> bool:
    bases = cls.torch_bases()
    return any(q in ("torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict") for q in bases)


def _entry(vm, node, scope, value, others):
    """The config entry `node` reads (engine/config_entries.py), noted for its position; or None."""
    entry = config_entries.entry_of(getattr(vm, "checked_tree", None), node, scope, value, others)
    if entry is not None:
        vm.units.node_unit[id(entry.node)] = entry.statement
    return entry


def note_layer_arguments(vm, m) -> None:
    """Each argument of layer `m` that came from a call's argument: m.call_args[param]; and the
    call that built the container subclass `m` is part of (m.built_by)."""
    if not vm.call_stack:
        return
    built_by = building_call(vm)
    if built_by is not None:
        m.built_by = built_by
    b = vm.call_stack[-1]
    own = {n.value: m.params.get(p) for p, n in m.param_nodes.items() if isinstance(n, cst.Name)}
    for p, n in m.param_nodes.items():
        site = trace(vm, n, m.params.get(p)) if isinstance(n, cst.Name) else None
        if site is None and b.frame.globals is vm.globals:  # the layer is built in the checked file
            entry = _entry(vm, n, b.fn_node, m.params.get(p), own) or config_fields.count_entry(vm, p, n, b.frame, m.params.get(p))
            site = CallArgument(n, {}, False, entry) if entry is not None else None
        if site is not None:
            if not getattr(m, "call_args", None):
                m.call_args = {}
            m.call_args[p] = site


def _expression(site: CallArgument, text: str) -> str:
    """The fixing number written with the argument's own name where it divides evenly
    (`base * 3` for 24 when base is 8), else the number."""
    try:
        want = int(text)
    except ValueError:
        return text
    ints = {k: v for k, v in site.names.items() if isinstance(v, int) and not isinstance(v, bool) and v > 0}
    if len(ints) == 1 and len(site.names) == 1:
        (name, v), = ints.items()
        if want == v:
            return name
        if want % v == 0:
            return f"{name} * {want // v}"
    return text


def relocate(finding, m) -> None:
    """A finding about an argument of layer `m` that a call passed: at that call's argument."""
    inner = next(((p, n) for p, n in m.param_nodes.items() if n is finding.node and p in m.call_args), None)
    if inner is None:
        return
    param, node = inner
    site = m.call_args[param]
    if site.entry is not None:  # a config entry: every block built from it shares this finding
        finding.node = site.entry.node
        finding.related.append(Related(f"{m.label()} takes {param} from `{code_of(site.node)}` here", site.node))
        if site.node is not node:
            finding.related.append(Related(f"{m.label()} takes {param} from `{code_of(node)}`, which the call passes", node))
        finding.edits, finding.fix = [], None  # the entry may be read elsewhere too: no edit
        return
    finding.node = site.node
    finding.related.append(Related(f"{m.label()} takes {param} from `{code_of(node)}`, which the call passes", node))
    finding.related += [Related(f"passed on here as `{code_of(n)}`", n) for n in site.through]
    edits = []
    for e in finding.edits if site.fixable else ():
        if e.node is node:
            e.node, e.text = site.node, _expression(site, e.text)
            edits.append(e)
    finding.edits = edits
    if edits and finding.fix:
        finding.fix = f"{finding.fix} (pass {edits[0].text} at this call)"
    elif not edits:
        finding.fix = None


def attribute_arguments(vm, node) -> list:
    """Related locations for a functional call inside a module's forward that reads the module's
    constructor arguments (`F.layer_norm(x, self.normalized_shape)` in a subclass of nn.LayerNorm):
    where each was written, at the call that passed it when a helper's parameter gave it."""
    b = vm.call_stack[-1] if vm.call_stack else None
    obj = b.frame.self_obj if b is not None else None
    if not isinstance(node, cst.Call) or obj is None:
        return []
    nodes = {**getattr(obj, "init_nodes", {}), **obj.param_nodes}
    out = []
    for a in node.args:
        v = a.value
        if isinstance(v, cst.Attribute) and isinstance(v.value, cst.Name) and v.value.value == "self":
            name = v.attr.value
            written = nodes.get(name)
            if written is not None:
                site = (getattr(obj, "call_args", None) or {}).get(name)
                where = site.node if site is not None else written
                out.append(Related(f"{obj.label()} {name} is set here (`{code_of(where)}`)", where))
    return out


def _self_attribute(node) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def move_to_constructor_arguments(vm, node, findings) -> None:
    """A functional op's finding about an argument `self.<name>` that the module's constructor was
    given (`F.layer_norm(x, self.normalized_shape)` in a subclass of nn.LayerNorm) belongs where that
    argument was written: the constructor call's argument, or the call that passed it on. There the
    blocks built by one line (`norm_layer(cnf.out_channels)` in a loop) share one finding
    (engine/repeats.py); the op's argument in the shared forward is a related location, and no edit
    is offered (the op's own line is shared, and the number differs per block)."""
    b = vm.call_stack[-1] if vm.call_stack else None
    obj = b.frame.self_obj if b is not None else None
    if not findings or obj is None or not isinstance(node, cst.Call):
        return
    written_at = {**getattr(obj, "init_nodes", {}), **obj.param_nodes}
    for f in findings:
        name = _self_attribute(f.node)
        written = written_at.get(name) if name is not None else None
        if written is None or not any(a.value is f.node for a in node.args):
            continue
        site = (getattr(obj, "call_args", None) or {}).get(name)
        where = site.node if site is not None else written
        read = f.node
        f.node = where
        f.module = f.module or obj.name
        f.parts = (f"{obj.label()}: ",) + tuple(f.parts)
        f.related = [r for r in f.related if r.node is not where]
        f.related.append(Related(f"{obj.label()}'s forward reads {name} here (`{code_of(node)}`)", read))
        f.edits, f.fix = [], None
