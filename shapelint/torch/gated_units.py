"""The gated linear unit: nn.GLU(dim=-1) and F.glu(input, dim=-1).

torch splits `dim` into two halves a, b and returns a * sigmoid(b): the output is the input with
that dim halved. torch raises `Halving dimension must be even` for an odd size (and for a 0-d
input), so a known odd size (the declared batch counts) is reported; a symbolic size that is not certainly even (`2 * C` is,
`C` is not) gives an unknown size there, since where torch runs it is half of something.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import Expr, exact_div, is_known
from ..core.values import UNKNOWN, Tensor, Unknown
from .functions import FUNCTIONAL
from .kernels import bind, dim_error, normalize_dim
from .sequence_ops import concrete
from .spec import LayerSpec


def glu_core(ctx, site, x, dim):
    """x with `dim` halved; an odd known size is torch's RuntimeError."""
    if not isinstance(x, Tensor) or x.shape is None or not isinstance(dim, int) or isinstance(dim, bool):
        return UNKNOWN
    rank = len(x.shape)
    if rank == 0:
        return Unknown("glu of a 0-d tensor")  # torch raises; no rule says so
    d = normalize_dim(dim, rank)
    if d is None:
        return dim_error(ctx, site, site.label(), dim, x)
    n = x.shape[d]
    if concrete(ctx, n) is not None:  # a number, or the declared batch
        n = concrete(ctx, n)
    if is_known(n) and n % 2:
        ctx.report(R.ShapeMismatch.finding(
            site.node, module=site.name, op=site.label(),
            detail=f"dim {dim} has size {n}, which is odd: GLU halves it, and torch raises "
                   f"`Halving dimension must be even`; give dim {dim} an even size"))
        return Unknown("odd size halved by GLU")
    half = exact_div(n, 2)
    if half is None:
        half = Expr.opaque("half")  # where torch runs, n is even; which half is not known
    return Tensor(x.shape[:d] + (half,) + x.shape[d + 1:], x.prov[:d] + (None,) + x.prov[d + 1:])


def glu_forward(ctx, m, x):
    return glu_core(ctx, m, x, m.params.get("dim"))


def functional_glu(ctx, site, args, kwargs):
    b = bind(list(args), dict(kwargs), ["input", "dim"], {"dim": -1})
    return UNKNOWN if b is None else glu_core(ctx, site, b["input"], b["dim"])


FUNCTIONAL["glu"] = functional_glu  # torch.nn.functional only: `torch.glu` does not exist

LAYERS = {"GLU": LayerSpec("GLU", (("dim", -1),), glu_forward)}
