"""Python's own errors on a tensor's sizes, which torch does not catch for the user.

A `torch.Size` is a tuple with exactly one item per dimension, so where the rank is known:
- `x.shape[3]` / `x.size()[3]` of a 3-D tensor raises `IndexError: tuple index out of range`;
- `B, C, H, W = x.shape` of a 3-D tensor raises `ValueError: not enough values to unpack
  (expected 4, got 3)` (more dims: `too many values to unpack (expected 4)`).
Only where the expression is written as a tensor's `.shape` / `.size()` (the value is then the
engine's tuple of that tensor's sizes, its length the rank); any other tuple keeps Python's
ordinary handling (unknown when out of range).
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..core import rules as R
from ..core.findings import Code
from ..core.values import Tensor
from ..torch.kernels import origin_parts, shape_text


def shape_expression(node) -> Optional[cst.BaseExpression]:
    """The tensor expression of `t.shape` or `t.size()`, else None."""
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return node.value
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute) and node.func.attr.value == "size":
        return node.func.value
    return None


def index_out_of_range(vm, node: cst.Subscript, sizes, key) -> bool:
    """`x.shape[i]` with i outside the rank: SHP012 at the subscript (True when reported)."""
    if shape_expression(node.value) is None or not isinstance(sizes, tuple) or isinstance(key, bool) or not isinstance(key, int):
        return False
    if -len(sizes) <= key < len(sizes):
        return False
    vm.ctx.report(R.DimOutOfRange.finding(
        node, op=Code(node), dim=str(key), rank=len(sizes), shape=shape_text(sizes)))  # IndexError: tuple index out of range
    return True


def unpack_mismatch(vm, stmt: cst.Assign, sizes, frame) -> bool:
    """`B, C, H, W = x.shape` with another number of dims: SHP009 at the statement."""
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0].target, (cst.Tuple, cst.List)) or not isinstance(sizes, tuple):
        return False
    tensor_node = shape_expression(stmt.value)
    elements = stmt.targets[0].target.elements
    if tensor_node is None or any(isinstance(e, cst.StarredElement) for e in elements) or len(elements) == len(sizes):
        return False
    n, got = len(elements), len(sizes)
    raised = (f"ValueError: too many values to unpack (expected {n})" if got > n
              else f"ValueError: not enough values to unpack (expected {n}, got {got})")
    x = vm.eval(tensor_node, frame) if isinstance(tensor_node, cst.Name) else None
    vm.ctx.report(R.RankMismatch.finding(
        stmt, module=None, layer=Code(stmt), expected=f"{n}-D", actual=f"{got}-D {shape_text(sizes)}",
        origin=origin_parts(x, 0, "the model input") if isinstance(x, Tensor) and x.shape else Code(stmt.value),
        hint=f"Python raises {raised}; unpack {got} names or reshape the tensor first"))
    return True
