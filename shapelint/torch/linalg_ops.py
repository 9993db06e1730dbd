"""Linear algebra of flows and recommenders: torch.linalg.*, torch.inverse / det / slogdet.

torch 2.13 semantics for a batch of matrices A (*, m, n) (tests/test_sequence_model_ops.py checks
each against torch):
- inv / inverse, cholesky, matrix_exp of a square A: A's shape; det / logdet: (*);
  slogdet: (sign, logabsdet), each (*); a non-square A is torch's RuntimeError: unknown;
- eigh: (eigenvalues (*, n), eigenvectors (*, n, n)); eigvalsh: (*, n);
- qr(A, mode="reduced"): Q (*, m, k), R (*, k, n), k = min(m, n); "complete": Q (*, m, m), R (*, m, n);
- svd(A, full_matrices=True): U (*, m, m), S (*, k), Vh (*, n, n); full_matrices=False: U (*, m, k),
  Vh (*, k, n); svdvals: (*, k);
- vector_norm(x, ord=2, dim=None, keepdim=False): a reduction over dim (all dims for None);
  matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False); norm(x, ord=None, dim=None, keepdim):
  vector_norm's rule where ord is None, matrix_norm's for a 2-tuple dim.
"""

from __future__ import annotations

from ..core.symbolic import Expr, is_known
from ..core.values import UNKNOWN, Tensor
from .functions import QUALIFIED, TORCH, NamedResult, _reduce
from .kernels import bind


def _matrix(x):
    """(batch dims, m, n) of a tensor of rank >= 2, or None."""
    if not isinstance(x, Tensor) or x.shape is None or len(x.shape) < 2:
        return None
    return tuple(x.shape[:-2]), x.shape[-2], x.shape[-1]


def _square(x):
    """(batch dims, n) where A is certainly square or may be, None where it certainly is not."""
    parts = _matrix(x)
    if parts is None:
        return None
    batch, m, n = parts
    if is_known(m) and is_known(n) and m != n:
        return None  # torch raises: A must be square
    return batch, (m if m == n or not is_known(n) else n)


def _smaller(m, n):
    if is_known(m) and is_known(n):
        return min(m, n)
    return m if m == n else Expr.opaque("k")


def _keep_square(ctx, site, args, kwargs):
    return args[0] if len(args) == 1 and not kwargs and _square(args[0]) is not None else UNKNOWN


def _det(ctx, site, args, kwargs):
    sq = _square(args[0]) if len(args) == 1 and not kwargs else None
    return Tensor(sq[0]) if sq is not None else UNKNOWN


def _slogdet(ctx, site, args, kwargs):
    d = _det(ctx, site, args, kwargs)
    return NamedResult.of(("sign", "logabsdet"), (d, Tensor(d.shape))) if isinstance(d, Tensor) else d


def _eigh(ctx, site, args, kwargs):
    sq = _square(args[0]) if args and set(kwargs) <= {"UPLO"} and len(args) <= 2 else None
    if sq is None:
        return UNKNOWN
    batch, n = sq
    return NamedResult.of(("eigenvalues", "eigenvectors"), (Tensor(batch + (n,)), Tensor(batch + (n, n))))


def _eigvalsh(ctx, site, args, kwargs):
    out = _eigh(ctx, site, args, kwargs)
    return out[0] if isinstance(out, NamedResult) else out


def _qr(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["A", "mode"], {"mode": "reduced"})
    parts = _matrix(b["A"]) if b is not None else None
    if parts is None or b["mode"] not in ("reduced", "complete"):
        return UNKNOWN
    batch, m, n = parts
    k = m if b["mode"] == "complete" else _smaller(m, n)
    return NamedResult.of(("Q", "R"), (Tensor(batch + (m, k)), Tensor(batch + (k, n))))


def _svd(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["A", "full_matrices", "driver"], {"full_matrices": True, "driver": None})
    parts = _matrix(b["A"]) if b is not None else None
    if parts is None or type(b["full_matrices"]) is not bool:
        return UNKNOWN
    batch, m, n = parts
    k = _smaller(m, n)
    if b["full_matrices"]:
        return NamedResult.of(("U", "S", "Vh"), (Tensor(batch + (m, m)), Tensor(batch + (k,)), Tensor(batch + (n, n))))
    return NamedResult.of(("U", "S", "Vh"), (Tensor(batch + (m, k)), Tensor(batch + (k,)), Tensor(batch + (k, n))))


def _svdvals(ctx, site, args, kwargs):
    parts = _matrix(args[0]) if len(args) == 1 and set(kwargs) <= {"driver"} else None
    return Tensor(parts[0] + (_smaller(parts[1], parts[2]),)) if parts is not None else UNKNOWN


def _norm_over(ctx, site, x, dim, keepdim):
    if not isinstance(x, Tensor) or x.shape is None or type(keepdim) is not bool:
        return UNKNOWN
    if dim is None:
        return Tensor((1,) * len(x.shape)) if keepdim else Tensor(())
    if not (type(dim) is int or (isinstance(dim, (tuple, list)) and dim and all(type(d) is int for d in dim))):
        return UNKNOWN
    return _reduce(ctx, site, (x,), {"dim": dim, "keepdim": keepdim})


def _vector_norm(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["x", "ord", "dim", "keepdim", "dtype"], {"ord": 2, "dim": None, "keepdim": False, "dtype": None})
    return UNKNOWN if b is None else _norm_over(ctx, site, b["x"], b["dim"], b["keepdim"])


def _matrix_norm(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["A", "ord", "dim", "keepdim", "dtype"], {"ord": "fro", "dim": (-2, -1), "keepdim": False, "dtype": None})
    if b is None or _matrix(b["A"]) is None or not (isinstance(b["dim"], (tuple, list)) and len(b["dim"]) == 2):
        return UNKNOWN
    return _norm_over(ctx, site, b["A"], tuple(b["dim"]), b["keepdim"])


def _norm(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["A", "ord", "dim", "keepdim", "dtype"], {"ord": None, "dim": None, "keepdim": False, "dtype": None})
    if b is None:
        return UNKNOWN
    if isinstance(b["dim"], (tuple, list)) and len(b["dim"]) == 2:
        return _norm_over(ctx, site, b["A"], tuple(b["dim"]), b["keepdim"])
    if b["ord"] is None:
        return _norm_over(ctx, site, b["A"], b["dim"], b["keepdim"])
    return UNKNOWN  # an ord with dim=None: the input's rank decides between vector and matrix norms


_LINALG = {
    "inv": _keep_square, "cholesky": _keep_square, "matrix_exp": _keep_square, "det": _det, "slogdet": _slogdet,
    "eigh": _eigh, "eigvalsh": _eigvalsh, "qr": _qr, "svd": _svd, "svdvals": _svdvals,
    "vector_norm": _vector_norm, "matrix_norm": _matrix_norm, "norm": _norm,
}
for _name, _op in _LINALG.items():
    QUALIFIED[f"torch.linalg.{_name}"] = _op
for _name, _op in (("inverse", _keep_square), ("det", _det), ("logdet", _det), ("slogdet", _slogdet), ("matrix_exp", _keep_square)):
    TORCH.setdefault(_name, _op)
