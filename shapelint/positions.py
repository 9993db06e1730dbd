"""Source positions of libcst nodes, resolved only when a file needs them.

libcst's MetadataWrapper(...).resolve(PositionProvider) costs about twice a parse:
an extra (empty) batched visit of the whole tree, then a code generation that splits
every token on newlines and builds two dataclasses per node. This generates the code
once, tracking plain character offsets, and turns an offset into (line, column) only
for the nodes a finding asks about. The ranges are the same as PositionProvider's
(syntactic: without a statement's leading lines or an expression's parentheses).
"""

from __future__ import annotations

import bisect
import re
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE = re.compile(r"\r\n?|\n")


class _OffsetState(CodegenState):
    def __init__(self, module: cst.Module):
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.stack: List[int] = []
        self.spans: Dict[cst.CSTNode, Tuple[int, int]] = {}

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

    def before_codegen(self, node) -> None:
        self.stack.append(self.offset)

    def after_codegen(self, node) -> None:
        start = self.stack.pop()
        if node not in self.spans:  # a syntactic position recorded inside wins
            self.spans[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(self, node, *, start_node=None, end_node=None) -> Iterator[None]:
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


def position_resolver(module: cst.Module):
    """A function node -> (line, column, end_line, end_column), 1-based, or None."""
    state = _OffsetState(module)
    module._codegen(state)
    text = "".join(state.tokens)
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    spans = state.spans

    def line_col(offset: int) -> Tuple[int, int]:
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def position_of(node) -> Optional[tuple]:
        span = spans.get(node) if node is not None else None
        if span is None:
            return None
        return line_col(span[0]) + line_col(span[1])

    return position_of
