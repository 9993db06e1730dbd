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
  coefficients have one sign per size is monotone in that size (monotone_signs; a
  unit-step rule covers H - (H + 1)//2), so its range over a box lies between its
  values at two corners, exactly. Anything else is treated as unknown off single points;
- products: an equation that factors exactly into one polynomial per size,
  q1(H) * q2(W) == K (a flatten into a Linear), has all its solutions in the boxes
  where each monotone factor takes one divisor of K (product_boxes);
- branch and bound over boxes of the domain (or those product boxes): a box where some
  equation cannot reach 0 (or some positivity requirement cannot reach 1) holds no
  solution; a box where every requirement is constant and met is all solutions; other
  boxes are split, unbounded sides by doubling. UNSAT when every box was excluded; a
  work budget ends the search with SAT when some size was found and MAYBE otherwise.

Sizes are taken to be below 2**62 (LARGEST), where no tensor can reach.
"""

from __future__ import annotations

import itertools
from typing import Dict, List, Optional, Tuple

from ..core.symbolic import BATCH_NAME as BATCH, Dim, Expr, add, compile_dim, mul
from .size_proofs import (
    box_size, content_refutes, lower_bounds, monotone_signs, pinned_value, product_boxes, split_box,
    substitute_pinned,
)

SAT, UNSAT, MAYBE = "sat", "unsat", "maybe"

MAX_WORK = 50_000  # requirement evaluations one search may spend; then it stops (MAYBE unless
#                   a size was found): about 30 ms of CPU at worst
ENOUGH_INTERVALS = 7  # one symbol: a search stops with more separate intervals than describe shows
ENOUGH_POINTS_MANY = 64  # several symbols: it stops with this many sizes (squares have their own search)
SMALL_BOX = 64  # boxes with at most this many points are checked point by point
MAX_ROWS = 4096  # sizes listed by Solution.rows


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

    def describe(self, order: Tuple[str, ...] = ()) -> str:
        """E.g. '32x32 inputs', 'sides 32..33 (32x32 to 33x33), or non-square sizes such
        as 2x512' or 'L in 100..103'. A size is written in `order` (the symbols as the input
        lists them: (B, D1, A) writes D1 first) where it names them all, else by name."""
        if not self.boxes or not self.names:
            return "no input size"
        if len(self.names) == 1:
            return f"{self.names[0]} in {_values_text(_intervals(self.boxes), self.complete)}"
        examples = _non_square_examples(self.boxes)
        order = tuple(n for n in order if n in self.names)
        if sorted(order) == sorted(self.names):
            at = [self.names.index(n) for n in order]
            examples = [tuple(e[i] for i in at) for e in examples]
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
        # symbols 0 is a valid value of (a constructor argument used as a conv's padding): the
        # search takes every symbol to be >= 1, so requirements with them are never searched
        self.may_be_zero: set = set()

    def allow_zero(self, d: Dim) -> None:
        if isinstance(d, Expr):
            self.may_be_zero |= {s for s in d.symbols() if not s.startswith("?") and s != BATCH}

    def _searchable(self, ds: List[Dim]) -> List[Dim]:
        return [d for d in ds if not self._touches_zero(d)]

    def _touches_zero(self, d: Dim) -> bool:
        return isinstance(d, Expr) and bool(self.may_be_zero) and not self.may_be_zero.isdisjoint(d.symbols())

    def require_positive(self, d: Dim) -> None:
        if isinstance(d, Expr) and not d.is_opaque() and BATCH not in d.symbols() and not self._touches_zero(d):
            self.positive.append(d)

    def require_equal(self, a: Dim, b: Dim) -> Solution:
        """Record a == b unless it is proven that no input satisfies it with everything so far."""
        diff = add(a, mul(b, -1))
        if isinstance(diff, int):
            return Solution(SAT if diff == 0 else UNSAT)
        if diff.is_opaque() or BATCH in diff.symbols():
            return Solution(MAYBE)
        if self._touches_zero(diff):  # only the proof that holds for every integer
            return Solution(UNSAT if content_refutes(diff) else MAYBE)
        result = solve(self._searchable(self.equations) + [diff], self._searchable(self.positive))
        if result.verdict != UNSAT:
            self.equations.append(diff)
        return result

    def forced(self) -> Dict[str, int]:
        """The sizes the requirements force (`C - 32`: C is 32); {} when there are none or they contradict."""
        equations = self._searchable(self.equations)
        reduced = substitute_pinned(equations, self._searchable(self.positive)) if equations else None
        return reduced[2] if reduced is not None else {}

    def solutions(self) -> Solution:
        equations = self._searchable(self.equations)
        if not equations:
            return Solution(MAYBE)
        return solve(equations, self._searchable(self.positive))


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
    if any(content_refutes(e) for e in equations) or _pins_refute(equations, positive):
        return Solution(UNSAT, names, complete=True)
    pos = [p for p in positive if isinstance(p, Expr) and p.symbols() <= set(names)]
    low, settled = lower_bounds(names, pos)
    checks = [_Check(e, True, names, low) for e in equations]
    checks += [_Check(p, False, names, low) for i, p in enumerate(pos) if i not in settled]
    problem = _Problem(names, checks, tuple(low[n] for n in names))
    boxes, complete = problem.search(_start_boxes(equations, names, low))
    if boxes:
        return Solution(SAT, names, boxes, complete, problem)
    return Solution(UNSAT if complete else MAYBE, names, complete=complete)


def _pins_refute(equations: List[Dim], positive: List[Dim]) -> bool:
    """True when the sizes that one-symbol equations force (`C - 32`: C is 32) leave requirements
    no size satisfies: a contradiction among the forced values, or a reduced problem proven
    unsatisfiable (-32*N == 0 once C is 32; unproven while C's sign could flip N's)."""
    if not any(pinned_value(e) is not None for e in equations):
        return False
    reduced = substitute_pinned(equations, positive)
    if reduced is None:
        return True
    eqs, pos, _forced = reduced
    return bool(eqs) and len(eqs) < len(equations) and solve(eqs, pos).verdict == UNSAT


def _start_boxes(equations: List[Dim], names: Tuple[str, ...], low: Dict[str, int]):
    """Where the search starts: the exact solution boxes of the equation in product form
    that pins the most symbols (all its solutions lie in them), else the whole domain."""
    best = None
    for e in sorted(equations, key=lambda e: -len(e.symbols())):
        boxes = product_boxes(e, names, low)
        if boxes is not None and (best is None or len(e.symbols()) > best[0]):
            best = (len(e.symbols()), boxes)
            if best[0] == len(names):
                break
    if best is None:
        return [(tuple(low[n] for n in names), (None,) * len(names))]
    return best[1]


class _Check:
    """One requirement, compiled: an equation (== 0) or a positivity bound (>= 1),
    with its direction in each symbol (+1, -1, 0: independent) or None when unproven."""

    __slots__ = ("fn", "equation", "signs", "rising", "falling")

    def __init__(self, d: Expr, equation: bool, names: Tuple[str, ...], low: Dict[str, int]):
        self.fn = compile_dim(d, names)
        self.equation = equation
        signs = monotone_signs(d.terms, low)
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
                points += box_size(lo, hi)
                continue
            size = box_size(lo, hi)
            if size is not None and size <= SMALL_BOX:
                work += size * len(self.checks)
                for pt in itertools.product(*(range(a, b + 1) for a, b in zip(lo, hi))):
                    if all(c.holds(pt) for c in self.checks):
                        found.append((pt, pt))
                        points += 1
                continue
            left, right = split_box(lo, hi)
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
