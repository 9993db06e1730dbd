"""What input sizes a model accepts, when the input size was not given.

With a symbolic input, a flatten feeding a Linear (or a view with fixed sizes) only
works for some input sizes. Each such requirement is an equation between sizes; a
finding is reported only when no positive input size satisfies all of them together.
Anything the search cannot decide counts as satisfiable: no false alarms.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .symbolic import BATCH_NAME as BATCH, Dim, Expr, add, compile_dim, mul

SEARCH_LIMIT_ONE = 16384  # one symbol (1-D signals): lengths up to this are searched
SEARCH_LIMIT_MANY = 2048  # per symbol when several (images, volumes)
MAX_SOLUTIONS = 4096

SAT, UNSAT, MAYBE = "sat", "unsat", "maybe"


class Solution:
    """The outcome of a search: a verdict and, when satisfiable, a sample of solutions."""

    def __init__(self, verdict: str, names: Tuple[str, ...] = (), rows: Optional[list] = None):
        self.verdict = verdict
        self.names = names
        self.rows = rows or []

    def describe(self) -> str:
        """E.g. '32x32 inputs (sides 32..33)' or 'L in 100..103'."""
        if not self.rows or not self.names:
            return "no input size"
        if len(self.names) == 1:
            return f"{self.names[0]} in {_span(sorted(r[0] for r in self.rows))}"
        square = sorted({r[0] for r in self.rows if len(set(r)) == 1})
        others = [r for r in self.rows if len(set(r)) != 1]
        if square:
            text = "x".join([str(square[0])] * len(self.names)) + " inputs"
            if len(square) > 1:
                text += f" (sides {_span(square)})"
            if others:
                text += ", or non-square sizes such as " + "x".join(map(str, min(others)))
            return text
        return " or ".join("x".join(map(str, r)) for r in sorted(self.rows)[:3]) + " inputs"


def _span(vals: List[int]) -> str:
    if len(vals) == 1:
        return str(vals[0])
    if vals == list(range(vals[0], vals[-1] + 1)):
        return f"{vals[0]}..{vals[-1]}"
    shown = ", ".join(str(v) for v in vals[:6])
    return "{" + shown + (", ..." if len(vals) > 6 else "") + "}"


class ConstraintSet:
    def __init__(self, input_symbols: Tuple[str, ...] = ()):
        self.input_symbols = tuple(input_symbols)
        self.equations: List[Dim] = []  # each must equal 0
        self.positive: List[Dim] = []  # each must be >= 1

    def require_positive(self, d: Dim) -> None:
        if isinstance(d, Expr) and not d.is_opaque() and BATCH not in d.symbols():
            self.positive.append(d)

    def require_equal(self, a: Dim, b: Dim) -> Solution:
        """Record a == b if some input satisfies it together with everything so far."""
        diff = add(a, mul(b, -1))
        if isinstance(diff, int):
            return Solution(SAT if diff == 0 else UNSAT)
        if diff.is_opaque() or BATCH in diff.symbols():
            return Solution(MAYBE)
        result = solve(self.equations + [diff], self.positive)
        if result.verdict != UNSAT:
            self.equations.append(diff)
        return result

    def solutions(self) -> Solution:
        if not self.equations:
            return Solution(MAYBE)
        return solve(self.equations, self.positive)


def solve(equations: List[Dim], positive: List[Dim]) -> Solution:
    names = sorted(set().union(*(e.symbols() for e in equations if isinstance(e, Expr))))
    if not names or any(n.startswith("?") or n == BATCH for n in names):
        return Solution(MAYBE)
    names_t = tuple(names)
    eq_fns = [compile_dim(e, names_t) for e in equations]
    pos = [p for p in positive if p.symbols() <= set(names)]
    pos_fns = [compile_dim(p, names_t) for p in pos]

    def ok(vals) -> bool:
        return all(f(*vals) == 0 for f in eq_fns) and all(f(*vals) >= 1 for f in pos_fns)

    if len(names) == 1:
        rows = [(v,) for v in range(1, SEARCH_LIMIT_ONE + 1) if ok((v,))]
        return Solution(SAT if rows else UNSAT, names_t, rows[:MAX_SOLUTIONS])

    candidates = _candidates_from_monomial(equations, names_t)
    if candidates is None:
        return Solution(MAYBE)
    rows = [c for c in candidates if ok(c)]
    return Solution(SAT if rows else UNSAT, names_t, rows[:MAX_SOLUTIONS])


def _candidates_from_monomial(equations: List[Dim], names: Tuple[str, ...]):
    """Solve one equation of the form c * f1(s1) * f2(s2) ... == N by its divisors.

    Returns candidate tuples over `names`, or None when no equation has that form or
    it does not mention every symbol (then the search cannot be complete).
    """
    for eq in equations:
        terms = dict(eq.terms)
        const = terms.pop((), 0)
        if len(terms) != 1:
            continue
        (mono, coeff), = terms.items()
        target = -const
        if coeff == 0 or target % coeff:
            return []  # no integer solution at all
        target //= coeff
        if target <= 0:
            return []
        per_symbol: Dict[str, list] = {}
        mixed = False
        for atom in mono:
            syms = Expr(((((atom,)), 1),)).symbols()
            if len(syms) != 1:
                mixed = True
                break
            per_symbol.setdefault(next(iter(syms)), []).append(atom)
        if mixed or set(per_symbol) != set(names):
            continue
        tables = []
        for n in names:
            factor = Expr(((tuple(sorted(per_symbol[n])), 1),))
            fn = compile_dim(factor, (n,))
            table: Dict[int, list] = {}
            for v in range(1, SEARCH_LIMIT_MANY + 1):
                table.setdefault(fn(v), []).append(v)
            tables.append(table)
        out: list = []
        _divisor_search(tables, 0, target, (), out)
        return out
    return None


def _divisor_search(tables, i, remaining, prefix, out):
    if len(out) >= MAX_SOLUTIONS * 4:
        return
    if i == len(tables) - 1:
        for v in tables[i].get(remaining, ()):
            out.append(prefix + (v,))
        return
    for value, xs in tables[i].items():
        if value > 0 and remaining % value == 0:
            for x in xs:
                _divisor_search(tables, i + 1, remaining // value, prefix + (x,), out)
