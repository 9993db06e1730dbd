"""Symbolic sizes shown as products: `16*(H//4 - 2)*(W//4 - 2)`, not the expanded polynomial.

`core.symbolic` keeps every size as a sum of monomials (so equal sizes compare equal); a
flatten of (16, H//4 - 2, W//4 - 2) is then `16*(H//4)*(W//4) - 32*(H//4) - 32*(W//4) + 64`,
which nobody recognises as the tensor they wrote. `factored_text` finds the product again when
the polynomial is a constant times factors that are each linear in one atom (a symbol or a floor
division), as a flatten of several sizes is; it multiplies the factors back and uses the text
only when that gives the same polynomial.
"""

from __future__ import annotations

from math import gcd
from typing import Dict, List, Optional, Tuple

MAX_TERMS = 64  # larger polynomials are shown expanded (the search is quadratic in the terms)
_CACHE: Dict[tuple, Optional[str]] = {}


def factored_text(terms) -> Optional[str]:
    """The product form of a polynomial with two or more non-constant factors; None otherwise."""
    if len(terms) > MAX_TERMS or len(terms) < 2:
        return None
    if terms in _CACHE:
        return _CACHE[terms]
    text = _factor(terms)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[terms] = text
    return text


def _factor(terms) -> Optional[str]:
    from .symbolic import _format_terms, _make, mul

    poly = dict(terms)
    factors: List[Dict[tuple, int]] = []
    while True:
        split = _split_linear(poly)
        if split is None:
            break
        factor, poly = split
        factors.append(factor)
    if poly.keys() - {()}:
        g = _content(poly)
        factors.append({m: c // g for m, c in poly.items()})
        poly = {(): g}
    if len(factors) < 2:
        return None
    const = poly.get((), 0)
    rebuilt = const
    for f in factors:
        rebuilt = mul(rebuilt, _make(f))
    if rebuilt != _make(dict(terms)):
        return None
    shown = sorted((_format_terms(tuple(sorted(f.items()))), len(f)) for f in factors)
    # a sum, or a floor division (`A*H//2` would read as (A*H)//2, `-H//2` as (-H)//2), in parentheses
    body = "*".join(f"({t})" if n > 1 or "/" in t or "%" in t else t for t, n in shown)
    if const == 1:
        return body
    return f"-{body}" if const == -1 else f"{const}*{body}"


def _split_linear(poly: Dict[tuple, int]) -> Optional[Tuple[Dict[tuple, int], Dict[tuple, int]]]:
    """`poly` as (a + k) * rest for an atom `a` of degree one in it and an integer k; None if none."""
    atoms = sorted({a for m in poly for a in m}, key=repr)
    for a in atoms:
        if any(m.count(a) > 1 for m in poly):
            continue
        with_a = {_without(m, a): c for m, c in poly.items() if a in m}
        rest = {m: c for m, c in poly.items() if a not in m}
        if not with_a or not (with_a.keys() - {()}) and not rest:
            continue  # `c*a` alone: no factor worth showing
        k = _ratio(rest, with_a)
        if k is None:
            continue
        return ({(a,): 1, (): k} if k else {(a,): 1}), with_a
    return None


def _ratio(rest: Dict[tuple, int], base: Dict[tuple, int]) -> Optional[int]:
    """The integer k with rest == k * base, None when there is none (0 for an empty rest)."""
    if not rest:
        return 0
    if rest.keys() != base.keys():
        return None
    m0 = next(iter(base))
    if rest[m0] % base[m0]:
        return None
    k = rest[m0] // base[m0]
    return k if all(rest[m] == k * base[m] for m in base) else None


def _without(mono: tuple, atom) -> tuple:
    out = list(mono)
    out.remove(atom)
    return tuple(out)


def _content(poly: Dict[tuple, int]) -> int:
    """The gcd of the coefficients, with the sign of the first term's (so the factor reads `H - 2`)."""
    g = 0
    for c in poly.values():
        g = gcd(g, c)
    first = sorted(poly, key=lambda m: (m == (), m))[0]
    return -g if poly[first] < 0 else g
