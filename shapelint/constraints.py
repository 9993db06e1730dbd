"""What input sizes a model accepts, when the input size was not given.

With a symbolic input, a flatten feeding a Linear (or a view with fixed sizes) only
works for some input sizes. Each such requirement is an equation between sizes. The
solver answers SAT only with sizes it has checked, UNSAT only with a proof that no
positive size satisfies all requirements together, and MAYBE for everything else:
an error must mean that no input size works.

The proof (solve) has five parts:
- content: symbols and floor divisions are integers, so an equation whose
  non-constant coefficients share a factor the constant lacks has no solution;
- domain: every size is >= 1, and a one-size positivity requirement (an output size
  >= 1) raises that size's lower bound, each value below it checked to fail;
- monotonicity: conv/pool formulas, products of positive factors and their sums are
  monotone in each input size on that domain. Written as a polynomial in its atoms,
  each atom its lower bound plus a non-negative excess, an expression whose expanded
  coefficients have one sign per size is monotone in that size (_monotone_signs; a
  unit-step rule covers H - (H + 1)//2), so its range over a box lies between its
  values at two corners, exactly. Anything else is treated as unknown off single points;
- products: an equation that factors exactly into one polynomial per size,
  q1(H) * q2(W) == K (a flatten into a Linear), has all its solutions in the boxes
  where each monotone factor takes one divisor of K (_product_boxes);
- branch and bound over boxes of the domain (or those product boxes): a box where some
  equation cannot reach 0 (or some positivity requirement cannot reach 1) holds no
  solution; a box where every requirement is constant and met is all solutions; other
  boxes are split, unbounded sides by doubling. UNSAT when every box was excluded; a
  work budget ends the search with SAT when some size was found and MAYBE otherwise.

Sizes are taken to be below 2**62 (LARGEST), where no tensor can reach.
"""

from __future__ import annotations

import itertools
from math import gcd
from typing import Dict, List, Optional, Sequence, Tuple

from .symbolic import BATCH_NAME as BATCH, Dim, Expr, add, compile_dim, evaluate, mul

SAT, UNSAT, MAYBE = "sat", "unsat", "maybe"

MAX_WORK = 50_000  # requirement evaluations one search may spend; then it stops (MAYBE unless
#                   a size was found): about 30 ms of CPU at worst
ENOUGH_INTERVALS = 7  # one symbol: a search stops with more separate intervals than describe shows
ENOUGH_POINTS_MANY = 64  # several symbols: it stops with this many sizes (squares have their own search)
SMALL_BOX = 64  # boxes with at most this many points are checked point by point
SCAN_LIMIT = 4096  # how far a one-size requirement not known to be monotone is scanned
MAX_SHIFT_DEGREE = 8  # monomials of higher degree are not expanded (then: not monotone)
MAX_ROWS = 4096  # sizes listed by Solution.rows
LARGEST = 1 << 62  # binary searches stop here: no tensor has a side this long
MAX_PRODUCT = 10 ** 9  # products up to this are solved by their divisors
MAX_PRODUCT_BOXES = 20000


# ------------------------------------------------------------------------------ results


class Solution:
    """The outcome of a search: a verdict and, when satisfiable, boxes of solutions.

    Every point of every box satisfies all requirements; `complete` says the boxes are
    all the solutions there are.
    """

    def __init__(self, verdict: str, names: Tuple[str, ...] = (), boxes=None, complete: bool = False, problem=None):
        self.verdict = verdict
        self.names = names
        self.boxes: List[Tuple[tuple, tuple]] = boxes or []
        self.complete = complete
        self._problem = problem  # what the square sizes are searched from, for describe()

    @property
    def rows(self) -> List[tuple]:
        out: List[tuple] = []
        for lo, hi in self.boxes:
            for pt in itertools.product(*(range(a, b + 1) for a, b in zip(lo, hi))):
                out.append(pt)
                if len(out) >= MAX_ROWS:
                    return out
        return out

    def describe(self) -> str:
        """E.g. '32x32 inputs', 'sides 32..33 (32x32 to 33x33), or non-square sizes such
        as 2x512' or 'L in 100..103'."""
        if not self.boxes or not self.names:
            return "no input size"
        if len(self.names) == 1:
            return f"{self.names[0]} in {_values_text(_intervals(self.boxes), self.complete)}"
        examples = _non_square_examples(self.boxes)
        squares = self._problem.squares() if self._problem is not None else None
        n = len(self.names)
        if squares is not None and squares.boxes:
            sides = _intervals(squares.boxes)
            (a, b), = sides[:1]
            if len(sides) == 1 and a == b and squares.complete:
                text = "x".join([str(a)] * n) + " inputs"
            elif len(sides) == 1 and squares.complete:
                text = f"sides {a}..{b} ({'x'.join([str(a)] * n)} to {'x'.join([str(b)] * n)})"
            else:
                text = f"sides {_values_text(sides, squares.complete)}"
            if examples:
                text += ", or non-square sizes such as " + "x".join(map(str, examples[0]))
            return text
        shown = ["x".join(map(str, e)) for e in examples[:3]]
        text = "inputs such as " + (", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0])
        if squares is not None and squares.complete:
            text += " (no square size)"
        return text


def _intervals(boxes) -> List[Tuple[int, int]]:
    """The one-symbol boxes as sorted, merged intervals."""
    out: List[List[int]] = []
    for a, b in sorted((lo[0], hi[0]) for lo, hi in boxes):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _values_text(intervals: List[Tuple[int, int]], complete: bool) -> str:
    """'100..103', '7', or '{2, 4, 6, 8, ...}' (the dots when there are more)."""
    if complete and len(intervals) == 1:
        a, b = intervals[0]
        return str(a) if a == b else f"{a}..{b}"
    parts = [str(a) if a == b else f"{a}..{b}" for a, b in intervals[:6]]
    more = len(intervals) > 6 or not complete
    return "{" + ", ".join(parts) + (", ..." if more else "") + "}"


def _non_square_examples(boxes) -> List[tuple]:
    """Non-square solutions, smallest first, one per first coordinate (e.g. 1x32, 2x16, 4x8)."""
    found = set()
    for lo, hi in boxes:
        pt = list(lo)
        if len(set(pt)) == 1:  # the box's least point is square: move one coordinate off it
            i = next((j for j in reversed(range(len(pt))) if hi[j] > lo[j]), None)
            if i is None:
                continue
            pt[i] += 1
        found.add(tuple(pt))
    out, firsts = [], set()
    for pt in sorted(found):
        if pt[0] not in firsts:
            firsts.add(pt[0])
            out.append(pt)
    return out


# ------------------------------------------------------------------------------ the constraint set


class ConstraintSet:
    def __init__(self, input_symbols: Tuple[str, ...] = ()):
        self.input_symbols = tuple(input_symbols)
        self.equations: List[Dim] = []  # each must equal 0
        self.positive: List[Dim] = []  # each must be >= 1

    def require_positive(self, d: Dim) -> None:
        if isinstance(d, Expr) and not d.is_opaque() and BATCH not in d.symbols():
            self.positive.append(d)

    def require_equal(self, a: Dim, b: Dim) -> Solution:
        """Record a == b unless it is proven that no input satisfies it with everything so far."""
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


_SOLVED: Dict[tuple, Solution] = {}


def solve(equations: List[Dim], positive: List[Dim]) -> Solution:
    key = (tuple(equations), tuple(positive))
    if key not in _SOLVED:
        if len(_SOLVED) > 512:
            _SOLVED.clear()
        _SOLVED[key] = _solve(equations, positive)
    return _SOLVED[key]


def _solve(equations: List[Dim], positive: List[Dim]) -> Solution:
    names = tuple(sorted(set().union(*(e.symbols() for e in equations if isinstance(e, Expr)))))
    if not names or any(n.startswith("?") or n == BATCH for n in names):
        return Solution(MAYBE)
    if any(_content_refutes(e) for e in equations):
        return Solution(UNSAT, names, complete=True)
    pos = [p for p in positive if isinstance(p, Expr) and p.symbols() <= set(names)]
    low, settled = _lower_bounds(names, pos)
    checks = [_Check(e, True, names, low) for e in equations]
    checks += [_Check(p, False, names, low) for i, p in enumerate(pos) if i not in settled]
    problem = _Problem(names, checks, tuple(low[n] for n in names))
    boxes, complete = problem.search(_start_boxes(equations, names, low))
    if boxes:
        return Solution(SAT, names, boxes, complete, problem)
    return Solution(UNSAT if complete else MAYBE, names, complete=complete)


def _start_boxes(equations: List[Dim], names: Tuple[str, ...], low: Dict[str, int]):
    """Where the search starts: the exact solution boxes of the equation in product form
    that pins the most symbols (all its solutions lie in them), else the whole domain."""
    best = None
    for e in sorted(equations, key=lambda e: -len(e.symbols())):
        boxes = _product_boxes(e, names, low)
        if boxes is not None and (best is None or len(e.symbols()) > best[0]):
            best = (len(e.symbols()), boxes)
            if best[0] == len(names):
                break
    if best is None:
        return [(tuple(low[n] for n in names), (None,) * len(names))]
    return best[1]


def _content_refutes(e: Dim) -> bool:
    """True when every non-constant coefficient shares a factor the constant lacks:
    18*(H//2)*(W//2) - 1000 is never 0, since the atoms are integers."""
    if not isinstance(e, Expr):
        return e != 0
    terms = dict(e.terms)
    const = terms.pop((), 0)
    g = 0
    for c in terms.values():
        g = gcd(g, c)
    return g > 1 and const % g != 0


# ------------------------------------------------------------------------------ monotonicity


def _monotone_signs(terms, low: Dict[str, int]) -> Optional[Dict[str, int]]:
    """For each symbol: +1 if the expression never decreases when that symbol grows
    (others fixed, all symbols >= `low`), -1 if it never increases; None if unproven.
    Symbols it does not depend on are absent.

    Why it holds: each atom (a symbol, or a floor division of an expression shown
    non-decreasing in all its symbols) is non-decreasing, so on the domain it equals
    its value at `low` plus an excess e >= 0. Expanded in the excesses, a term with a
    non-negative coefficient never decreases as any excess grows (a product of
    non-negative factors), so if every term containing an excess of a symbol's atoms
    has the same sign, growing that symbol moves the whole sum one way only. The
    subtraction in (H//2 - 6)*(W//2 - 6) passes: with H, W >= 14 it expands to
    (1 + eH)*(1 + eW). H - H//2 does not: its atoms move in opposite directions.
    """
    atoms: Dict[tuple, Tuple[int, Tuple[str, ...]]] = {}  # atom -> (least value, symbols)
    for mono, _ in terms:
        for atom in mono:
            if atom in atoms:
                continue
            if atom[0] == "s":
                atoms[atom] = (low[atom[1]], (atom[1],))
                continue
            inner = _monotone_signs(atom[1], low)
            if inner is None or any(s < 0 for s in inner.values()):
                return None
            atoms[atom] = (evaluate(Expr(atom[1]), low) // atom[2], tuple(inner))
    total: Dict[tuple, int] = {}  # excess monomial -> coefficient, summed over all terms
    for mono, coeff in terms:
        if len(mono) > MAX_SHIFT_DEGREE:
            return None
        # coeff * prod(least + excess), expanded: one term per subset of the atoms (the
        # subsets of a sorted monomial stay sorted, so equal products share a key)
        expanded: Dict[tuple, int] = {(): coeff}
        for atom in mono:
            least = atoms[atom][0]
            grown: Dict[tuple, int] = {}
            for excess, c in expanded.items():
                if least:
                    grown[excess] = grown.get(excess, 0) + c * least
                with_atom = excess + (atom,)
                grown[with_atom] = grown.get(with_atom, 0) + c
            expanded = grown
        for excess, c in expanded.items():
            total[excess] = total.get(excess, 0) + c
    signs: Dict[str, int] = {}
    mixed = set()
    for excess, c in total.items():
        if not excess or c == 0:
            continue
        sign = 1 if c > 0 else -1
        for atom in excess:
            for sym in atoms[atom][1]:
                if signs.setdefault(sym, sign) != sign:
                    mixed.add(sym)
    for sym in mixed:
        step = _step_sign(terms, sym)
        if step is None:
            return None
        signs[sym] = step
    return {sym: sign for sym, sign in signs.items() if sign}


def _step_sign(terms, sym: str) -> Optional[int]:
    """The direction of an expression linear in atoms of one symbol v: v itself, or
    (a*v + b)//d with a >= 0, each alone in its term. A unit step of v moves such an
    atom by floor(a/d) or ceil(a/d), so the step of the sum lies between the sums of
    the smaller and the larger moves: H - (H + 1)//2 never decreases (steps 1 - 1 and
    1 - 0), H//2 - 2*(H//4) goes both ways (steps 1 - 0 and 0 - 2). 0: constant."""
    least = most = 0
    for mono, coeff in terms:
        if not any(sym in _atom_symbols(atom) for atom in mono):
            continue
        if len(mono) != 1:
            return None
        moves = _unit_moves(mono[0], sym)
        if moves is None:
            return None
        least += min(coeff * m for m in moves)
        most += max(coeff * m for m in moves)
    if least >= 0:
        return 1 if most > 0 else 0
    return -1 if most <= 0 else None


def _unit_moves(atom, sym: str) -> Optional[Tuple[int, int]]:
    """How much the atom can change when `sym` grows by one: (smallest, largest)."""
    if atom == ("s", sym):
        return 1, 1
    if atom[0] != "f":
        return None
    inner = dict(atom[1])
    slope = inner.pop(((("s", sym),)), 0)
    if inner.keys() - {()} or slope < 0:
        return None  # not (a*v + b)//d
    return slope // atom[2], -(-slope // atom[2])


# ------------------------------------------------------------------------------ products


def _product_form(e: Expr):
    """e == 0 rewritten exactly as q_1(s_1) * ... * q_n(s_n) == K, one integer
    polynomial per symbol, or None.

    A flatten of (C, H//2 - 6, W//2 - 6) reaches the solver expanded. Grouping each
    monomial's atoms by symbol makes the coefficients a tensor indexed by one
    sub-monomial per symbol; e minus its constant, plus some shift, is a product of
    one-symbol polynomials exactly when that tensor has rank one. With a pivot entry
    T[p] (every index non-empty), rank one means T[k] * T[p]**(n-1) equals the product
    of the pivot's lines T[p with index i set to k_i], for every k but the constant one,
    which is checked on every key the product can have.
    """
    terms = dict(e.terms)
    const = terms.pop((), 0)
    groups = sorted(e.symbols())
    where = {sym: i for i, sym in enumerate(groups)}
    n = len(groups)
    tensor: Dict[tuple, int] = {}
    for mono, c in terms.items():
        parts: List[list] = [[] for _ in groups]
        for atom in mono:
            syms = _atom_symbols(atom)
            if len(syms) != 1:
                return None
            parts[where[syms.pop()]].append(atom)
        key = tuple(tuple(part) for part in parts)  # parts of a sorted monomial stay sorted
        tensor[key] = tensor.get(key, 0) + c
    if n == 1:
        return [(groups[0], Expr(tuple(sorted(terms.items()))))], -const
    pivot = next((k for k, c in tensor.items() if c and all(k)), None)
    if pivot is None:
        return None
    lines = []
    for i in range(n):
        line = {}
        for m in {k[i] for k in tensor} | {()}:
            c = tensor.get(pivot[:i] + (m,) + pivot[i + 1:], 0)  # never the constant key: n >= 2
            if c:
                line[m] = c
        lines.append(line)
    if any(key[i] not in lines[i] for key in tensor for i in range(n)):
        return None
    count = 1
    for line in lines:
        count *= len(line)
    if count > 4096:
        return None
    scale = tensor[pivot] ** (n - 1)
    shifted_constant = 0
    for combo in itertools.product(*(line.items() for line in lines)):
        key = tuple(m for m, _ in combo)
        value = 1
        for _, c in combo:
            value *= c
        if not any(key):
            shifted_constant = value
        elif tensor.get(key, 0) * scale != value:
            return None
    factors = [(groups[i], Expr(tuple(sorted(lines[i].items())))) for i in range(n)]
    # e == 0  <=>  prod(q_i) / scale - shifted_constant / scale + const == 0
    return factors, shifted_constant - const * scale


def _atom_symbols(atom) -> set:
    return {atom[1]} if atom[0] == "s" else Expr(atom[1]).symbols()


def _product_boxes(e: Expr, names: Tuple[str, ...], low: Dict[str, int]):
    """All solutions of e == 0 in the domain as finite boxes over the symbols of e
    (the others unbounded), when e is a product of monotone one-symbol factors; else None.

    Each factor takes a value dividing K; a monotone factor takes a given value on an
    interval of its symbol, found by binary search. So the boxes are exact.
    """
    form = _product_form(e)
    if form is None:
        return None
    factors, target = form
    if target == 0 or abs(target) > MAX_PRODUCT:
        return None  # a zero factor leaves the other sizes free: the search handles it
    pieces = []  # per factor: (index of its symbol, fn oriented to grow, direction, least value)
    for sym, q in factors:
        signs = _monotone_signs(q.terms, {sym: low[sym]})
        direction = signs.get(sym, 0) if signs is not None else 0
        if direction == 0:
            return None
        fn = compile_dim(q, (sym,))
        grow = fn if direction > 0 else (lambda v, fn=fn: -fn(v))
        pieces.append((names.index(sym), grow, direction, grow(low[sym]), low[sym]))
    divisors = _divisors(abs(target))
    boxes = []

    def assign(i, remaining, chosen):
        if len(boxes) > MAX_PRODUCT_BOXES:
            return
        _index, _grow, direction, least, _start = pieces[i]
        if i == len(pieces) - 1:
            options = [remaining]
        else:
            options = [s * d for d in divisors if remaining % d == 0 for s in (1, -1)]
        for value in options:
            if direction * value < least:  # below what the factor can reach on the domain
                continue
            chosen.append(value)
            if i == len(pieces) - 1:
                boxes.append(list(chosen))
            elif remaining % value == 0:
                assign(i + 1, remaining // value, chosen)
            chosen.pop()

    assign(0, target, [])
    if len(boxes) > MAX_PRODUCT_BOXES:
        return None
    out = []
    for values in boxes:
        lo, hi = [low[n] for n in names], [None] * len(names)
        for (index, grow, direction, _least, start), value in zip(pieces, values):
            span = _preimage(grow, start, direction * value)
            if span is False:
                return None  # not decided below LARGEST: leave it to the search
            if span is None:
                break
            lo[index], hi[index] = span
        else:
            out.append((tuple(lo), tuple(hi)))
    return sorted(out)


def _preimage(grow, start: int, value: int):
    """The interval of v >= start where the non-decreasing grow(v) == value: (a, b),
    None when there is none, False when undecided below LARGEST."""
    a = _least_at_least(grow, start, value)
    if a is None:
        return False
    if grow(a) != value:
        return None
    b = _least_at_least(grow, a, value + 1)
    if b is None:
        return False
    return a, b - 1


def _divisors(k: int) -> List[int]:
    small, large = [], []
    d = 1
    while d * d <= k:
        if k % d == 0:
            small.append(d)
            if d * d != k:
                large.append(k // d)
        d += 1
    return small + large[::-1]


# ------------------------------------------------------------------------------ the search


class _Check:
    """One requirement, compiled: an equation (== 0) or a positivity bound (>= 1),
    with its direction in each symbol (+1, -1, 0: independent) or None when unproven."""

    __slots__ = ("fn", "equation", "signs", "rising", "falling")

    def __init__(self, d: Expr, equation: bool, names: Tuple[str, ...], low: Dict[str, int]):
        self.fn = compile_dim(d, names)
        self.equation = equation
        signs = _monotone_signs(d.terms, low)
        self._set_signs(None if signs is None else tuple(signs.get(n, 0) for n in names))

    def _set_signs(self, signs) -> None:
        self.signs = signs
        self.rising = () if signs is None else tuple(i for i, s in enumerate(signs) if s > 0)
        self.falling = () if signs is None else tuple(i for i, s in enumerate(signs) if s < 0)

    def range(self, lo: tuple, hi: tuple):
        """(least, greatest) over the box; None for a side that is unbounded or unknown."""
        if self.signs is None:
            if lo == hi:
                v = self.fn(*lo)
                return v, v
            return None, None
        return self._corner(lo, hi, self.falling), self._corner(lo, hi, self.rising)

    def _corner(self, lo: tuple, hi: tuple, upper: tuple):
        """The value with the `upper` coordinates at the box's top, the others at its bottom."""
        if not upper:
            return self.fn(*lo)
        pt = list(lo)
        for i in upper:
            if hi[i] is None:
                return None
            pt[i] = hi[i]
        return self.fn(*pt)

    def holds(self, pt: tuple) -> bool:
        v = self.fn(*pt)
        return v == 0 if self.equation else v >= 1


EMPTY, FULL, SPLIT = 0, 1, 2


class _Problem:
    """Requirements over symbols each at least `low`: the boxes that solve them."""

    def __init__(self, names: Tuple[str, ...], checks: List[_Check], low: tuple):
        self.names = names
        self.checks = checks
        self.low = low
        self._squares: Optional[Solution] = None

    def classify(self, lo: tuple, hi: tuple) -> int:
        full = None not in hi
        for c in self.checks:
            least, most = c.range(lo, hi)
            if c.equation:
                if (least is not None and least > 0) or (most is not None and most < 0):
                    return EMPTY
                full = full and least == 0 and most == 0
            else:
                if most is not None and most < 1:
                    return EMPTY
                full = full and least is not None and least >= 1
        return FULL if full else SPLIT

    def search(self, start=None) -> Tuple[List[Tuple[tuple, tuple]], bool]:
        """The solution boxes found, and whether they are all there are. `start`: boxes
        known to hold every solution (default: the whole domain)."""
        n = len(self.names)
        stack = list(reversed(start)) if start is not None else [(self.low, (None,) * n)]
        found: List[Tuple[tuple, tuple]] = []
        points = work = 0
        per_box = 2 * len(self.checks) + 1
        while stack:
            if work >= MAX_WORK or self._enough(found, points):
                return found, False
            lo, hi = stack.pop()
            work += per_box
            kind = self.classify(lo, hi)
            if kind == EMPTY:
                continue
            if kind == FULL:
                found.append((lo, hi))
                points += _box_size(lo, hi)
                continue
            size = _box_size(lo, hi)
            if size is not None and size <= SMALL_BOX:
                work += size * len(self.checks)
                for pt in itertools.product(*(range(a, b + 1) for a, b in zip(lo, hi))):
                    if all(c.holds(pt) for c in self.checks):
                        found.append((pt, pt))
                        points += 1
                continue
            left, right = _split(lo, hi)
            stack.append(right)
            stack.append(left)  # the smaller sizes first
        return found, True

    def _enough(self, found, points: int) -> bool:
        if len(self.names) > 1:
            return points >= ENOUGH_POINTS_MANY
        # boxes come in increasing order: count the gaps between them
        gaps = sum(1 for (_, prev_hi), (lo, _) in zip(found, found[1:]) if lo[0] > prev_hi[0] + 1)
        return gaps + 1 > ENOUGH_INTERVALS if found else False

    def squares(self) -> Optional[Solution]:
        """The solutions with every symbol equal, searched on their own (exact when the
        requirements are monotone with one direction); None with a single symbol."""
        if len(self.names) < 2:
            return None
        if self._squares is None:
            n = len(self.names)
            diagonal = [_DiagonalCheck(c, n) for c in self.checks]
            sub = _Problem(("side",), diagonal, (max(self.low),))
            boxes, complete = sub.search()
            self._squares = Solution(SAT if boxes else (UNSAT if complete else MAYBE), ("side",), boxes, complete)
        return self._squares


class _DiagonalCheck(_Check):
    """A requirement restricted to square sizes (every symbol the same side)."""

    __slots__ = ()

    def __init__(self, check: _Check, n: int):
        fn = check.fn
        self.fn = lambda s, fn=fn, n=n: fn(*([s] * n))
        self.equation = check.equation
        moving = set() if check.signs is None else {s for s in check.signs if s}
        self._set_signs(None if check.signs is None or len(moving) > 1 else ((moving.pop() if moving else 0),))


def _box_size(lo: tuple, hi: tuple) -> Optional[int]:
    size = 1
    for a, b in zip(lo, hi):
        if b is None:
            return None
        size *= b - a + 1
    return size


def _split(lo: tuple, hi: tuple):
    """Two halves: an unbounded side is cut at about twice its start (so any size is a
    few doublings away), a bounded box across its widest side."""
    open_sides = [i for i, b in enumerate(hi) if b is None]
    if open_sides:
        i = open_sides[0]
        cut = lo[i] + max(lo[i], 32) - 1
    else:
        i = max(range(len(lo)), key=lambda j: hi[j] - lo[j])
        cut = (lo[i] + hi[i]) // 2
    left = (lo, hi[:i] + (cut,) + hi[i + 1:])
    right = (lo[:i] + (cut + 1,) + lo[i + 1:], hi)
    return left, right


# ------------------------------------------------------------------------------ the domain


def _lower_bounds(names: Tuple[str, ...], positive: Sequence[Expr]):
    """Each symbol's least possible value from the one-symbol positivity requirements,
    every smaller value shown to fail one; and which requirements the bound settles
    (monotone ones: they hold everywhere above it)."""
    low = {n: 1 for n in names}
    settled = set()
    for i, p in enumerate(positive):
        syms = p.symbols()
        if len(syms) != 1:
            continue
        (name,) = syms
        fn = compile_dim(p, (name,))
        signs = _monotone_signs(p.terms, {name: 1})
        if signs is not None and signs.get(name, 0) > 0:
            least = _least_at_least(fn, 1, 1)
            low[name] = max(low[name], LARGEST if least is None else least)
            settled.add(i)
        else:
            v = 1
            while v <= SCAN_LIMIT and fn(v) < 1:
                v += 1
            low[name] = max(low[name], v)
    return low, settled


def _least_at_least(fn, start: int, target: int) -> Optional[int]:
    """The least v >= start with fn(v) >= target, for a non-decreasing fn; None when
    there is none below LARGEST."""
    if fn(start) >= target:
        return start
    below, step = start, 1
    while True:
        above = start + step
        if above >= LARGEST:
            return None
        if fn(above) >= target:
            break
        below, step = above, step * 2
    while above - below > 1:
        mid = (below + above) // 2
        if fn(mid) >= target:
            above = mid
        else:
            below = mid
    return above
