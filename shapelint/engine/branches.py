"""Undecided control flow: run both sides of a branch and keep what holds on every path;
a loop that cannot be unrolled makes everything it may change unknown.

A path ends by falling through, returning, raising (no path at all) or jumping
(break/continue). Findings survive only if every live path reports them; names and
module attributes the paths leave different become unknown; explain rows seen on one
path only are marked conditional. What a path requires of the input's sizes (a Linear's
in_features fixing C) holds on that path only: each path starts from the requirements made
before the branch, and after it only those every live path made are kept.
"""

from __future__ import annotations

from typing import List, NamedTuple

import libcst as cst

from ..core.values import ModuleValue, Tensor, Unknown
from . import mutation, objects
from .cstwalk import walk  # CSTNode.children runs a visitor, far slower than reading fields
from .frame import (
    ABSENT, MAYBE_ABSENT, BreakSignal, ContinueSignal, Frame, Overlay, RaiseSignal, ReturnSignal, log_write, restore, same_value,
)


class Path(NamedTuple):
    outcome: str  # "fall" | "return" | "raise" | "jump"
    returned: object
    locals: dict  # the names the path wrote (ABSENT: deleted); the others are the base's
    writes: dict  # (id(module), name) -> (module, child, attr) as the path left it
    findings: list
    containers: dict  # id(list/dict/set) -> (container, state the path left it in)
    required: tuple  # (equations, positivity requirements, reasons) as the path left them


def fork(vm, run_a, run_b, frame: Frame) -> None:
    """Run `run_a(frame)` and `run_b(frame)` from the same state, then merge what they did.

    Each path runs in an `Overlay` of the frame's names and journals the module attributes
    it writes, so a branch costs what it touches, never a copy of the whole state.
    """
    base_locals = frame.locals
    outer_log = vm.write_log
    rows_start = vm.explain.mark()
    uses_start = len(vm.explain.module_calls)
    merges_start = len(vm.explain.merges)
    vm.explain.lost_count += 1  # an undecided path: a model built through one is not exact
    paths, branch_rows = [], []
    before = _requirements(vm.sizes)
    for run in (run_a, run_b):
        _set_requirements(vm.sizes, before)
        frame.locals = scope = Overlay(base_locals)  # lists it changes are journalled by `mutation.run_path`
        outer_scope, vm.tentative_scope = vm.tentative_scope, scope
        vm.write_log = []
        vm.findings.open_branch()
        result = ["fall", None]

        def go(run=run, result=result):
            try:
                run(frame)
            except ReturnSignal as r:
                result[:] = ["return", r.value]
            except RaiseSignal as e:
                result[:] = ["raise", e.kind]
            except (BreakSignal, ContinueSignal):
                result[0] = "jump"

        try:
            containers = mutation.run_path(vm, go)  # lists/dicts the path changed, undone for the next
        finally:
            vm.tentative_scope = outer_scope
        outcome, ret = result
        findings = vm.findings.close_branch()
        branch_rows.append(vm.explain.take_since(rows_start))
        writes = vm.write_log
        final = {(id(o), n): (o, o.children.get(n, ABSENT), o.attrs.get(n, ABSENT)) for o, n, _c, _a in writes}
        for o, n, c, a in reversed(writes):  # undo, so the other path starts clean
            restore(o, n, c, a)
        paths.append(Path(outcome, ret, scope.written(), final, findings, containers, _requirements(vm.sizes)))
    frame.locals = base_locals
    vm.write_log = outer_log
    for use in vm.explain.module_calls[uses_start:]:
        use.branch = True
    for rows in branch_rows:  # a functional op's row too: a row both sides made is kept once, one side's
        for row in rows:
            row.branch = True
    for merge in vm.explain.merges[merges_start:]:
        merge.branch = True
    vm.explain.merge_branch_rows(*branch_rows)
    live = [p for p in paths if p.outcome != "raise"]
    if not live:
        kinds = {p.ret for p in paths}
        raise RaiseSignal(kinds.pop() if len(kinds) == 1 else None)
    if len(live) < len(paths):
        vm.dropped_raises += 1  # a path that raised is left out: a try around it must not trust what follows
    if any(p.outcome == "jump" for p in live):
        live = [p for p in live if p.outcome != "jump"] or live
    _merge_requirements(vm, live, before)
    _merge_findings(vm, live)
    _merge_writes(vm, live)
    mutation.merge_paths(vm, [p.containers for p in live], same_value)
    _merge_returns_and_names(vm, live, frame)


def _requirements(sizes) -> tuple:
    cons = sizes.constraints
    return list(cons.equations), list(cons.positive), list(sizes.reasons)


def _set_requirements(sizes, required: tuple) -> None:
    cons = sizes.constraints
    cons.equations, cons.positive, sizes.reasons = (list(r) for r in required)


def _merge_requirements(vm, live: List[Path], before: tuple) -> None:
    """The requirements made before the branch, and those every live path made after it."""
    merged = []
    for k, start in enumerate(before):
        added = [[x for x in p.required[k][len(start):]] for p in live]
        merged.append(start + [x for x in added[0] if all(x in other for other in added[1:])])
    _set_requirements(vm.sizes, tuple(merged))


def _merge_findings(vm, live: List[Path]) -> None:
    """Those of a single live path, or those every live path has."""
    if len(live) == 1:
        vm.findings.extend(live[0].findings)
        return
    keys_b = {f.code + str(id(f.node)) for f in live[1].findings}
    vm.findings.extend([f for f in live[0].findings if f.code + str(id(f.node)) in keys_b])


def _merge_writes(vm, live: List[Path]) -> None:
    """Module attributes: kept where every path set the same value, unknown elsewhere."""
    all_keys = {}
    for p in live:
        for k, (o, c, a) in p.writes.items():
            all_keys.setdefault(k, []).append((o, c, a))
    for k, states in all_keys.items():
        o, name = states[0][0], k[1]
        if len(states) == len(live) and all(same_value(s[1], states[0][1]) and same_value(s[2], states[0][2]) for s in states):
            restore(o, name, states[0][1], states[0][2])
        else:
            log_write(vm.write_log, o, name)
            o.children.pop(name, None)
            o.attrs[name] = Unknown(MAYBE_ABSENT)


def _merge_returns_and_names(vm, live: List[Path], frame: Frame) -> None:
    falling = [p for p in live if p.outcome == "fall"]
    returning = [p for p in live if p.outcome == "return"]
    if not falling:
        vals = [p.returned for p in returning]
        raise ReturnSignal(vals[0] if all(same_value(v, vals[0]) for v in vals) else Unknown("paths return different values"))
    if returning and not frame.alt_returns:
        vm.explain.conditional += 1  # the rest of this function runs on one path only
    frame.alt_returns.extend(p.returned for p in returning)
    base = frame.locals
    touched = {}
    for p in falling:
        touched.update(dict.fromkeys(p.locals))
    differing = {}
    for k in touched:
        values = [p.locals[k] if k in p.locals else base.get(k, ABSENT) for p in falling]
        if all(same_value(v, values[0]) for v in values[1:]):
            if values[0] is ABSENT:
                base.pop(k, None)
            else:
                base[k] = values[0]
        else:
            base[k] = Unknown(f"`{k}` differs between undecided paths")
            differing[k] = values
    if differing and base is frame.globals and vm.alternatives is not None:
        vm.alternatives.append(differing)  # a module-level block: its models are checked each way (worlds.py)


_MODULE_WRITERS = ("add_module", "register_module", "register_buffer", "register_parameter", "__setattr__", "append",
                   "extend", "insert", "update")


# in-place tensor methods that can give the tensor another shape; every other method keeps it
SHAPE_CHANGING_INPLACE = ("resize_", "resize_as_", "set_", "unsqueeze_", "squeeze_", "t_", "transpose_", "swapaxes_",
                          "swapdims_", "as_strided_")


def _shaped_tensor(v) -> bool:
    return type(v) is Tensor and v.shape is not None


def havoc(vm, body, frame: Frame, target=None, why: str = "changed in a loop shapelint cannot unroll",
          lost: str = "a loop whose iterations are not known statically") -> None:
    """A loop that cannot be unrolled (or a block that may or may not have run): every name it
    may change becomes unknown."""
    names, attrs, calls, item_writes = set(), set(), set(), set()
    for node in walk(body):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Subscript) \
                and isinstance(node.target.value, cst.Name):
            item_writes.add(node.target.value.value)  # `out[idx] = y`: the name still holds the same object
        elif isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del, cst.For, cst.WithItem,
                               cst.NamedExpr, cst.CompFor)):
            target = node.asname if isinstance(node, cst.WithItem) else node.target
            for n in walk(target) if target is not None else ():
                if isinstance(n, cst.Name):
                    names.add(n.value)
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                attrs.add((target.value.value, target.attr.value))  # `self.fc = ...`
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            owner = node.func.value
            if isinstance(owner, cst.Name):
                calls.add((owner.value, node.func.attr.value))
            elif isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name):
                attrs.add((owner.value.value, owner.attr.value))  # `self.blocks.append(...)`
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr":
            if node.args and isinstance(node.args[0].value, cst.Name):
                calls.add((node.args[0].value.value, "__setattr__"))
    if target is not None:
        for n in walk(target):
            if isinstance(n, cst.Name):
                names.add(n.value)
    for owner, attr in attrs:
        obj = frame.locals.get(owner)
        if isinstance(obj, ModuleValue):
            mutation.poison(vm, obj.attrs.get(attr), why)
            vm.set_attr(obj, attr, Unknown(why))
        elif isinstance(obj, Tensor):
            names.add(owner)  # `t.data = ...` may give it another shape
    kept_tensors = set()
    for n in item_writes:
        (kept_tensors if _shaped_tensor(frame.locals.get(n)) else names).add(n)
    for n, method in calls:
        obj = frame.locals.get(n)
        if _shaped_tensor(obj) and method not in SHAPE_CHANGING_INPLACE:
            kept_tensors.add(n)  # `out.index_add_(0, idx, y)`: torch keeps a tensor's shape in place
        elif isinstance(obj, ModuleValue) and obj.cls is not None:
            if method in _MODULE_WRITERS or (obj.cls is not None and obj.cls.find_method(method)[1] is not None):
                mutation.clobber(obj, why)  # `self.add_module(...)`, `setattr(self, ...)`, a method of its own
        else:
            names.add(n)
    for holder in (frame.locals, frame.globals):  # what the loop may write to: hasattr stays undecided on it
        for v in list(holder.values()):
            if isinstance(v, (ModuleValue, list, tuple, dict)):
                objects.mark_unfollowed(v)
    if frame.self_obj is not None:
        objects.mark_unfollowed(frame.self_obj)
    for n in kept_tensors - names:
        mutation.poison(vm, frame.locals[n], why)  # its values may change, its shape and dtype do not
    for n in names:
        old = frame.locals.get(n) if n in frame.locals else None
        if n in frame.locals and not (isinstance(old, ModuleValue) and old.cls is not None):
            mutation.poison(vm, frame.locals[n], why)  # every other name for the same list sees the change too
            frame.locals[n] = Unknown(why)
    vm.explain.lost(body, lost)
