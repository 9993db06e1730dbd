"""Products of tensors with torch's exact shape rules (issue 11.1): matmul / `@` with
broadcast batch dims, mm, bmm, baddbmm, einsum (any equation, `...` included) and
F.scaled_dot_product_attention. Registered into the tables of `functions` when imported.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from ..core.symbolic import is_known, shape_text
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL, METHODS, OPERATORS, QUALIFIED, TORCH
from .mask_refusals import sdpa_mask_dtype_report
from .sequence_ops import _mismatch, _tensor, broadcast_dims, concrete, differ
from .spec import Site


def _bad(ctx, a, b) -> bool:
    """Two sizes that can never be equal (both known), or that the solver proves differ."""
    return differ(ctx, a, b)


def matmul_shape(ctx, site, a: tuple, b: tuple):
    """torch.matmul: 1-D operands get a dim prepended/appended (removed after); the
    matrix dims multiply, the batch dims broadcast."""
    if not a or not b:
        return _mismatch(ctx, site, f"both arguments to matmul need at least 1 dimension, got {shape_text(a)} and {shape_text(b)}")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if _bad(ctx, a2[-1], b2[-2]):
        return _mismatch(ctx, site, f"cannot multiply {shape_text(a)} by {shape_text(b)}: {a2[-1]} != {b2[-2]}")
    what = f"the batch dimensions of {shape_text(a)} @ {shape_text(b)} (all but the last two): "
    batch = broadcast_dims(ctx, site, [a2[:-2], b2[:-2]], what) if (len(a2) > 2 or len(b2) > 2) else ()
    if not isinstance(batch, tuple):
        return batch if isinstance(batch, Unknown) else Unknown("matmul batch dims")
    out = batch + ((a2[-2],) if len(a) > 1 else ()) + ((b2[-1],) if len(b) > 1 else ())
    return Tensor(out)


def _matmul(ctx, site, args, kwargs):
    if len(args) != 2 or not all(_tensor(a) for a in args):
        return UNKNOWN
    return matmul_shape(ctx, site, tuple(args[0].shape), tuple(args[1].shape))


def _exact_rank(rank: int):
    """mm (2-D) and bmm (3-D): no broadcasting; the batch sizes must be equal."""
    def fn(ctx, site, args, kwargs):
        if len(args) != 2 or not all(_tensor(a) for a in args):
            return UNKNOWN
        a, b = tuple(args[0].shape), tuple(args[1].shape)
        if len(a) != rank or len(b) != rank:
            return _mismatch(ctx, site, f"expects two {rank}-D tensors, got {shape_text(a)} and {shape_text(b)}")
        if rank == 3 and _bad(ctx, a[0], b[0]):
            return _mismatch(ctx, site, f"batch sizes differ: {shape_text(a)} and {shape_text(b)}")
        if rank == 3 and a[0] != b[0]:
            return Unknown("bmm batch")
        return matmul_shape(ctx, site, a, b)

    return fn


def _baddbmm(ctx, site, args, kwargs):
    if len(args) < 3 or not all(_tensor(a) for a in args[:3]):
        return UNKNOWN
    prod = _exact_rank(3)(ctx, site, tuple(args[1:3]), {})
    if not _tensor(prod):
        return prod
    out = broadcast_dims(ctx, site, [args[0].shape, prod.shape])
    if isinstance(out, Unknown):
        return out
    return prod if out == prod.shape else Unknown("baddbmm input")


def _addmm(ctx, site, args, kwargs):
    """torch.addmm(input, mat1 (n, m), mat2 (m, p), *, beta, alpha) -> (n, p): both matrices 2-D
    (GPT-2's Conv1D), and input expands to (n, p): at most 2-D, each dim 1 or the same."""
    if len(args) != 3 or any(k not in ("beta", "alpha") for k in kwargs) or not all(_tensor(a) for a in args):
        return UNKNOWN
    inp, a, b = (tuple(t.shape) for t in args)
    if len(a) != 2 or len(b) != 2:
        return _mismatch(ctx, site, f"mat1 and mat2 must be matrices, got {shape_text(a)} and {shape_text(b)}")
    prod = matmul_shape(ctx, site, a, b)
    if not isinstance(prod, Tensor):
        return prod
    if len(inp) > 2:
        return _mismatch(ctx, site, f"input {shape_text(inp)} cannot be expanded to the product's {shape_text(prod.shape)}")
    for d, want in zip(inp[::-1], prod.shape[::-1]):
        if concrete(ctx, d) != 1 and _bad(ctx, d, want):
            return _mismatch(ctx, site, f"input {shape_text(inp)} cannot be expanded to the product's {shape_text(prod.shape)}")
    return prod  # where torch does not raise, the result is the product's shape


TORCH["addmm"] = METHODS["addmm"] = _addmm
TORCH["matmul"] = METHODS["matmul"] = _matmul
TORCH["mm"] = METHODS["mm"] = _exact_rank(2)
TORCH["bmm"] = METHODS["bmm"] = _exact_rank(3)
# torch.sparse.mm(mat1, mat2): mm's rule, whether mat1 is sparse or dense (both 2-D); `reduce=`
# (sparse CSR only) is not read
QUALIFIED["torch.sparse.mm"] = lambda ctx, site, args, kwargs: UNKNOWN if kwargs else _exact_rank(2)(ctx, site, args, {})
TORCH["baddbmm"] = METHODS["baddbmm"] = _baddbmm
OPERATORS["MatrixMultiply"] = lambda ctx, node, a, b: _matmul(ctx, Site("`@`", node), (a, b), {})


# ---------------------------------------------------------------------------- einsum


def parse_equation(eq: str, n: int) -> Optional[tuple]:
    """'bhid,bhjd->bhij' -> ([terms], output); `.` for the ellipsis; None if malformed."""
    eq = eq.replace(" ", "").replace("...", ".")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != n or not all(all(c.isalpha() or c == "." for c in t) and t.count(".") <= 1 for t in terms):
        return None
    if not arrow:
        letters = [c for t in terms for c in t if c != "."]
        out = ("." if any("." in t for t in terms) else "") + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if not all(c.isalpha() or c == "." for c in out) or len(set(out)) != len(out) or out.count(".") > 1:
        return None
    if any(c != "." and not any(c in t for t in terms) for c in out) or ("." in out and not any("." in t for t in terms)):
        return None
    return terms, out


def einsum_shape(ctx, site, eq: str, shapes: List[tuple]):
    parsed = parse_equation(eq, len(shapes))
    if parsed is None:
        return Unknown("einsum equation")
    terms, out = parsed
    sizes: Dict[str, list] = {}
    ellipses = []
    for t, shape in zip(terms, shapes):
        named = len(t) - ("." in t)
        if len(shape) < named or ("." not in t and len(shape) != named):
            return _mismatch(ctx, site, f"the term '{t.replace('.', '...')}' does not fit an operand of shape {shape_text(shape)}")
        if "." in t:
            i = t.index(".")
            k = len(shape) - named
            ellipses.append(shape[i:i + k])
            dims = list(shape[:i]) + list(shape[i + k:])
            t = t.replace(".", "")
        else:
            dims = list(shape)
        for c, d in zip(t, dims):
            sizes.setdefault(c, []).append(d)
    letter_size = {}
    for c, ds in sizes.items():
        b = broadcast_dims(ctx, site, [(d,) for d in ds])
        if not isinstance(b, tuple):
            return b if isinstance(b, Unknown) else Unknown("einsum sizes")
        letter_size[c] = b[0]
    ell = broadcast_dims(ctx, site, ellipses) if ellipses else ()
    if not isinstance(ell, tuple):
        return ell if isinstance(ell, Unknown) else Unknown("einsum ellipsis")
    result = []
    for c in out:
        result.extend(ell if c == "." else (letter_size[c],))
    return Tensor(tuple(result))


def _einsum(ctx, site, args, kwargs):
    if kwargs or not args or not isinstance(args[0], str):
        return UNKNOWN
    ops = list(args[1:])
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = list(ops[0])
    if not ops or not all(_tensor(o) for o in ops):
        return UNKNOWN
    return einsum_shape(ctx, site, args[0], [tuple(o.shape) for o in ops])


TORCH["einsum"] = _einsum


# ---------------------------------------------------------------------------- attention


def _sdpa(ctx, site, args, kwargs):
    """F.scaled_dot_product_attention(q (..., L, E), k (..., S, E), v (..., S, Ev)) -> (..., L, Ev)."""
    names = ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"]
    if len(args) > len(names) or any(k not in names for k in kwargs):
        return UNKNOWN
    b = dict(zip(names, args), **kwargs)
    q, k, v = b.get("query"), b.get("key"), b.get("value")
    if not (_tensor(q) and _tensor(k) and _tensor(v)) or min(len(q.shape), len(k.shape), len(v.shape)) < 2:
        return UNKNOWN
    if _bad(ctx, q.shape[-1], k.shape[-1]):
        return _mismatch(ctx, site, f"query {shape_text(q.shape)} and key {shape_text(k.shape)} differ in their last dimension")
    if _bad(ctx, k.shape[-2], v.shape[-2]):
        return _mismatch(ctx, site, f"key {shape_text(k.shape)} and value {shape_text(v.shape)} differ in length (dimension -2)")
    if b.get("enable_gqa", False) is not False:
        k, v = _gqa_heads(ctx, site, q, k, v, b["enable_gqa"])
        if isinstance(k, Unknown):
            return k
    refused = _batch_dims_refused(ctx, site, q, k, v)
    if refused is not None:
        return refused
    if not (q.shape[:-2] == k.shape[:-2] == v.shape[:-2]):
        return Unknown("attention batch dims")  # they broadcast, which not every backend may do
    mask = b.get("attn_mask")
    if mask is not None and not _tensor(mask):
        return Unknown("attention mask")
    if sdpa_mask_dtype_report(ctx, site, mask):
        return Unknown("torch rejects the mask's dtype")
    if mask is not None:
        full = q.shape[:-1] + (k.shape[-2],)
        out = broadcast_dims(ctx, site, [full, mask.shape])
        if isinstance(out, Unknown):
            return out
        if out is None or len(out) != len(full) or any(is_known(o) and is_known(f) and o != f for o, f in zip(out, full)):
            return Unknown("attention mask")
    return Tensor(q.shape[:-1] + (v.shape[-1],))


def _batch_dims_refused(ctx, site, q, k, v):
    """The batch and head dims (all but the last two) of q, k and v: two known sizes that differ,
    neither 1, cannot broadcast and every backend raises (`The size of tensor a (5) must match the
    size of tensor b (4) at non-singleton dimension 1`): the report's Unknown, else None."""
    shapes = [t.shape[:-2] for t in (q, k, v)]
    n = max(len(s) for s in shapes)
    padded = [(1,) * (n - len(s)) + tuple(s) for s in shapes]
    for i in range(n):
        sizes = {concrete(ctx, p[i]) for p in padded} - {None, 1}
        if len(sizes) > 1:
            heads = " (the key and value heads must equal the query's: repeat them, or pass enable_gqa=True)" \
                if i == n - 1 and n >= 2 else ""
            return _mismatch(ctx, site, f"query {shape_text(q.shape)}, key {shape_text(k.shape)} and value "
                                        f"{shape_text(v.shape)} differ in dimension {i - n - 2}: "
                                        f"{' vs '.join(map(str, sorted(sizes)))}{heads}")
    return None


def _gqa_heads(ctx, site, q, k, v, enable):
    """enable_gqa=True: key and value heads (dim -3) are repeated up to the query's, which each
    count must divide; (k, v) with the query's head count, or (Unknown, None)."""
    if enable is not True or min(len(q.shape), len(k.shape), len(v.shape)) < 3:
        return Unknown("grouped-query attention"), None
    hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
    nq, nk, nv = (concrete(ctx, h) for h in (hq, hk, hv))  # 3-D inputs: the heads are the batch dim
    if not all(n is not None and n > 0 for n in (nq, nk, nv)):
        return Unknown("grouped-query heads"), None
    if nq % nk or nq % nv:
        return _mismatch(ctx, site, f"enable_gqa: the key heads ({hk}) and value heads ({hv}) must divide the "
                                    f"query heads ({hq}); query {shape_text(q.shape)}, key {shape_text(k.shape)}"), None
    return (Tensor(k.shape[:-3] + (hq,) + k.shape[-2:]), Tensor(v.shape[:-3] + (hq,) + v.shape[-2:]))


FUNCTIONAL["scaled_dot_product_attention"] = _sdpa


def _cdist(ctx, site, args, kwargs):
    """torch.cdist(x1 (..., P, M), x2 (..., R, M)) -> (..., P, R): the batch dims broadcast."""
    if len(args) < 2 or not (_tensor(args[0]) and _tensor(args[1])):
        return UNKNOWN
    a, b = tuple(args[0].shape), tuple(args[1].shape)
    if len(a) < 2 or len(b) < 2:
        return _mismatch(ctx, site, f"cdist takes tensors of at least 2 dimensions, got {shape_text(a)} and {shape_text(b)}")
    if _bad(ctx, a[-1], b[-1]):
        return _mismatch(ctx, site, f"x1 {shape_text(a)} and x2 {shape_text(b)} must have the same number of columns: {a[-1]} != {b[-1]}")
    batch = broadcast_dims(ctx, site, [a[:-2], b[:-2]], f"the batch dimensions of {shape_text(a)} and {shape_text(b)}: ")
    if not isinstance(batch, tuple):
        return batch if isinstance(batch, Unknown) else Unknown("cdist batch dims")
    return Tensor(batch + (a[-2], b[-2]))


TORCH["cdist"] = _cdist
