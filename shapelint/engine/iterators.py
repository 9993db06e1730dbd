"""Python's iterators: `iter()`, `next()` and `filter()`.

An iterator made by `iter(seq)` is a `PyIterator`: the items not yet taken, as a list (so
the container journal of undecided paths undoes `next()` like any list change). `next()` takes
one item exactly. Anything else that draws from it (a loop that may `break`, zip, enumerate,
`any()`) may leave it part-way, so after such a use it is poisoned: a later read is unknown,
never a stale or an emptied iterator.

Generator expressions, `map`, `zip`, `enumerate`, `reversed` and `filter` give iterators too
(their items evaluated at once: a consumer nearly always takes them all), so a second draw from
one is never a stale copy (`pairs = zip(a, b); list(pairs); list(pairs)` is empty the second
time). `next()` of a list is its first item only where the call's own argument is an expression
Python evaluates to an iterator (`next(self.parameters())`); of any other list it is unknown
(Python raises TypeError).
"""

from __future__ import annotations

import libcst as cst

from ..core.values import Unknown
from . import mutation
from .pyvalues import truth


class PyIterator(list):
    """The items an iterator has still to give."""

    def __bool__(self):  # an iterator object is true however many items it has left
        return True


# calls whose result Python gives as an iterator (a generator or a builtin iterator)
_ITERATOR_FUNCTIONS = {"iter", "map", "filter", "zip", "enumerate", "reversed"}
_GENERATOR_METHODS = {
    "parameters", "buffers", "children", "modules",
    "named_parameters", "named_buffers", "named_children", "named_modules",
}


def drawn(vm, it: PyIterator):
    """The items a consumer takes from `it`; after it the iterator's state is unknown. None when
    it was drawn from already in this call (`zip(it, it)` pairs its items: not followed)."""
    if id(it) in vm.poisoned:
        return None
    items = list(it)
    # the iterator itself only (its items are the values the consumer takes, not changed by it)
    vm.poisoned[id(it)] = (it, "an iterator drawn from by a loop or a builtin (it may stop part-way)")
    return items


def emptied(vm, it: PyIterator):
    """The items `list(it)` / `tuple(it)` take: all of them, leaving it exhausted (None as `drawn`)."""
    if id(it) in vm.poisoned:
        return None
    items = list(it)
    mutation.touch(vm, it)
    it.clear()
    return items


def _iter(vm, args, kwargs, node, frame):
    if len(args) != 1 or kwargs:
        return vm.unmodelled("iter(callable, sentinel)", node)
    if isinstance(args[0], PyIterator):
        return args[0]  # iter() of an iterator is the iterator itself
    seq = vm.iterate(args[0])
    return Unknown("iter() of a value shapelint cannot list") if seq is None else PyIterator(seq)


def _gives_iterator(node) -> bool:
    """The call `next(arg)`'s argument is an expression Python evaluates to an iterator."""
    if not isinstance(node, cst.Call) or not node.args:
        return False
    arg = node.args[0].value
    if isinstance(arg, cst.GeneratorExp):
        return True
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Name):
        return arg.func.value in _ITERATOR_FUNCTIONS
    return isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute) and arg.func.attr.value in _GENERATOR_METHODS


def _next(vm, args, kwargs, node, frame):
    if kwargs or not 1 <= len(args) <= 2:
        return Unknown("next()")  # TypeError in Python
    it = args[0]
    if isinstance(it, PyIterator):
        if len(it) == 0:
            return args[1] if len(args) == 2 else Unknown("next() of an exhausted iterator (StopIteration)")
        mutation.touch(vm, it)
        return it.pop(0)
    if isinstance(it, list) and _gives_iterator(node):
        if not it:
            return args[1] if len(args) == 2 else Unknown("next() of an empty iterator (StopIteration)")
        return it[0]
    return Unknown("next() of a value shapelint does not hold as an iterator")


def _filter(vm, args, kwargs, node, frame):
    """filter(fn, seq) / filter(None, seq): the items whose test is known true, in order (drawn
    from at once, as map's); unknown when any test is not known."""
    if len(args) != 2 or kwargs:
        return Unknown("filter")
    seq = vm.iterate(args[1])
    if seq is None:
        return Unknown("filter")
    kept = []
    for item in seq:
        verdict = truth(item if args[0] is None else vm.call(args[0], [item], {}, node, frame))
        if verdict is None:
            return Unknown("filter with a test shapelint cannot decide")
        if verdict:
            kept.append(item)
    return PyIterator(kept)


BUILTINS = {"iter": _iter, "next": _next, "filter": _filter}
