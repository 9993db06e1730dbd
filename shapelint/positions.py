"""Source positions for the few nodes a report needs, at a fraction of libcst's full cost.

libcst's PositionProvider renders the whole module and records a CodeRange for every
one of its ~35 nodes per line. A report needs a handful: the nodes findings, edits and
explain rows point at. `sparse_positions` renders the module once with the same
position-tracking codegen state but records only the wanted nodes (plus the children
their syntactic range is hoisted from, which libcst names as it renders). The ranges
are exactly PositionProvider's (tests/test_lsp.py compares them on every node).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Dict, Iterable

import libcst as cst
from libcst._position import CodePosition
from libcst.metadata.position_provider import PositionProvider, PositionProvidingCodegenState

_NOTHING = nullcontext()


class _SparseState(PositionProvidingCodegenState):
    """PositionProvider's codegen state, bookkeeping only for `wanted` nodes."""

    def before_codegen(self, node) -> None:
        if node in self.wanted:
            self._stack.append(CodePosition(self.line, self.column))

    def after_codegen(self, node) -> None:
        if node in self.wanted:
            super().after_codegen(node)

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        if node not in self.wanted:
            return _NOTHING
        # the range is taken from these children, rendered inside this block: want them too
        for child in (start_node, end_node):
            if child is not None:
                self.wanted.add(child)
        return PositionProvidingCodegenState.record_syntactic_position(
            self, node, start_node=start_node, end_node=end_node
        )


def sparse_positions(module: cst.Module, wanted: Iterable) -> Dict:
    """node -> CodeRange for the wanted nodes (and a few of their children)."""
    provider = PositionProvider()
    state = _SparseState(
        default_indent=module.default_indent, default_newline=module.default_newline, provider=provider
    )
    state.wanted = set(n for n in wanted if n is not None)
    module._codegen(state)
    return provider._computed
