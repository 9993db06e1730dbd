"""Symbolic tensor sizes: integer polynomials over named symbols and floor divisions.

A dimension is either a plain ``int`` or an :class:`Expr`. Expressions are kept in a
canonical form (a sum of monomials with integer coefficients), so two sizes that torch
would compute identically compare equal, and anything constant collapses back to int.
"""

from __future__ import annotations

from itertools import count
from typing import Dict, Iterable, Optional, Tuple, Union

# An atom is ("s", name) for a symbol or ("f", terms, divisor) for floor(terms / divisor).
Atom = tuple
Monomial = Tuple[Atom, ...]
Terms = Tuple[Tuple[Monomial, int], ...]

Dim = Union[int, "Expr"]

BATCH_NAME = "B"  # the batch dimension is always this symbol internally

_fresh = count(1)


class Expr:
    __slots__ = ("terms", "_hash")

    def __init__(self, terms: Terms):
        self.terms = terms
        self._hash = hash(terms)

    # construction -------------------------------------------------------------
    @staticmethod
    def symbol(name: str) -> "Expr":
        return Expr(((((("s", name),)), 1),))

    @staticmethod
    def opaque(hint: str = "u") -> "Expr":
        """A size nobody can know statically; it never takes part in constraints."""
        return Expr.symbol(f"?{hint}{next(_fresh)}")

    # protocol ---------------------------------------------------------------
    def __eq__(self, other):
        return isinstance(other, Expr) and other.terms == self.terms

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"Expr({self})"

    def __str__(self):
        from .factored import factored_text  # a product is shown as one: 16*(H//4 - 2)*(W//4 - 2)

        return factored_text(self.terms) or _format_terms(self.terms)

    def __add__(self, other):
        return add(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        return add(self, mul(other, -1))

    def __rsub__(self, other):
        return add(other, mul(self, -1))

    def __mul__(self, other):
        return mul(self, other)

    __rmul__ = __mul__

    def __neg__(self):
        return mul(self, -1)

    def __floordiv__(self, other):
        return floordiv(self, other)

    def __rfloordiv__(self, other):
        return floordiv(other, self)

    def symbols(self) -> set:
        out: set = set()
        _collect_symbols(self.terms, out)
        return out

    def is_opaque(self) -> bool:
        return any(s.startswith("?") for s in self.symbols())


def _collect_symbols(terms: Terms, out: set) -> None:
    for mono, _ in terms:
        for atom in mono:
            if atom[0] == "s":
                out.add(atom[1])
            else:
                _collect_symbols(atom[1], out)


def _terms_of(d: Dim) -> Dict[Monomial, int]:
    if isinstance(d, Expr):
        return dict(d.terms)
    if isinstance(d, bool) or not isinstance(d, int):
        raise TypeError(f"not a size: {d!r}")
    return {(): d} if d else {}


def _make(terms: Dict[Monomial, int]) -> Dim:
    items = tuple(sorted((m, c) for m, c in terms.items() if c != 0))
    if not items:
        return 0
    if len(items) == 1 and items[0][0] == ():
        return items[0][1]
    return Expr(items)


def add(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    out = _terms_of(a)
    for m, c in _terms_of(b).items():
        out[m] = out.get(m, 0) + c
    return _make(out)


def mul(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    out: Dict[Monomial, int] = {}
    for ma, ca in _terms_of(a).items():
        for mb, cb in _terms_of(b).items():
            m = tuple(sorted(ma + mb))
            out[m] = out.get(m, 0) + ca * cb
    return _make(out)


def floordiv(a: Dim, d: Dim) -> Dim:
    """floor(a / d) for a positive integer divisor; exact wherever torch's is."""
    if isinstance(a, int) and isinstance(d, int):
        return a // d
    if not isinstance(d, int) or d <= 0:
        return Expr.opaque("div")
    if d == 1:
        return a
    whole: Dict[Monomial, int] = {}
    rest: Dict[Monomial, int] = {}
    for m, c in _terms_of(a).items():
        q, r = divmod(c, d)
        if q:
            whole[m] = q
        if r:
            rest[m] = r
    const = rest.pop((), 0)
    if not rest:
        return add(_make(whole), const // d)
    rest[()] = const
    # floor(floor(x / p) / q) == floor(x / (p*q)) for positive p, q
    # floor((floor(x / p) + c) / q) == floor((x + p*c) / (p*q)) for integer x, positive p, q
    nested = [m for m in rest if m != ()]
    if len(nested) == 1 and rest[nested[0]] == 1 and len(nested[0]) == 1 and nested[0][0][0] == "f":
        _tag, inner_terms, p = nested[0][0]
        folded = floordiv(add(Expr(inner_terms), p * rest[()]), p * d)
        return add(_make(whole), folded)
    inner = _make(rest)
    atom = ("f", inner.terms, d)
    return add(_make(whole), _make({(atom,): 1}))


def ceildiv(a: Dim, d: int) -> Dim:
    return floordiv(add(a, d - 1), d)


def exact_div(a: Dim, b: Dim) -> Optional[Dim]:
    """a / b when it is certainly an integer expression, else None."""
    if isinstance(b, int):
        if b == 0:
            return None
        if isinstance(a, int):
            return a // b if a % b == 0 else None
        terms = _terms_of(a)
        if all(c % b == 0 for c in terms.values()):
            return _make({m: c // b for m, c in terms.items()})
        return None
    bt = _terms_of(b)
    if len(bt) != 1:
        return a if a == b else None
    (bm, bc), = bt.items()
    out: Dict[Monomial, int] = {}
    for m, c in _terms_of(a).items():
        rest = list(m)
        for atom in bm:
            if atom not in rest:
                return None
            rest.remove(atom)
        if c % bc:
            return None
        out[tuple(rest)] = c // bc
    return _make(out)


def evaluate(d: Dim, env: Dict[str, int]) -> int:
    if isinstance(d, int):
        return d
    return _eval_terms(d.terms, env)


def _eval_terms(terms: Terms, env: Dict[str, int]) -> int:
    total = 0
    for mono, coeff in terms:
        v = coeff
        for atom in mono:
            if atom[0] == "s":
                v *= env[atom[1]]
            else:
                v *= _eval_terms(atom[1], env) // atom[2]
        total += v
    return total


def compile_dim(d: Dim, names: Tuple[str, ...]):
    """A fast Python function of the symbols' values, for the constraint search."""
    src = _py_terms(d.terms) if isinstance(d, Expr) else str(d)
    args = ", ".join(_py_name(n) for n in names)
    return eval(f"lambda {args}: {src}")  # our own generated arithmetic, never user text


def _py_name(name: str) -> str:
    return "v_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def _py_terms(terms: Terms) -> str:
    parts = []
    for mono, coeff in terms:
        factors = [str(coeff)]
        for atom in mono:
            if atom[0] == "s":
                factors.append(_py_name(atom[1]))
            else:
                factors.append(f"(({_py_terms(atom[1])})//{atom[2]})")
        parts.append("*".join(factors))
    return "(" + " + ".join(parts) + ")" if parts else "0"


def _format_terms(terms: Terms) -> str:
    out = ""
    ordered = sorted(terms, key=lambda t: (t[0] == (), t[0]))
    for i, (mono, coeff) in enumerate(ordered):
        factors = []
        for atom in mono:
            if atom[0] == "s":
                # an opaque size reads as `?`: its counter is an internal name, and it would make
                # the same finding read differently in the CLI and the editor
                factors.append("?" if atom[1].startswith("?") else atom[1])
            else:
                inner = _format_terms(atom[1])
                if len(atom[1]) > 1:
                    inner = f"({inner})"
                factors.append(f"{inner}//{atom[2]}")
        mag = abs(coeff)
        if len(factors) > 1 or mag != 1:
            factors = [f"({f})" if "//" in f else f for f in factors]
        body = "*".join(factors)
        if not body:
            text = str(mag)
        elif mag == 1:
            text = body
        else:
            text = f"{mag}*{body}"
        if i == 0:
            out = ("-" if coeff < 0 else "") + text
        else:
            out += (" - " if coeff < 0 else " + ") + text
    return out or "0"


def shape_text(shape) -> str:
    """`(4, 3, H, W)` as every message, table and hint writes a shape; `?` when unknown."""
    if shape is None:
        return "?"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def to_json(d: Dim):
    return d if isinstance(d, int) else str(d)


def is_known(d) -> bool:
    return isinstance(d, int) and not isinstance(d, bool)


def size_or_opaque(d, hint: str) -> Dim:
    """A layer argument as the size it gives its output: a number, or a symbol of the class's own
    constructor argument (`nn.Linear(dim, num_classes)` checked with num_classes a symbol,
    engine/symbolic_init.py) or any other size; anything else is a fresh unknown size."""
    return d if is_known(d) or isinstance(d, Expr) else Expr.opaque(hint)


def product(dims: Iterable[Dim]) -> Dim:
    out: Dim = 1
    for d in dims:
        out = mul(out, d)
    return out


def substitute(d: Dim, env: Dict[str, int]) -> Dim:
    """Replace the symbols in `env` by their values (e.g. a declared batch size)."""
    if isinstance(d, int):
        return d
    return _subst_terms(d.terms, env)


def _subst_terms(terms: Terms, env: Dict[str, int]) -> Dim:
    total: Dim = 0
    for mono, coeff in terms:
        v: Dim = coeff
        for atom in mono:
            if atom[0] == "s":
                v = mul(v, env.get(atom[1], Expr.symbol(atom[1])))
            else:
                v = mul(v, floordiv(_subst_terms(atom[1], env), atom[2]))
        total = add(total, v)
    return total
