"""The proofs behind the input-size solver (constraints.py): content and monotonicity
of size expressions, exact product forms, lower bounds from positivity, and boxes.

Every function here either proves something about all sizes in a box or says it cannot
(None); none guesses. constraints.py explains how the parts make a sound answer.
"""

from __future__ import annotations

import itertools
from math import gcd
from typing import Dict, List, Optional, Sequence, Tuple

from ..core.symbolic import Dim, Expr, compile_dim, evaluate, substitute

MAX_SHIFT_DEGREE = 8  # monomials of higher degree are not expanded (then: not monotone)
LARGEST = 1 << 62  # binary searches stop here: no tensor has a side this long
MAX_PRODUCT = 10 ** 9  # products up to this are solved by their divisors
MAX_PRODUCT_BOXES = 20000
SCAN_LIMIT = 4096  # how far a one-size requirement not known to be monotone is scanned


def content_refutes(e: Dim) -> bool:
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


def monotone_signs(terms, low: Dict[str, int]) -> Optional[Dict[str, int]]:
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
            inner = monotone_signs(atom[1], low)
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
        step = step_sign(terms, sym)
        if step is None:
            return None
        signs[sym] = step
    return {sym: sign for sym, sign in signs.items() if sign}


def step_sign(terms, sym: str) -> Optional[int]:
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


def product_boxes(e: Expr, names: Tuple[str, ...], low: Dict[str, int]):
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
        signs = monotone_signs(q.terms, {sym: low[sym]})
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
    a = least_at_least(grow, start, value)
    if a is None:
        return False
    if grow(a) != value:
        return None
    b = least_at_least(grow, a, value + 1)
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


def box_size(lo: tuple, hi: tuple) -> Optional[int]:
    size = 1
    for a, b in zip(lo, hi):
        if b is None:
            return None
        size *= b - a + 1
    return size


def split_box(lo: tuple, hi: tuple):
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


def lower_bounds(names: Tuple[str, ...], positive: Sequence[Expr]):
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
        signs = monotone_signs(p.terms, {name: 1})
        if signs is not None and signs.get(name, 0) > 0:
            least = least_at_least(fn, 1, 1)
            low[name] = max(low[name], LARGEST if least is None else least)
            settled.add(i)
        else:
            v = 1
            while v <= SCAN_LIMIT and fn(v) < 1:
                v += 1
            low[name] = max(low[name], v)
    return low, settled


def least_at_least(fn, start: int, target: int) -> Optional[int]:
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


# ------------------------------------------------------------------------------ pinned sizes


def pinned_value(e: Dim) -> Optional[Tuple[str, Optional[int]]]:
    """(symbol, value) for an equation a*S + c == 0 in one symbol, where S is forced to
    -c/a; (symbol, None) when no size >= 1 satisfies it; None for any other equation."""
    if not isinstance(e, Expr):
        return None
    terms = dict(e.terms)
    const = terms.pop((), 0)
    if len(terms) != 1:
        return None
    ((mono, coeff),) = terms.items()
    if len(mono) != 1 or mono[0][0] != "s":
        return None
    name = mono[0][1]
    if const % coeff != 0 or -const // coeff < 1:
        return name, None
    return name, -const // coeff


def substitute_pinned(equations: List[Dim], positive: List[Dim]):
    """The requirements with every size that a one-symbol linear equation forces replaced by
    its value (repeatedly: a value may pin another symbol): (equations, positive, the forced
    values), or None
    when the forced values already contradict a requirement. Every solution of the original
    requirements is a solution of the returned ones, so no solution here is a proof of none there."""
    env: Dict[str, int] = {}
    eqs, pos = list(equations), list(positive)
    while True:
        found = None
        for e in eqs:
            pin = pinned_value(e)
            if pin is not None:
                found = pin
                break
        if found is None:
            return eqs, pos, env
        name, value = found
        if value is None:
            return None
        env[name] = value
        eqs = [substitute(e, env) for e in eqs]
        pos = [substitute(p, env) for p in pos]
        if any(isinstance(e, int) and e != 0 for e in eqs) or any(isinstance(p, int) and p < 1 for p in pos):
            return None
        eqs = [e for e in eqs if not isinstance(e, int)]
        pos = [p for p in pos if not isinstance(p, int)]
