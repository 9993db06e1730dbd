"""Undecided control flow: run both sides of a branch and keep what holds on every path;
a loop that cannot be unrolled makes everything it may change unknown.

A path ends by falling through, returning, raising (no path at all) or jumping
(break/continue). Findings survive only if every live path reports them; names and
module attributes the paths leave different become unknown; explain rows seen on one
path only are marked conditional.
"""

from __future__ import annotations

from typing import List, NamedTuple

import libcst as cst

from ..core.values import ModuleValue, Unknown
from . import objects
from .frame import (
    ABSENT, MAYBE_ABSENT, BreakSignal, ContinueSignal, Frame, Overlay, RaiseSignal, ReturnSignal, log_write, restore, same_value,
)


class Path(NamedTuple):
    outcome: str  # "fall" | "return" | "raise" | "jump"
    returned: object
    locals: dict  # the names the path wrote (ABSENT: deleted); the others are the base's
    writes: dict  # (id(module), name) -> (module, child, attr) as the path left it
    findings: list


def fork(vm, run_a, run_b, frame: Frame) -> None:
    """Run `run_a(frame)` and `run_b(frame)` from the same state, then merge what they did.

    Each path runs in an `Overlay` of the frame's names and journals the module attributes
    it writes, so a branch costs what it touches, never a copy of the whole state.
    """
    base_locals = frame.locals
    outer_log = vm.write_log
    rows_start = vm.explain.mark()
    uses_start = len(vm.explain.module_calls)
    vm.explain.lost_count += 1  # an undecided path: a model built through one is not exact
    paths, branch_rows = [], []
    for run in (run_a, run_b):
        frame.locals = scope = Overlay(base_locals, copy_lists=True)
        vm.write_log = []
        vm.findings.open_branch()
        outcome, ret = "fall", None
        try:
            run(frame)
        except ReturnSignal as r:
            outcome, ret = "return", r.value
        except RaiseSignal:
            outcome = "raise"
        except (BreakSignal, ContinueSignal):
            outcome = "jump"
        findings = vm.findings.close_branch()
        branch_rows.append(vm.explain.take_since(rows_start))
        writes = vm.write_log
        final = {(id(o), n): (o, o.children.get(n, ABSENT), o.attrs.get(n, ABSENT)) for o, n, _c, _a in writes}
        for o, n, c, a in reversed(writes):  # undo, so the other path starts clean
            restore(o, n, c, a)
        paths.append(Path(outcome, ret, scope.written(), final, findings))
    frame.locals = base_locals
    vm.write_log = outer_log
    for use in vm.explain.module_calls[uses_start:]:
        use.branch = True
    vm.explain.merge_branch_rows(*branch_rows)
    live = [p for p in paths if p.outcome != "raise"]
    if not live:
        raise RaiseSignal()
    if any(p.outcome == "jump" for p in live):
        live = [p for p in live if p.outcome != "jump"] or live
    _merge_findings(vm, live)
    _merge_writes(vm, live)
    _merge_returns_and_names(vm, live, frame)


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
    for k in touched:
        values = [p.locals[k] if k in p.locals else base.get(k, ABSENT) for p in falling]
        if all(same_value(v, values[0]) for v in values[1:]):
            if values[0] is ABSENT:
                base.pop(k, None)
            else:
                base[k] = values[0]
        else:
            base[k] = Unknown(f"`{k}` differs between undecided paths")


def havoc(vm, body, frame: Frame, target=None) -> None:
    """A loop that cannot be unrolled: every name it may change becomes unknown."""
    names = set()
    for node in walk(body):
        if isinstance(node, cst.AssignTarget) or isinstance(node, cst.AugAssign):
            for n in walk(node.target):
                if isinstance(n, cst.Name):
                    names.add(n.value)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if isinstance(node.func.value, cst.Name):
                names.add(node.func.value.value)
    if target is not None:
        for n in walk(target):
            if isinstance(n, cst.Name):
                names.add(n.value)
    for holder in (frame.locals, frame.globals):  # what the loop may write to: hasattr stays undecided on it
        for v in list(holder.values()):
            if isinstance(v, (ModuleValue, list, tuple, dict)):
                objects.mark_unfollowed(v)
    if frame.self_obj is not None:
        objects.mark_unfollowed(frame.self_obj)
    for n in names:
        if n in frame.locals and n != "self":
            frame.locals[n] = Unknown("changed in a loop shapelint cannot unroll")
    vm.explain.lost(body, "a loop whose iterations are not known statically")


def walk(node):
    stack = [node] if not isinstance(node, (list, tuple)) else list(node)
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, cst.CSTNode):
            stack.extend(n.children)
