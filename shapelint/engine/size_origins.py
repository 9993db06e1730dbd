"""Where a size that a view, a reshape or a functional op reads was written (issues 10.5, 16.4).

engine/callsite.py follows a layer argument that is a helper's parameter out to the call that
passed it. A size read by a forward is often a step further away: an attribute the module's
constructor set from its own parameter (`self.window_size = window_size`,
`self.normalized_shape = (normalized_shape,)`), read there or passed on to a helper
(`window_partition(x, self.window_size)`). Each such assignment keeps, on the module, the call
argument its value came from (`attr_sites`); a finding of a view or a functional op then names,
as a related location, the outermost place in the checked file where each size it read was
written (`super().__init__(window_size=3)`). Nothing is guessed: a parameter rebound before the
read, or an attribute whose value is not the one that assignment stored, has no origin.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from ..core.findings import Related, code_of
from ..core.values import ModuleValue
from . import callsite
from .cstwalk import walk
from .frame import ABSENT

MAX_HOPS = 8  # attribute-to-parameter steps followed for one size
PASSED_AS = ", passed as `"  # in a related location's message: where a size read was written


def note_attributes(vm, small: cst.Assign, value, frame) -> None:
    """`self.X = <parameter>` or `self.X = (<parameter>,)` in a method of the checked model: the
    call argument X's value came from, kept on the module; any other `self.X = ...` forgets it."""
    obj = frame.self_obj
    if not isinstance(obj, ModuleValue) or not vm.call_stack or vm.call_stack[-1].frame is not frame:
        return
    for t in small.targets:
        name = _self_attribute(t.target)
        if name is None or frame.locals.get("self") is not obj:
            continue
        site = _written(vm, small.value, value)
        sites = getattr(obj, "attr_sites", None)
        if site is not None:
            if sites is None:
                obj.attr_sites = sites = {}
            sites[name] = (value, site)
        elif sites:
            sites.pop(name, None)


def _written(vm, expr, value) -> Optional[callsite.CallArgument]:
    if isinstance(expr, cst.Name):
        return origin(vm, expr, value)
    if (isinstance(expr, (cst.Tuple, cst.List)) and len(expr.elements) == 1 and isinstance(value, (tuple, list))
            and len(value) == 1 and isinstance(expr.elements[0].value, cst.Name)):
        return origin(vm, expr.elements[0].value, value[0])
    return None


def _self_attribute(node) -> Optional[str]:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def origin(vm, node, value, b=None) -> Optional[callsite.CallArgument]:
    """The outermost argument in the checked file that gave the size read as `node` (a parameter
    name or `self.<attribute>`) with `value` in the code of call `b` (the running one); None if
    it was written where it is read."""
    b = b if b is not None else (vm.call_stack[-1] if vm.call_stack else None)
    found, through = None, ()
    for _ in range(MAX_HOPS):
        if b is None:
            break
        attr = _self_attribute(node)
        if attr is not None:
            site = _attribute_site(b, attr, value)
        elif isinstance(node, cst.Name):
            site = callsite.trace(vm, node, value, b)
        else:
            site = None
        if site is None:
            break
        if found is not None:
            through = through + (found.node,)
        found = callsite.CallArgument(site.node, site.names, False, site.entry, through + site.through, site.scope)
        node, b = site.node, site.scope
    return found


def _attribute_site(b, attr: str, value) -> Optional[callsite.CallArgument]:
    obj = b.frame.self_obj
    if not isinstance(obj, ModuleValue) or b.frame.locals.get("self") is not obj:
        return None
    recorded = (getattr(obj, "attr_sites", None) or {}).get(attr)
    if recorded is None or not callsite._same(obj.attrs.get(attr, ABSENT), recorded[0]):
        return None  # set since by code that did not note it (setattr, a mutation)
    stored, site = recorded
    if not (callsite._same(stored, value) or (isinstance(stored, (tuple, list)) and len(stored) == 1
                                                and callsite._same(stored[0], value))):
        return None
    return site


def _is_size(v) -> bool:
    if isinstance(v, (tuple, list)):
        return 0 < len(v) <= 8 and all(_is_size(x) for x in v)
    return isinstance(v, int) and not isinstance(v, bool)


def _reads(expr):
    """The parameter names and `self.<attribute>`s an expression reads, outermost first."""
    skip = set()
    for n in walk(expr):
        if id(n) in skip:
            continue
        if _self_attribute(n) is not None:
            skip.update(id(x) for x in walk(n))
            yield n
        elif isinstance(n, cst.Attribute):
            skip.add(id(n.attr))
        elif isinstance(n, cst.Name):
            yield n


def _value(b, n):
    if isinstance(n, cst.Name):
        return b.frame.locals.get(n.value, ABSENT)
    obj = b.frame.self_obj
    return obj.attrs.get(n.attr.value, ABSENT) if isinstance(obj, ModuleValue) else ABSENT


def relate(vm, node, findings) -> None:
    """Each finding of the call at `node` gets where the sizes it read were written: the sizes of
    its own argument when it names one (`self.normalized_shape`), else those of every argument."""
    b = vm.call_stack[-1] if vm.call_stack else None
    if not findings or b is None or not isinstance(node, cst.Call):
        return
    args = [a.value for a in node.args]
    for f in findings:
        inside = next((a for a in args if any(x is f.node for x in walk(a))), None)
        f.related += _origins(vm, b, [inside] if inside is not None else args, f.related)


def _origins(vm, b, exprs, have) -> List[Related]:
    out: List[Related] = []
    seen = {id(r.node) for r in have}
    for expr in exprs:
        for n in _reads(expr):
            value = _value(b, n)
            if value is ABSENT or not _is_size(value):
                continue
            site = origin(vm, n, value, b)
            if site is None or id(site.node) in seen:
                continue
            seen.add(id(site.node))
            shown = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
            out.append(Related(f"`{code_of(n)}` is {shown}{PASSED_AS}{code_of(site.node)}` here", site.node))
    return out


def move_to_attribute_origins(vm, node, findings) -> None:
    """A functional op's finding about its argument `self.<name>` (`F.layer_norm(x, self.shape)`)
    whose value the module's constructor took from a call's argument (`Norm(dims[i])`) belongs at
    that argument (issue 16.4), as callsite.move_to_constructor_arguments does for a subclass of
    a torch layer: the op's argument in the shared forward becomes a related location, and no
    edit is offered (the op's line is shared, and the number may differ per block)."""
    b = vm.call_stack[-1] if vm.call_stack else None
    obj = b.frame.self_obj if b is not None else None
    if not findings or not isinstance(obj, ModuleValue) or not isinstance(node, cst.Call):
        return
    for f in findings:
        name = _self_attribute(f.node)
        if name is None or not any(a.value is f.node for a in node.args):
            continue
        value = _value(b, f.node)
        site = origin(vm, f.node, value, b) if value is not ABSENT and _is_size(value) else None
        if site is None:
            continue
        read = f.node
        f.node = site.node
        f.module = f.module or obj.name
        f.parts = (f"{obj.label()}: ",) + tuple(f.parts)
        f.related = [r for r in f.related if r.node is not site.node]
        f.related.append(Related(f"{obj.label()}'s forward reads {name} here (`{code_of(node)}`)", read))
        f.edits, f.fix = [], None
