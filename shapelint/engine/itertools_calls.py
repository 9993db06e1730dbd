"""The itertools functions model code builds tables with, on known finite iterables: LeViT's
`itertools.product(range(r), range(r))` grid points, timm's `tuple(repeat(x, 2))`, `chain` of
stage lists, `combinations` / `permutations`, `accumulate` of stage depths, `islice`,
`zip_longest`, `pairwise`. Each returns the list its iterator would yield (the engine keeps
iterators as lists); an iterable that is not known, or a result over MAX_SEQ items, is unknown."""

from __future__ import annotations

import itertools
import math

from ..core.symbolic import Expr
from ..core.values import Tensor, Unknown
from .frame import MAX_SEQ

QUALNAMES = frozenset({
    "itertools.repeat", "itertools.product", "itertools.chain", "itertools.chain.from_iterable",
    "itertools.combinations", "itertools.permutations", "itertools.accumulate", "itertools.islice",
    "itertools.zip_longest", "itertools.pairwise",
})


def _items(v):
    """The items iterating `v` gives, or None when they are not known."""
    if isinstance(v, range):
        return list(v) if len(v) <= MAX_SEQ else None
    if isinstance(v, (list, tuple, str)):
        return list(v)
    if isinstance(v, dict):
        return list(v.keys())
    return None


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_SEQ


def call(qualname: str, args, kwargs):
    name = qualname[len("itertools."):]
    if name == "repeat":
        return _repeat(args, kwargs)
    if name == "islice":
        return _islice(args, kwargs)
    if name == "accumulate":
        return _accumulate(args, kwargs)
    if name in ("combinations", "permutations"):
        return _choose(name, args, kwargs)
    positional = [_items(a) for a in args]
    if any(p is None for p in positional):
        return Unknown(f"itertools.{name} of an iterable shapelint does not know")
    size = _result_size(name, positional, kwargs)
    if size is None or size > MAX_SEQ:
        return Unknown(f"itertools.{name}")
    if name == "chain.from_iterable":
        inner = [_items(x) for x in positional[0]] if len(positional) == 1 and not kwargs else None
        if inner is None or any(x is None for x in inner):
            return Unknown("itertools.chain.from_iterable")
        return [y for x in inner for y in x]
    try:
        return list(getattr(itertools, name)(*positional, **kwargs))
    except TypeError:  # a wrong signature: Python raises
        return Unknown(f"itertools.{name} raises")


def _result_size(name, positional, kwargs):
    """How many items the call yields (before running it), or None for arguments not understood."""
    lens = [len(p) for p in positional]
    if name == "product":
        rep = kwargs.get("repeat", 1)
        if set(kwargs) - {"repeat"} or not _count(rep):
            return None
        return math.prod(lens) ** rep if lens or rep == 0 else 1
    if kwargs and name != "zip_longest":
        return None
    if name == "chain":
        return sum(lens)
    if name == "chain.from_iterable":
        return sum(len(_items(x) or ()) for x in positional[0]) if len(positional) == 1 else None
    if name == "zip_longest":
        plain = set(kwargs) <= {"fillvalue"} and not isinstance(kwargs.get("fillvalue"), (Tensor, Unknown, Expr))
        return max(lens, default=0) if plain else None
    if name == "pairwise":
        return max(lens[0] - 1, 0) if len(lens) == 1 else None
    return None


def _choose(name, args, kwargs):
    """combinations(items, r) / permutations(items, r=None): the tuples, counted before they are made."""
    items = _items(args[0]) if args else None
    r = args[1] if len(args) > 1 else kwargs.get("r", None if name == "permutations" else -1)
    if items is None or len(args) > 2 or set(kwargs) - {"r"}:
        return Unknown(f"itertools.{name}")
    n = len(items)
    r = n if r is None else r
    if not _count(r):
        return Unknown(f"itertools.{name}")
    size = math.comb(n, r) if name == "combinations" else math.perm(n, r)
    if size > MAX_SEQ:
        return Unknown(f"itertools.{name}")
    return list(getattr(itertools, name)(items, r))


def _repeat(args, kwargs):
    """itertools.repeat(x, n) with a known count: its n items (timm's `tuple(repeat(x, 2))`); without
    a count it never ends: unknown."""
    times = args[1] if len(args) == 2 else kwargs.get("times")
    if len(args) + len(kwargs) != 2 or not _count(times):
        return Unknown("itertools.repeat")
    return [args[0]] * times


def _islice(args, kwargs):
    items = _items(args[0]) if args else None
    bounds = args[1:]
    if items is None or kwargs or not 1 <= len(bounds) <= 3 or not all(b is None or _count(b) for b in bounds):
        return Unknown("itertools.islice")
    return list(itertools.islice(items, *bounds))


def _accumulate(args, kwargs):
    """accumulate of plain numbers by addition (stage offsets from depths), with an optional initial."""
    items = _items(args[0]) if len(args) == 1 else None
    initial = kwargs.get("initial")
    numbers = items is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)
    if not numbers or set(kwargs) - {"initial"} or not (initial is None or isinstance(initial, (int, float))):
        return Unknown("itertools.accumulate")
    return list(itertools.accumulate(items, initial=initial))
