"""Module-level blocks the engine cannot decide, analysed both ways: one "world" per way.

`if torch.__version__ >= "1.7": class Act...` `else: class Act...`, `try: import fast_ops;
WIDTH = 64 except ImportError: WIDTH = 32`, a class defined only inside such a block: after the
top level runs, each name the undecided ways of one block left different (branches.fork records
them, `Interpreter.alternatives`) is unknown. The file's models are then checked once per
combination of ways (at most MAX_WORLDS), each name bound as that way left it, and merged:

- a model checked in several worlds reports a finding only if every one of them reports it
  (what fails on every way torch may take); its explain rows keep a shape where all worlds agree,
  else unknown (a row of some worlds only is unknown and conditional);
- a model that exists in some worlds only (a class defined in one way) is checked in those.

More combinations than MAX_WORLDS: the names stay unknown, as in one run (sound, less known).
"""

from __future__ import annotations

import itertools
from typing import Dict, List

from ..core.values import ClassRef
from .frame import ABSENT

MAX_WORLDS = 4


def worlds(alternatives: List[Dict[str, list]]) -> List[Dict[str, object]]:
    """Each combination of ways: {name: the value that way left} (ABSENT: not bound)."""
    if not alternatives:
        return []
    counts = [len(next(iter(group.values()))) for group in alternatives]
    total = 1
    for n in counts:
        total *= n
    if total > MAX_WORLDS or total < 2:
        return []
    out = []
    for choice in itertools.product(*(range(n) for n in counts)):
        world = {}
        for group, i in zip(alternatives, choice):
            for name, values in group.items():
                world[name] = values[i]
        out.append(world)
    return out


def bind(globals_: dict, base: dict, world: Dict[str, object]) -> None:
    """Put the file's names as `world` has them, and forget class attributes evaluated before."""
    globals_.clear()
    globals_.update(base)
    for name, value in world.items():
        if value is ABSENT:
            globals_.pop(name, None)
        else:
            globals_[name] = value
    for value in list(globals_.values()) + list(world.values()):
        if isinstance(value, ClassRef):
            value.info.attr_values.clear()  # a class attribute may read a name of the world


def finding_key(f) -> tuple:
    """As an undecided branch matches findings (branches._merge_findings): the same rule at the
    same node, whatever the numbers; the first world's message is reported."""
    return (f.code, id(f.node))


def merge_checks(per_world: List[list]) -> tuple:
    """per_world: for each world, [(model key, findings, reports, architecture findings)] in the
    order its models were checked. Returns (findings, reports, architecture findings)."""
    order, by_key = [], {}
    for entries in per_world:
        for key, found, reports, arch in entries:
            if key not in by_key:
                order.append(key)
                by_key[key] = []
            by_key[key].append((found, reports, arch))
    findings, reports, arch_findings = [], [], []
    for key in order:
        checks = by_key[key]
        findings += _common([c[0] for c in checks])
        arch_findings += _common([c[2] for c in checks])
        reports += _merge_reports([c[1] for c in checks])
    return findings, reports, arch_findings


def _common(lists: List[list]) -> list:
    keys = [{finding_key(f) for f in found} for found in lists[1:]]
    return [f for f in lists[0] if all(finding_key(f) in k for k in keys)]


def _merge_reports(lists: List[list]) -> list:
    first = lists[0]
    if len(lists) == 1:
        return first
    out = []
    for i, report in enumerate(first):
        twins = [reports[i] for reports in lists[1:] if i < len(reports) and reports[i].name == report.name]
        for twin in twins:
            _merge_report(report, twin)
        if len(twins) < len(lists) - 1:
            report.output = None
        out.append(report)
    return out


def _row_key(r) -> tuple:
    """The same submodule (or op) in each world, the nth call with the nth: a class defined
    both ways has other nodes in each."""
    return (r.module, r.op) if r.module is not None else (None, r.op, id(r.node))


def _merge_report(report, twin) -> None:
    waiting = {}
    for r in twin.layers:
        waiting.setdefault(_row_key(r), []).append(r)
    agreed = True
    for r in report.layers:
        rest = waiting.get(_row_key(r))
        other = rest.pop(0) if rest else None
        if other is None:  # called in this world only: its shape is not what every world gives
            r.inp, r.out, r.conditional, r.receptive, agreed = None, None, True, None, False
            continue
        if r.receptive != other.receptive:
            r.receptive = None
        if r.inp != other.inp:
            r.inp, agreed = None, False
        if r.out != other.out:
            r.out, agreed = None, False
        r.conditional = r.conditional or other.conditional
    for rest in waiting.values():
        for r in rest:
            r.inp, r.out, r.conditional, r.receptive, agreed = None, None, True, None, False
            report.layers.append(r)
    if report.output != twin.output:
        report.output = None
    if not agreed or report.summary != twin.summary:
        report.summary = None  # its output shapes and MACs may be one world's
    report.lost += [x for x in twin.lost if x not in report.lost]
    report.assignments = [a for a in report.assignments if a in twin.assignments]
