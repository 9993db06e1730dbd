"""A fast walk over a libcst tree.

`CSTNode.children` runs a visitor over the node (libcst builds it by visiting and re-creating
the node's fields), which costs far more than reading the fields: on a file of 2,000 models the
architecture rules spent most of their time there. The children are the node's dataclass fields
that hold nodes, in field order: statements of a body stay in source order, but a few pairs do
not (an `Arg`'s keyword comes after its value, a class's bases after its body), so use it where
the order of such pairs does not matter.

Formatting is not walked (whitespace, comments, commas, parentheses, empty lines): over half
of a file's nodes, and no rule reads them. Operators are walked (`@` counts in the summary).
"""

from __future__ import annotations

import dataclasses
import threading
from contextlib import contextmanager
from typing import Dict, Iterator, Tuple

import libcst as cst

_FIELDS: Dict[type, Tuple[str, ...]] = {}
_FORMATTING = frozenset((
    "lpar", "rpar", "leading_lines", "lines_after_decorators", "header", "footer",
    "trailing_whitespace", "comma", "semicolon", "newline", "equal", "dot",
    "lbracket", "rbracket", "lbrace", "rbrace",
))


def _walked(name: str) -> bool:
    return name not in _FORMATTING and not name.startswith("whitespace")


_IS_NODE: Dict[type, bool] = {}


def _is_node(v) -> bool:
    # CSTNode is an ABC: isinstance goes through abc's __instancecheck__ on every call,
    # which cost more than the walk itself; a value's type answers once
    t = type(v)
    known = _IS_NODE.get(t)
    if known is None:
        known = _IS_NODE[t] = issubclass(t, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list:
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node) if _walked(f.name))
    out = []
    for name in names:
        v = getattr(node, name)
        if _is_node(v):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(x for x in v if _is_node(x))
    return out


def walk(node) -> Iterator[cst.CSTNode]:
    """Every node under `node` (or under each node of a list), itself first, depth first."""
    index = _LOCAL.__dict__.get("index")
    if index is None:
        return _walk(node)
    if not isinstance(node, (list, tuple)):
        return index.walk(node) if _is_node(node) else _walk(node)
    if all(_is_node(n) for n in node):
        return (n for x in node for n in index.walk(x))
    return _walk(node)


def _walk(node) -> Iterator[cst.CSTNode]:
    stack = [node] if not isinstance(node, (list, tuple)) else list(reversed(node))
    while stack:
        n = stack.pop()
        yield n
        if _is_node(n):
            stack.extend(reversed(children(n)))


class _Index:
    """Walks remembered: the rules, the configuration finder and the symbolic parameters walk
    the same bodies again and again (three whole-file walks' worth per small model file). The
    first walk of a node records its subtree in walk order, with every descendant's range in
    that list; a later walk of it or of any node under it is a range of the list."""

    def __init__(self):
        self.spans: Dict[int, tuple] = {}  # id(node) -> (order, start, end)

    def walk(self, node) -> Iterator[cst.CSTNode]:
        got = self.spans.get(id(node))
        if got is None:
            got = self._record(node)
        order, start, end = got
        return map(order.__getitem__, range(start, end))

    def _record(self, root) -> tuple:
        order, spans = [], self.spans  # the order keeps its nodes alive: their ids stay unique
        stack = [root]
        end = _END
        while stack:
            n = stack.pop()
            if n is end:
                node, start = stack.pop()
                spans[id(node)] = (order, start, len(order))
                continue
            order.append(n)
            stack.append((n, len(order) - 1))
            stack.append(end)
            stack.extend(reversed(children(n)))
        return spans[id(root)]


_END = object()
_LOCAL = threading.local()  # the editor server may check two files at once


@contextmanager
def remembered() -> Iterator[None]:
    """Walks inside this block are remembered (see `_Index`) until it ends."""
    before = _LOCAL.__dict__.get("index")
    _LOCAL.index = _Index()
    try:
        yield
    finally:
        _LOCAL.index = before
