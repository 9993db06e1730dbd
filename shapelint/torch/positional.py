"""SHP016: a positional embedding shorter than the sequence it is added to (issue 11.5).

Two ways models write it, two ways torch fails:
- a learned table `self.pos = nn.Parameter(torch.zeros(1, N, D))` (or a registered buffer)
  added to tokens (B, T, D): `x + self.pos` with T > N cannot broadcast (RuntimeError
  `The size of tensor a (T) must match the size of tensor b (N) at non-singleton dimension 1`);
- `self.wpe = nn.Embedding(block_size, D)` fed `torch.arange(0, t)` with t > block_size:
  the positions t-1 >= block_size are out of range (IndexError `index out of range in self`).
Only when both N and T are known numbers (a declared input, a patch grid); otherwise nothing.
"""

from __future__ import annotations

import libcst as cst

from ..core import rules as R
from ..core.findings import At, Code
from ..core.symbolic import is_known
from ..core.values import Tensor
from .kernels import origin_parts


def _table_expr(node):
    """`self.pos` or `self.pos[...]`: the attribute of self that holds the table, else None."""
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node
    return None


def added_table_report(ctx, node, a, b) -> bool:
    """`tokens + self.pos` (either order): report SHP016 when the table has fewer positions."""
    if not isinstance(node, cst.BinaryOperation) or not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return False
    for tokens, table, expr, table_first in ((a, b, node.right, False), (b, a, node.left, True)):
        attr = _table_expr(expr)
        if attr is None or tokens.shape is None or table.shape is None or len(tokens.shape) != 3 or len(table.shape) != 3:
            continue
        n, t = table.shape[1], tokens.shape[1]
        if not (is_known(n) and is_known(t)) or t <= n or n == 1 or table.shape[0] != 1:
            continue
        left, right = (n, t) if table_first else (t, n)
        ctx.report(R.PositionalTooShort.finding(
            node, op=Code(node), table=Code(attr), have=n, need=t, origin=origin_parts(tokens, 1, "the tokens"),
            raises=f"RuntimeError: The size of tensor a ({left}) must match the size of tensor b ({right}) at non-singleton dimension 1",
            hint=f"give the table {t} positions (torch.zeros(1, {t}, D)), e.g. one more for a class token"))
        return True
    return False


def embedding_positions_report(ctx, node, m, index) -> bool:
    """`self.wpe(torch.arange(t))` with t > num_embeddings: report SHP016."""
    if not isinstance(index, Tensor) or index.values_below is None:
        return False
    stop, made_at = index.values_below
    n = m.params.get("num_embeddings")
    if not (is_known(n) and is_known(stop)) or stop <= n:
        return False
    table = m.label()
    if isinstance(node, cst.Call):  # the module called, or F.embedding's weight
        functional = not hasattr(m, "kind") and len(node.args) >= 2
        table = Code(node.args[1].value if functional else node.func)
    ctx.report(R.PositionalTooShort.finding(
        node, op=Code(node) if node is not None else m.label(), table=table, have=n, need=stop,
        origin=("torch.arange at ", At(made_at)) if made_at is not None else ("the index",),
        raises=f"IndexError: index out of range in self (position {stop - 1} of a table of {n})",
        hint=f"use num_embeddings={stop} (the longest sequence, block_size), or feed at most {n} tokens"))
    return True

