"""Classes built nowhere, checked with their required constructor arguments as symbols (issue 16.2).

`class Head(nn.Module): def __init__(self, in_ch, num_classes)` with no `Head(3, 10)` anywhere:
its layers' sizes are unknown, and so was everything the class checks. Yet a
`Conv2d(in_ch, 64)` into a `BatchNorm2d(32)` fails whatever `in_ch` is. So the class is built a
second time with each required parameter that may be an int (annotated `int`, or not annotated)
bound to a symbol of its name; an error of that build is a finding for every value of the symbols
when the size rules decide it without them (a `maybe` is never an error). Symbols reach code that
was written for ints, so each such error must also come back, at the same place, from builds with
the parameters set to two plain numbers; only those are reported, and only those the plain build
(parameters unknown) did not report already. A build that fails in any way reports nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..core.symbolic import BATCH_NAME, Expr
from .cstwalk import walk

SAMPLES = (5, 12)  # the plain numbers each symbolic finding must hold at too
_INT = ("int", "builtins.int")
# rules a symbol can set off without the sizes being wrong: an assert may test the argument's type
NOT_FROM_SYMBOLS = ("SHP014",)


def built_elsewhere(checker, info) -> bool:
    """Whether the file names the class outside its own body (`Head(3, 10)`, `block=Head`): it is
    checked where it is built, with its arguments."""
    counts = checker.name_counts
    if counts is None:
        counts = checker.name_counts = Counter(n.value for n in walk(checker.module) if isinstance(n, cst.Name))
    name = info.name
    own = sum(1 for n in walk(info.node) if isinstance(n, cst.Name) and n.value == name)
    return counts.get(name, 0) > own


def int_parameters(info) -> List[str]:
    """The required constructor parameters of class `info` that may be ints."""
    _owner, init = info.find_method("__init__")
    if init is None:
        return []
    ps = init.params
    params = list(ps.posonly_params) + list(ps.params)
    params = params[1:] + list(ps.kwonly_params)  # not self
    out = []
    for p in params:
        if p.default is not None:
            continue
        ann = p.annotation.annotation if p.annotation is not None else None
        if ann is not None and cst.Module([]).code_for_node(ann) not in _INT:
            continue
        if p.name.value == BATCH_NAME or len(p.name.value) == 1 and p.name.value.isupper():
            return []  # the name of an input symbol (B, H, W): the two would mix
        out.append(p.name.value)
    not_int = _used_as_other_than_int(init, out)
    return [p for p in out if p not in not_int]


def _used_as_other_than_int(init, names: List[str]) -> set:
    """The names the constructor uses as no int is used: an attribute, an item or a call of it,
    iterated, unpacked, measured (`len`), or a test of its type (`isinstance`)."""
    out = set()
    wanted = set(names)
    for n in walk(init.body):
        if isinstance(n, cst.Attribute) and _name(n.value) in wanted:
            out.add(_name(n.value))
        elif isinstance(n, cst.Subscript) and _name(n.value) in wanted:
            out.add(_name(n.value))
        elif isinstance(n, cst.Call):
            if _name(n.func) in wanted:
                out.add(_name(n.func))
            if _name(n.func) in ("isinstance", "len", "list", "tuple", "iter", "enumerate", "zip", "sorted", "reversed", "type"):
                out.update(_name(a.value) for a in n.args if _name(a.value) in wanted)
            out.update(_name(a.value) for a in n.args if a.star and _name(a.value) in wanted)
        elif isinstance(n, (cst.For, cst.CompFor)) and _name(n.iter) in wanted:
            out.add(_name(n.iter))
        elif isinstance(n, cst.StarredElement) and _name(n.value) in wanted:
            out.add(_name(n.value))
        elif isinstance(n, cst.ComparisonTarget) and isinstance(n.operator, (cst.In, cst.NotIn, cst.Is, cst.IsNot)):
            out.update(x for x in (_name(n.comparator),) if x in wanted)
    return out


def _name(node) -> str:
    return node.value if isinstance(node, cst.Name) else ""


def check_for_every_value(checker, name: str, params: List[str], build) -> Tuple[list, Optional[object]]:
    """The errors the class has for every value of `params` that the plain build did not report,
    and the symbolic build's model report (its shape table shows the symbols; None when that
    build failed). `build(kwargs)` checks the class once as check_class does, with those arguments."""
    plain = {_key(f) for f in checker.findings}
    symbolic, reports = _errors(checker, build, {p: Expr.symbol(p) for p in params})
    report = reports[0] if len(reports) == 1 else None
    if report is not None:
        report.lost = [(n, why.replace("; checked where it is used", "; built nowhere in this file, so checked with "
                                       "them as symbols") if i == 0 else why) for i, (n, why) in enumerate(report.lost)]
    new = [f for f in symbolic if _key(f) not in plain and f.node is not None and f.code not in NOT_FROM_SYMBOLS]
    if not new:
        return [], report
    held = {_key(f) for f in new}
    for value in SAMPLES:
        held &= {_key(f) for f in _errors(checker, build, {p: value for p in params})[0]}
        if not held:
            return [], report
    found = [f for f in new if _key(f) in held]
    checker.symbolic_findings.update(id(f) for f in found)
    return found, report


def prefer_plain(findings: list, symbolic: set) -> list:
    """Without the symbolic findings at a place where a build with real arguments (an instance
    of the class, elsewhere in the file) reports the same rule: that one has the numbers."""
    plain = {_key(f) for f in findings if id(f) not in symbolic}
    return [f for f in findings if id(f) not in symbolic or _key(f) not in plain]


def _key(f) -> tuple:
    return (f.code, id(f.node))


def _errors(checker, build, kwargs: Dict[str, object]) -> Tuple[list, list]:
    """The errors and model reports of one build, leaving the checker's findings, models and notes
    as they were."""
    marks = len(checker.findings), len(checker.models), len(checker.skipped)
    arch = checker.arch.mark()
    try:
        build(kwargs)
        found = [f for f in checker.findings[marks[0]:] if f.severity == "error"]
        reports = checker.models[marks[1]:]
    except Exception:  # symbols in code written for ints: this build says nothing
        found, reports = [], []
    del checker.findings[marks[0]:], checker.models[marks[1]:], checker.skipped[marks[2]:]
    checker.arch.rewind(arch)
    return found, reports
