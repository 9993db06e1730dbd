"""What input sizes a model accepts, when the input size was not given.

With a symbolic input, a flatten feeding a Linear (or a view with fixed sizes) only
works for some input sizes. Each such requirement is an equation between sizes; a
finding is reported only when no positive input size satisfies all of them together.
Anything the search cannot decide counts as satisfiable: no false alarms.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ..core.symbolic import BATCH_NAME as BATCH, Dim, Expr, add, compile_dim, mul

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


_SOLVED: Dict[tuple, "Solution"] = {}


def solve(equations: List[Dim], positive: List[Dim]) -> Solution:
    key = (tuple(equations), tuple(positive))
    if key not in _SOLVED:
        if len(_SOLVED) > 512:
            _SOLVED.clear()
        _SOLVED[key] = _solve(equations, positive)
    return _SOLVED[key]


def _solve(equations: List[Dim], positive: List[Dim]) -> Solution:
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
        candidates = _candidates_from_separable(equations, names_t, ok)
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


def _divisor_search(tables, i, remaining, prefix, out, signed: bool = False):
    """Tuples of symbol values whose factor values multiply to `remaining`
    (with `signed`, factors may be negative too)."""
    if len(out) >= MAX_SOLUTIONS * 4:
        return
    if i == len(tables) - 1:
        for v in tables[i].get(remaining, ()):
            out.append(prefix + (v,))
        return
    for value, xs in tables[i].items():
        if (value != 0 if signed else value > 0) and remaining % value == 0:
            for x in xs:
                _divisor_search(tables, i + 1, remaining // value, prefix + (x,), out, signed)


SEPARABLE_CHECK = {2: 40, 3: 14}  # grid side on which a factorization is verified
CONFIRM_BOX = {2: 64, 3: 16}  # an UNSAT answer is cross-checked by brute force on this box


def _candidates_from_separable(equations: List[Dim], names: Tuple[str, ...], ok):
    """Solve P(s1, ..., sn) == N when P is a product of one-symbol factors, expanded.

    A flatten of (C, H - 4, W//2 - 6) reaches the solver as the expanded polynomial
    C*H*(W//2) - 6*C*H - ...; it still factors as f(H) * g(W). With a base point b,
    P(x) * P(b)**(n-1) == prod_i P(b with s_i = x_i) holds exactly when P separates;
    that identity is verified on a grid before the per-symbol tables are searched.
    Returns None when no equation separates (the caller then says MAYBE).
    """
    n = len(names)
    if n not in SEPARABLE_CHECK:
        return None
    for eq in equations:
        terms = dict(eq.terms)
        const = terms.pop((), 0)
        if not terms:
            continue
        poly = Expr(tuple(sorted(terms.items())))
        if poly.symbols() != set(names):
            continue
        p0 = compile_dim(poly, names)
        shift = _separating_constant(p0, n)
        if shift is None:
            continue

        def P(*vals, p0=p0, shift=shift):
            return p0(*vals) + shift

        target = shift - const  # poly == -const  <=>  poly + shift == shift - const
        base = _base_point(P, n)
        if base is None:
            continue
        pb = P(*base)

        def along(i, v, base=base, P=P):
            pt = list(base)
            pt[i] = v
            return P(*pt)

        side = SEPARABLE_CHECK[n]
        import itertools

        grid = itertools.product(range(1, side + 1), repeat=n)
        probes = [tuple(1 + (k * 7919 * (i + 1)) % 4096 for i in range(n)) for k in range(1, 400)]
        probes += [tuple(v if i == j else 1 + (v * 31 + 7 * i) % side for i in range(n)) for j in range(n) for v in range(side, 300)]
        factor = [dict() for _ in range(n)]

        def g(i, v):
            f = factor[i]
            if v not in f:
                f[v] = along(i, v)
            return f[v]

        separable = True
        for pt in itertools.chain(grid, probes):
            prod = 1
            for i, v in enumerate(pt):
                prod *= g(i, v)
            if P(*pt) * pb ** (n - 1) != prod:
                separable = False
                break
        if not separable:
            continue
        want = target * pb ** (n - 1)
        tables = []
        for i in range(n):
            table: Dict[int, list] = {}
            for v in range(1, SEARCH_LIMIT_MANY + 1):
                table.setdefault(g(i, v), []).append(v)
            tables.append(table)
        out: list = []
        _divisor_search(tables, 0, want, (), out, signed=True)
        if not any(ok(c) for c in out) and _brute_force_finds(ok, n):
            return None  # the searches disagree: say nothing rather than guess
        return out
    return None


def _separating_constant(p0, n: int):
    """The c that makes p0 + c a product of one-symbol factors, if one can.

    For Q = f(x) * g(y): Q(x, y) * Q(x', y') == Q(x, y') * Q(x', y). With Q = p0 + c
    that is linear in c; solve it at the first points where it is not degenerate.
    The caller verifies the factorization on a grid.
    """
    rest = (1,) * (n - 2)
    for x in range(1, 40):
        for y in range(1, 40):
            x2, y2 = x + 3, y + 5
            a, b = p0(x, y, *rest), p0(x2, y2, *rest)
            c, d = p0(x, y2, *rest), p0(x2, y, *rest)
            den = a + b - c - d
            if den:
                num = c * d - a * b
                return num // den if num % den == 0 else None
    return None


def _base_point(P, n: int):
    import itertools

    for total in range(n, 40 * n):
        for pt in itertools.product(range(1, total), repeat=n):
            if sum(pt) == total and P(*pt) > 0:
                return pt
    return None




def _brute_force_finds(ok, n: int) -> bool:
    import itertools

    return any(ok(pt) for pt in itertools.product(range(1, CONFIRM_BOX[n] + 1), repeat=n))
