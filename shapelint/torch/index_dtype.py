"""SHP015: a tensor of indices that is not an integer tensor (issue 11).

torch 2.13 accepts int64 (long) and int32 (int) indices everywhere: indexing (`x[idx]`,
which also takes bool/uint8 masks), F.embedding / nn.Embedding, index_select and gather;
a float index raises (IndexError `tensors used as indices must be long, int, byte or bool
tensors`, RuntimeError `Expected tensor for argument #1 'indices' to have one of the
following scalar types: Long, Int`, `index_select(): Expected dtype int32 or int64 for
index`, `gather(): Expected dtype int32/int64 for index`), and so does a bool index
outside indexing. Only a dtype shapelint knows is checked: one the code made (`.float()`,
`torch.arange(0.0, n)`, `torch.rand`), never an input whose dtype was not declared.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.findings import Code
from ..core.values import Tensor, Unknown
from .positional import embedding_positions_report

INTEGER = ("long", "int")
# what each operation accepts, and torch's own words when it refuses
ACCEPTS = {
    "indexing": (INTEGER + ("bool",), "IndexError: tensors used as indices must be long, int, byte or bool tensors"),
    "embedding": (INTEGER, "RuntimeError: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"),
    "index_select": (INTEGER, "RuntimeError: index_select(): Expected dtype int32 or int64 for index"),
    "gather": (INTEGER, "RuntimeError: gather(): Expected dtype int32/int64 for index"),
}


def index_dtype_report(ctx, node, op: str, index, label: str = None) -> bool:
    """Report SHP015 when `index` has a known dtype that `op` refuses; True when reported."""
    if not isinstance(index, Tensor) or index.dtype is None:
        return False
    accepted, raises = ACCEPTS[op]
    if index.dtype in accepted:
        return False
    fix = ".long()" if index.dtype == "float" else ".long() (or use it as a mask: x[mask])"
    ctx.report(R.IndexDtype.finding(
        node, op=Code(node) if node is not None else (label or op), dtype=index.dtype, accepted=" or ".join(accepted), raises=raises,
        hint=f"convert the index with {fix}, or build it as an integer tensor (torch.arange(n), dtype=torch.long)"))
    return True


def embedding_after(ctx, m, args, kwargs, node, out):
    """nn.Embedding's call: its index's dtype (the call node, not the constructor, is where torch raises)."""
    index = args[0] if args else kwargs.get("input")
    if index_dtype_report(ctx, node, "embedding", index) or embedding_positions_report(ctx, node, m, index):
        return Unknown("torch rejects the index")
    return out
