"""Source positions of libcst nodes, at a fraction of libcst's own cost.

libcst's MetadataWrapper(...).resolve(PositionProvider) costs 2-2.5x a parse: an extra
batched visit of the whole tree, then a code generation that splits every token on
newlines and builds two dataclasses per node. Here the code is generated once while
tracking plain character offsets, bookkeeping only for the nodes a report asks about
(plus the children their syntactic range is hoisted from, which libcst names as it
renders); an offset becomes (line, column) only on demand. The ranges are exactly
PositionProvider's (tests compare them node for node).
"""

from __future__ import annotations

import bisect
import re
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange

_NEWLINE = re.compile(r"\r\n?|\n")
_NOTHING = nullcontext()


class _OffsetState(CodegenState):
    def __init__(self, module: cst.Module, wanted: Optional[set]):
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.stack: List[int] = []
        self.spans: Dict[cst.CSTNode, Tuple[int, int]] = {}
        self.wanted = wanted  # None: every node

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for t in self.indent_tokens:
            self.offset += len(t)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.offset -= len(self.tokens.pop())

    def _books(self, node) -> bool:
        return self.wanted is None or node in self.wanted

    def before_codegen(self, node) -> None:
        if self._books(node):
            self.stack.append(self.offset)

    def after_codegen(self, node) -> None:
        if self._books(node):
            start = self.stack.pop()
            if node not in self.spans:  # a syntactic position recorded inside wins
                self.spans[node] = (start, self.offset)

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        if not self._books(node):
            return _NOTHING
        if self.wanted is not None:  # the range is hoisted from these children: keep their books too
            for child in (start_node, end_node):
                if child is not None:
                    self.wanted.add(child)
        return self._record(node, start_node, end_node)

    @contextmanager
    def _record(self, node, start_node, end_node) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


def _render(module: cst.Module, wanted: Optional[Iterable]):
    state = _OffsetState(module, None if wanted is None else set(n for n in wanted if n is not None))
    module._codegen(state)
    text = "".join(state.tokens)
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def line_col(offset: int) -> Tuple[int, int]:  # 1-based line, 0-based column
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i]

    return state.spans, line_col


def position_resolver(module: cst.Module, wanted: Optional[Iterable] = None):
    """A function node -> (line, column, end_line, end_column), 1-based, or None."""
    spans, line_col = _render(module, wanted)

    def position_of(node) -> Optional[tuple]:
        span = spans.get(node) if node is not None else None
        if span is None:
            return None
        (l1, c1), (l2, c2) = line_col(span[0]), line_col(span[1])
        return (l1, c1 + 1, l2, c2 + 1)

    return position_of


def sparse_positions(module: cst.Module, wanted: Iterable) -> Dict:
    """node -> libcst CodeRange for the wanted nodes (and a few of their children)."""
    spans, line_col = _render(module, wanted)
    out = {}
    for node, (a, b) in spans.items():
        out[node] = CodeRange(CodePosition(*line_col(a)), CodePosition(*line_col(b)))
    return out
