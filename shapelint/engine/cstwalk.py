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
    stack = [node] if not isinstance(node, (list, tuple)) else list(reversed(node))
    while stack:
        n = stack.pop()
        yield n
        if _is_node(n):
            stack.extend(reversed(children(n)))
