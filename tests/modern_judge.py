"""Judging shapelint's --explain rows against what torch recorded (test-only helpers).

A static shape is *known* when every dim is an int, *partial* when some dims are
symbols (B, T, "((H + 1)//2)"), *unknown* when absent. Known shapes must be one of
torch's; partial ones must agree with a torch shape in rank and in every int dim, and
a plain-identifier symbol must stand for one value throughout a model (shapelint
saying `T` for two different lengths is a wrong shape too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional

_SYMBOL = re.compile(r"^[A-Za-z_]\w*$")


def is_known(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def _agrees(static, actual) -> bool:
    """A partially symbolic static shape could be `actual`: same rank, same int dims."""
    return len(static) == len(actual) and all(not isinstance(s, int) or s == a for s, a in zip(static, actual))


@dataclass
class ModelJudgement:
    modules: int = 0  # named submodules torch ran
    known: int = 0  # ... whose every static row is fully known
    equal: int = 0  # ... whose static rows equal torch's calls exactly
    wrong: List[str] = field(default_factory=list)  # what shapelint got wrong, in words

    def add(self, other: "ModelJudgement") -> None:
        self.modules += other.modules
        self.known += other.known
        self.equal += other.equal
        self.wrong += other.wrong


class _Bindings:
    """symbol -> the value torch gave it; a second, different value is a contradiction."""

    def __init__(self):
        self.values: Dict[str, tuple] = {}

    def bind(self, static, actual, where: str) -> Optional[str]:
        for s, a in zip(static, actual):
            if isinstance(s, str) and _SYMBOL.match(s):
                seen = self.values.setdefault(s, (a, where))
                if seen[0] != a:
                    return f"symbol {s} is {seen[0]} at {seen[1]} but {a} at {where}"
        return None


def judge_rows(rows: Dict[str, List[Optional[list]]], torch_shapes: Dict[str, List[list]], output=None,
               torch_output=None) -> ModelJudgement:
    """Compare one model's static rows (module -> outs, in call order) with torch's hooks."""
    j = ModelJudgement()
    bindings = _Bindings()
    for name, calls in torch_shapes.items():
        j.modules += 1
        static = rows.get(name, [])
        if static and all(is_known(s) for s in static):
            j.known += 1
            j.equal += static == calls
        problem = _judge_one(name, static, calls, bindings)
        if problem:
            j.wrong.append(problem)
    if output is not None and torch_output is not None:
        problem = _judge_one("model output", [output], [torch_output], bindings)
        if problem:
            j.wrong.append(problem)
    return j


def _judge_one(name, static, calls, bindings) -> Optional[str]:
    for s in static:
        if s is None:
            continue
        if is_known(s):
            if s not in calls:
                return f"{name}: static {s}, torch {calls}"
            continue
        candidates = {tuple(c) for c in calls if _agrees(s, c)}
        if not candidates:
            return f"{name}: static {s} fits none of torch's {calls}"
        if len(candidates) == 1:
            problem = bindings.bind(s, next(iter(candidates)), name)
            if problem:
                return f"{name}: {problem}"
    return None
