"""How a static explain table is compared with torch's hooks, submodule by submodule.

Shared by tests/test_real_models.py and scripts/coverage.py so that "known", "equal" and "wrong"
mean the same thing in both. Input: one model of `shapelint --explain --format json` and the
shapes torch's forward hooks recorded (tests/torch_oracle.py), per submodule, call by call.
"""

from __future__ import annotations

from dataclasses import dataclass


def known(shape) -> bool:
    return shape is not None and all(isinstance(v, int) for v in shape)


def contradicts(static, real) -> bool:
    """A static shape that torch's contradicts: another rank, or a known dim that differs.

    None (wholly unknown) and string dims (symbols) contradict nothing.
    """
    if static is None:
        return False
    if len(static) != len(real):
        return True
    return any(isinstance(s, int) and s != r for s, r in zip(static, real))


def rows_by_module(model: dict) -> tuple[dict, set]:
    """{module: [out, ...]} in call order, and the modules with rows on an undecided path."""
    rows, conditional = {}, set()
    for row in model.get("layers", []):
        if row["module"] is not None:
            rows.setdefault(row["module"], []).append(row["out"])
            if row.get("conditional"):
                conditional.add(row["module"])
    return rows, conditional


def wrong_calls(static: list, calls: list) -> list:
    """(static, torch) pairs where shapelint states something torch did not do.

    Call by call when there are as many rows as calls; otherwise (a loop or branch not unrolled)
    a row is wrong when it contradicts every call torch made.
    """
    if len(static) == len(calls):
        return [(s, r) for s, r in zip(static, calls) if contradicts(s, r)]
    return [(s, calls) for s in static if s is not None and all(contradicts(s, r) for r in calls)]


@dataclass
class Verdict:
    known: bool  # every row fully known (and there is one)
    equal: bool  # known and what torch did, call by call (one of the undecided paths for conditional rows)
    wrong: list  # contradicting (static, torch) pairs


def compare(static: list, calls: list, conditional: bool = False) -> Verdict:
    is_known = bool(static) and all(known(s) for s in static)
    is_equal = is_known and (static == calls or (conditional and all(c in static for c in calls)))
    return Verdict(is_known, is_equal, [] if is_equal else wrong_calls(static, calls))
