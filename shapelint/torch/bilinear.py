"""nn.Bilinear and F.bilinear / torch.bilinear: y = x1^T A x2 + b, a layer of two inputs.

What torch 2.13 does (tests/test_bilinear.py asks it): it first wants the inputs' dtypes to
be the weight's, then raises RuntimeError, in this order, when the inputs have different
numbers of dimensions (`input dimensions do not match: got 3 and 2`), when a leading dim
differs (`input batch dimensions do not match at dim 0: got 2 and 1`: no broadcasting, a
size 1 raises too), when input1's last dim is not in1_features (weight.size(1)), when
input2's is not in2_features (weight.size(2)), and when a bias has not out_features values.
A 0-D input raises IndexError. The output is input1's leading dims and out_features.
An integer or half input (its dtype differs from a float weight's, or may) is unknown here.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.findings import At
from ..core.symbolic import Expr, is_known, shape_text, size_or_opaque
from ..core.values import UNKNOWN, Origin, Tensor, Unknown
from .kernels import bind, features_fix, made_by, ok_equal, origin_parts, rank_error
from .sequence_ops import differ
from .spec import REQUIRED, LayerSpec, Site

FORWARD = ("input1", "input2")  # nn.Bilinear.forward(self, input1, input2)
_FLOAT = (None, "float")  # the dtypes a float weight takes (None: not known, a float by default)


def _usable(v) -> bool:
    """A size a guess may use: a number, or a symbol of the class's arguments (engine/symbolic_init.py)."""
    return is_known(v) or (isinstance(v, Expr) and not v.is_opaque())


def _guessed_origin(site, param: str, value) -> Origin:
    return Origin(f"the model input (features taken from {site.label()} {param}={value}, ", At(site.node), ")")


def _resolve_pending(ctx, site, x1: Tensor, x2: Tensor, in1, in2) -> None:
    """The model input, before its rank is known, read by a Bilinear: where the other input is
    known, torch runs only when it has that one's leading dims; the input given as both is a guess."""
    if x1.pending and x2.pending:
        if x1.slot is x2.slot and _usable(in1):
            ctx.assume_rank()  # (B, in1_features) is a guess: the input may have more dims
            x1.slot.resolve((ctx.batch, in1), (None, _guessed_origin(site, "in1_features", in1)), site)
        return
    for pending, known, size, param in ((x1, x2, in1, "in1_features"), (x2, x1, in2, "in2_features")):
        if pending.pending and known.shape and _usable(size):
            lead = tuple(known.shape[:-1])
            pending.slot.resolve(lead + (size,), tuple(known.prov[:-1]) + (_guessed_origin(site, param, size),), site)


def _not_equal(ctx, a, b, reason: str) -> bool:
    """Sizes no input makes equal: a declared batch counts as its number (B against 7 where 2 is
    declared); otherwise the solver decides, and an equality it needs is a requirement on the input."""
    return differ(ctx, a, b) or not ok_equal(ctx, a, b, reason)


def _leading_dims_report(ctx, site, x1: Tensor, x2: Tensor, node) -> bool:
    """True (after a report at the call, `node`) when the inputs' ranks or leading dims certainly differ."""
    s1, s2 = x1.shape, x2.shape
    if len(s1) != len(s2):
        ctx.report(R.ShapeMismatch.finding(
            node, module=site.name, op=site.label(),
            detail=f"input1 {shape_text(s1)} has {len(s1)} dimensions but input2 {shape_text(s2)} has {len(s2)}: "
                   "a Bilinear's inputs need the same number of dimensions (torch does not broadcast them)"))
        return True
    for i in range(len(s1) - 1):
        if _not_equal(ctx, s1[i], s2[i], f"{site.label()} leading dim {i}"):
            ctx.report(R.ShapeMismatch.finding(
                node, module=site.name, op=site.label(),
                detail=(f"dim {i} of input1 {shape_text(s1)} is {ctx.show(s1[i])} (", *origin_parts(x1, i),
                        f") but of input2 {shape_text(s2)} is {ctx.show(s2[i])} (", *origin_parts(x2, i),
                        "): a Bilinear's inputs need equal leading dims (torch does not broadcast them)")))
            return True
    return False


def _features_report(ctx, site, x: Tensor, expected, param: str) -> bool:
    """True (after an SHP002 report, as a Linear's in_features) when x's last dim is certainly not `expected`."""
    last = x.shape[-1]
    if not is_known(expected) or not _not_equal(ctx, last, expected, f"{site.label()} {param}"):
        return False
    hint, edits, fix = features_fix(ctx, site, x, last, param)
    ctx.report(R.InFeaturesMismatch.finding(
        site.param_node(param), module=site.name, layer=site.label(), expected=expected, param=param,
        actual=ctx.show(last), origin=origin_parts(x, len(x.shape) - 1), hint=hint, edits=edits, fix=fix))
    return True


def bilinear_core(ctx, site, x1, x2, call_node=None):
    """The output of a Bilinear (site.params: in1_features, in2_features, out_features) on x1 and x2.
    A size of the layer that does not fit is reported at the layer's argument; inputs that do not fit
    each other, at the call (`call_node`; the site's node when None)."""
    if not (isinstance(x1, Tensor) and isinstance(x2, Tensor)):
        return Unknown("an input of unknown shape")
    if x1.dtype not in _FLOAT or x2.dtype not in _FLOAT:
        return Unknown("an input whose dtype may not be the weight's: torch checks the dtypes first")
    p = site.params
    in1, in2, out = p.get("in1_features"), p.get("in2_features"), p.get("out_features")
    _resolve_pending(ctx, site, x1, x2, in1, in2)
    if x1.shape is None or x2.shape is None:
        return Unknown("input shape unknown")
    if _leading_dims_report(ctx, site, x1, x2, call_node if call_node is not None else site.node):
        return Unknown("the inputs' leading dims differ")
    if not x1.shape:
        return rank_error(ctx, site, x1, "at least 1-D", "a Bilinear reads (*, in1_features) and (*, in2_features)")
    if _features_report(ctx, site, x1, in1, "in1_features") or _features_report(ctx, site, x2, in2, "in2_features"):
        return Unknown("input features mismatch")
    return Tensor(tuple(x1.shape[:-1]) + (size_or_opaque(out, "f"),),
                  tuple(x1.prov[:-1]) + (made_by(site, f"out_features={out}"),))


def bilinear_call(vm, m, args, kwargs, node):
    """nn.Bilinear called: its two inputs bound as torch binds them (a call of another arity raises TypeError)."""
    b = bind(list(args), dict(kwargs), list(FORWARD), {})
    if b is None:  # torch raises TypeError; no rule says so, so the output is unknown
        vm.explain.lost(node, "nn.Bilinear called with other than its two inputs (input1, input2)")
        return Unknown("nn.Bilinear takes two inputs, input1 and input2")
    return bilinear_core(vm.ctx, m, b["input1"], b["input2"], node)


def functional_bilinear(ctx, site, args, kwargs):
    """F.bilinear(input1, input2, weight, bias=None): the weight (out, in1, in2) gives the sizes."""
    b = bind(list(args), dict(kwargs), ["input1", "input2", "weight", "bias"], {"bias": None})
    if b is None or not isinstance(b["weight"], Tensor) or b["weight"].shape is None or len(b["weight"].shape) != 3:
        return UNKNOWN
    bias = b["bias"]
    if bias is not None and not (isinstance(bias, Tensor) and bias.shape is not None and len(bias.shape) == 1):
        return UNKNOWN  # a bias of another rank: not modelled
    out, in1, in2 = b["weight"].shape
    layer = Site(site.label(), site.node, params={"in1_features": in1, "in2_features": in2, "out_features": out})
    y = bilinear_core(ctx, layer, b["input1"], b["input2"])
    if isinstance(y, Tensor) and bias is not None and is_known(out) and _not_equal(ctx, bias.shape[0], out, f"{site.label()} bias"):
        ctx.report(R.ShapeMismatch.finding(
            site.node, module=None, op=site.label(),
            detail=f"the bias has {ctx.show(bias.shape[0])} values but the weight {shape_text(b['weight'].shape)} "
                   f"gives {out} output features"))
        return Unknown("bias size mismatch")
    return y


LAYERS = {
    "Bilinear": LayerSpec(
        "Bilinear",
        (("in1_features", REQUIRED), ("in2_features", REQUIRED), ("out_features", REQUIRED), ("bias", True),
         ("device", None), ("dtype", None)),
        call=bilinear_call,
    ),
}
