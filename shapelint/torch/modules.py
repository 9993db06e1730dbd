"""The torch.nn layers: the `LAYERS` table, one `LayerSpec` per layer.

A layer is its constructor signature (torch's parameter order, so positional arguments
bind as in torch), an optional construction check, and a `forward` that maps an input
`Tensor` to its output with torch's documented formulas (shared with the functional
ops in `kernels`). The blocks made of other layers (attention, Transformer) come from
`composite`. `tests/test_layers_vs_torch.py` checks every entry against torch: adding
a layer is one entry here and one row in that test.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, Tuple

from ..core import rules as R
from ..core.findings import At
from ..core.symbolic import Expr, exact_div, floordiv, is_known, mul, shape_text, size_or_opaque
from ..core.values import Origin, Tensor, Unknown
from . import bilinear, channel_layers, composite, embedding_bag, folding, gated_units, loss_modules, rnn_cells, transposed_output_size
from .kernels import (
    AXES, adaptive_core, batch_guess, check_spatial, conv_size, conv_transpose_size, dim_error, features_fix, flatten_core,
    input_shape, kept_or_made, made_by, moved_input_dim, normalize_dim, ntuple, ok_equal, origin_parts, param_edit, pool_core,
    rank_error, reshape_dims,
)
from .conv_groups import groups_finding
from .index_dtype import embedding_after
from .lazy import lazy_layers
from .resampling import pad_core, upsample_core
from .rnn_state import check_rnn_state
from .spec import REQUIRED, LayerSpec
from .window_sizes import all_known, below, effective_kernel, needed_input, note_zero_symbols, size_tuple

# ---------------------------------------------------------------------------- convolution


def conv_check(ctx, m) -> None:
    p = m.params
    bad_groups = groups_finding(m)
    if bad_groups is not None:
        ctx.report(bad_groups)
        m.invalid = True
        return
    stride = ntuple(p.get("stride", 1), m.spec.dims)
    if "ConvTranspose" in m.kind:  # LazyConvTranspose*d too
        n = m.spec.dims
        op, dil = ntuple(p.get("output_padding", 0), n), ntuple(p.get("dilation", 1), n)
        if stride and op and dil:
            for o, s, d in zip(op, stride, dil):
                if o >= s and o >= d:  # torch: output padding must be smaller than either stride or dilation
                    ctx.report(
                        R.ShapeMismatch.finding(
                            m.param_node("output_padding"), module=m.name,
                            op=m.label(),
                            detail=f"output_padding {o} must be smaller than stride {s} or dilation {d}; use output_padding={max(s, d) - 1}",
                        )
                    )
                    m.invalid = True
                    return
    if p.get("padding") == "same" and stride and any(s != 1 for s in stride):
        ctx.report(
            R.SamePaddingStride.finding(
                m.param_node("padding"), module=m.name,
                layer=m.label(),
                stride=p.get("stride"),
                hint="use stride=1 or an explicit padding",
            )
        )
        m.invalid = True


def make_conv_forward(n: int, transposed: bool):
    def forward(ctx, m, x):
        p = m.params
        in_ch, out_ch = p.get("in_channels"), p.get("out_channels")
        shape = input_shape(ctx, m, x, lambda: batch_guess(ctx, m, in_ch, n, f"in_channels={in_ch}"))
        if shape is None or m.invalid:
            return Unknown("input shape unknown")
        if len(shape) not in (n + 1, n + 2):
            return rank_error(
                ctx, m, x, f"{n + 1}-D (unbatched) or {n + 2}-D (batched)",
                f"a {m.kind} reads (N, C, {', '.join(AXES[n])})",
            )
        ci = len(shape) - n - 1
        c = shape[ci]
        if is_known(in_ch) and not ok_equal(ctx, c, in_ch, f"{m.label()} in_channels"):
            _channel_report(ctx, m, x, ci, in_ch, c, "in_channels")
        k = size_tuple(p.get("kernel_size"), n)  # symbols of the class's own arguments too (window_sizes.py)
        s = size_tuple(p.get("stride", 1), n)
        d = size_tuple(p.get("dilation", 1), n)
        outs = []
        for i in range(n):
            L = shape[ci + 1 + i]
            if k is None or s is None or d is None or below(s + d + k, 1):  # torch rejects these itself
                outs.append(Expr.opaque("conv"))
                continue
            out = _conv_axis(ctx, m, n, transposed, L, k[i], s[i], d[i], i, x, ci + 1 + i)
            if isinstance(out, Unknown):
                return out
            outs.append(out)
        out_c = size_or_opaque(out_ch, "c")
        new_shape = shape[:ci] + (out_c,) + tuple(outs)
        prov = x.prov[:ci] + (made_by(m, f"out_channels={out_ch}"),) + tuple(
            kept_or_made(m, shape[ci + 1 + i], outs[i], x.prov[ci + 1 + i]) for i in range(n)
        )
        return Tensor(new_shape, prov)

    return forward


def _conv_axis(ctx, m, n: int, transposed: bool, L, k, s, d, i: int, x, axis: int):
    """One spatial output size of a conv: a size, or Unknown when the input collapses."""
    p = m.params
    padding = p.get("padding", 0)
    if not transposed and padding == "same":
        return L  # torch pads d(k-1) in all, whatever k and d are
    pad = (0,) * n if not transposed and padding == "valid" else size_tuple(padding, n)
    opad = size_tuple(p.get("output_padding", 0), n) if transposed else (0,) * n
    if pad is None or opad is None:
        return Expr.opaque("conv")
    note_zero_symbols(ctx, (pad[i], opad[i]), (k, s, d))
    if transposed:
        out = conv_transpose_size(L, k, s, pad[i], d, opad[i]).value
        needed, hint = 1, "reduce padding"
    else:
        out = conv_size(L, k, s, pad[i], d).value
        eff = effective_kernel(k, d)
        needed = needed_input(eff, pad[i])
        hint = f"add padding={(eff - 1) // 2} or feed larger inputs" if is_known(eff) else ""
    if not all_known(k, s, d, pad[i], opad[i]):
        # symbolic geometry: torch rejects an output below 1, which is a requirement, not a finding
        if is_known(out) and out < 1:
            return Expr.opaque("conv")
        ctx.require_positive(out)
        return out
    if not check_spatial(ctx, m, AXES[n][i], L, out, needed, x, axis, hint):
        return Unknown("collapsed")
    return out


# ---------------------------------------------------------------------------- pooling


def make_maxpool_forward(n: int):
    def forward(ctx, m, x):
        p = m.params
        out = pool_core(
            ctx, m, x, n, p.get("kernel_size"), p.get("stride"), p.get("padding", 0),
            p.get("dilation", 1), p.get("ceil_mode", False), m.kind,
        )
        if p.get("return_indices") is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape, out.prov))
        return out

    return forward


def make_avgpool_forward(n: int):
    def forward(ctx, m, x):
        p = m.params
        return pool_core(
            ctx, m, x, n, p.get("kernel_size"), p.get("stride"), p.get("padding", 0), 1,
            p.get("ceil_mode", False), m.kind,
        )

    return forward


def make_adaptive_forward(n: int, returns_indices: bool):
    def forward(ctx, m, x):
        out = adaptive_core(ctx, m, x, n, m.params.get("output_size"), m.kind)
        if returns_indices and m.params.get("return_indices") is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape, out.prov))
        return out

    return forward


# ---------------------------------------------------------------------------- normalization


def make_batchnorm_forward(ranks: Tuple[int, ...]):
    def forward(ctx, m, x):
        p = m.params
        nf = p.get("num_features")
        n_spatial = ranks[-1] - 2
        shape = input_shape(
            ctx, m, x,
            (lambda: batch_guess(ctx, m, nf, n_spatial, f"num_features={nf}")) if len(ranks) == 1 else None,
        )
        if shape is None:
            return Unknown("input shape unknown")
        if len(shape) not in ranks:
            want = " or ".join(f"{r}-D" for r in ranks)
            return rank_error(ctx, m, x, want, f"{m.kind} reads (N, C{', L' if 3 in ranks else ''}...)")
        checks = p.get("affine", True) is not False or p.get("track_running_stats", True) is not False
        if checks and is_known(nf) and not ok_equal(ctx, shape[1], nf, f"{m.label()} num_features"):
            _channel_report(ctx, m, x, 1, nf, shape[1], "num_features")
        return Tensor(shape, x.prov)

    return forward


def _channel_report(ctx, m, x, ci, expected, actual, param):
    ctx.report(
        R.ChannelMismatch.finding(
            m.param_node(param), module=m.name,
            layer=m.label(),
            expected=expected,
            param=param,
            actual=ctx.show(actual),
            origin=origin_parts(x, ci),
            # a moved input dim (an NHWC image's width as channels): the layer may be right
            edits=[] if moved_input_dim(x, ci, 1) else param_edit(m, param, actual),
            fix=None if moved_input_dim(x, ci, 1) else f"Set {param}={ctx.show(actual)}",
        )
    )


def make_instancenorm_forward(n: int):
    def forward(ctx, m, x):
        p = m.params
        nf = p.get("num_features")
        shape = x.shape
        if shape is None:
            return Unknown("input shape unknown")
        if len(shape) not in (n + 1, n + 2):
            return rank_error(ctx, m, x, f"{n + 1}-D or {n + 2}-D", f"{m.kind} reads (N, C, ...)")
        ci = len(shape) - n - 1
        strict = p.get("affine", False) is True or p.get("track_running_stats", False) is True
        if strict and is_known(nf) and not ok_equal(ctx, shape[ci], nf, f"{m.label()} num_features"):
            _channel_report(ctx, m, x, ci, nf, shape[ci], "num_features")
        return Tensor(shape, x.prov)

    return forward


def groupnorm_check(ctx, m) -> None:
    g, c = m.params.get("num_groups"), m.params.get("num_channels")
    if is_known(g) and is_known(c) and g > 0 and c % g:
        ctx.report(
            R.GroupsNotDivisible.finding(
                m.param_node("num_groups"), module=m.name,
                layer=m.label(),
                what="num_channels",
                value=c,
                groups_name="num_groups",
                groups=g,
                hint="use a num_groups that divides num_channels",
            )
        )
        m.invalid = True


def groupnorm_forward(ctx, m, x):
    c = m.params.get("num_channels")
    shape = x.shape
    if shape is None or m.invalid:
        return Unknown("input shape unknown")
    if len(shape) < 2:
        return rank_error(ctx, m, x, "at least 2-D", "GroupNorm reads (N, C, *)")
    if m.params.get("affine", True) is not False and is_known(c):
        if not ok_equal(ctx, shape[1], c, f"{m.label()} num_channels"):
            _channel_report(ctx, m, x, 1, c, shape[1], "num_channels")
    return Tensor(shape, x.prov)


def layernorm_forward(ctx, m, x):
    ns = m.params.get("normalized_shape")
    if isinstance(ns, int) and not isinstance(ns, bool):
        ns = (ns,)
    shape = x.shape
    if shape is None or not isinstance(ns, (tuple, list)) or not all(is_known(v) for v in ns):
        return Tensor(shape, x.prov) if shape is not None else Unknown("input shape unknown")
    ns = tuple(ns)
    tail = shape[len(shape) - len(ns):] if len(ns) <= len(shape) else None
    bad = tail is None or any(not ok_equal(ctx, a, b, f"{m.label()} normalized_shape") for a, b in zip(tail, ns))
    if bad:
        fix = tuple(shape[len(shape) - len(ns):]) if len(ns) <= len(shape) else shape
        fix_text = str(fix[0]) if len(fix) == 1 else str(tuple(fix))
        ctx.report(
            R.NormalizedShapeMismatch.finding(
                m.param_node("normalized_shape"), module=m.name,
                layer=m.label(),
                expected=list(ns),
                actual=("[" + ", ".join(str(d) for d in tail) + "]") if tail is not None else shape_text(shape),  # W//8, not Expr(W//8)
                origin=origin_parts(x, len(shape) - 1),
                fix_value=f"normalized_shape={fix_text}",
                edits=param_edit(m, "normalized_shape", fix[0]) if len(fix) == 1 else [],
                fix=f"Set normalized_shape={fix_text}",
            )
        )
    return Tensor(shape, x.prov)


# ---------------------------------------------------------------------------- dense and shape layers


def linear_forward(ctx, m, x):
    fin, fout = m.params.get("in_features"), m.params.get("out_features")
    if x.pending:
        ctx.assume_rank()  # (B, in_features) is a guess: the input may have more dims
    shape = input_shape(
        ctx, m, x,
        lambda: ((ctx.batch, fin), (None, Origin(f"the model input (features taken from {m.label()} in_features={fin}, ", At(m.node), ")")))
        if is_known(fin) or (isinstance(fin, Expr) and not fin.is_opaque()) else None,  # a symbol: engine/symbolic_init.py
    )
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) < 1:
        return rank_error(ctx, m, x, "at least 1-D", "Linear reads (*, in_features)")
    last = shape[-1]
    if is_known(fin) and not ok_equal(ctx, last, fin, f"{m.label()} in_features"):
        hint, edits, fix = features_fix(ctx, m, x, last, "in_features")
        ctx.report(
            R.InFeaturesMismatch.finding(
                m.param_node("in_features"), module=m.name,
                layer=m.label(),
                expected=fin,
                param="in_features",
                actual=ctx.show(last),
                origin=origin_parts(x, len(shape) - 1),
                hint=hint,
                edits=edits,
                fix=fix,
            )
        )
    out = size_or_opaque(fout, "f")
    return Tensor(shape[:-1] + (out,), x.prov[:-1] + (made_by(m, f"out_features={fout}"),))


def flatten_forward(ctx, m, x):
    return flatten_core(ctx, m, x, m.params.get("start_dim", 1), m.params.get("end_dim", -1), m.label())


def unflatten_forward(ctx, m, x):
    shape = x.shape
    dim, sizes = m.params.get("dim"), m.params.get("unflattened_size")
    if shape is None or not isinstance(sizes, (tuple, list)):
        return Unknown("input shape unknown")
    d = normalize_dim(dim, len(shape))
    if d is None:
        return dim_error(ctx, m, m.label(), dim, x) if isinstance(dim, int) else Unknown("dim")
    inner = reshape_dims(ctx, m, Tensor((shape[d],), (x.origin(d),)), list(sizes), m.label(), batch_check=False)
    if not isinstance(inner, Tensor):
        return inner
    return Tensor(shape[:d] + inner.shape + shape[d + 1:])


def identity_forward(ctx, m, x):
    return x


def prelu_forward(ctx, m, x):
    n = m.params.get("num_parameters", 1)
    shape = x.shape
    if shape is not None and is_known(n) and n > 1:
        if len(shape) < 2:
            return rank_error(ctx, m, x, "at least 2-D", "PReLU with several parameters reads (N, C, ...)")
        if not ok_equal(ctx, shape[1], n, f"{m.label()} num_parameters"):
            _channel_report(ctx, m, x, 1, n, shape[1], "num_parameters")
    return x


def softmax_forward(ctx, m, x):
    dim = m.params.get("dim")
    if x.shape is not None and isinstance(dim, int) and normalize_dim(dim, len(x.shape)) is None:
        return dim_error(ctx, m, m.label(), dim, x)
    return x


def embedding_forward(ctx, m, x):
    dim = m.params.get("embedding_dim")
    if x.pending:
        ctx.assume_rank()  # (B, T) indices is a guess
    shape = input_shape(ctx, m, x, lambda: ((ctx.batch, ctx.input_symbol("T")), (None, None)))
    if shape is None:
        return Unknown("input shape unknown")
    out = size_or_opaque(dim, "e")
    return Tensor(shape + (out,), x.prov + (made_by(m, f"embedding_dim={dim}"),))


def upsample_forward(ctx, m, x):
    return upsample_core(ctx, m, x, m.params.get("size"), m.params.get("scale_factor"))


def pixel_shuffle_forward(ctx, m, x):
    r = m.params.get("upscale_factor")
    shape = x.shape
    if isinstance(r, Expr) and not r.is_opaque() and shape is not None and len(shape) >= 3:
        # a symbol of the class's constructor argument (engine/symbolic_init.py): where torch runs,
        # r*r divides the channels; their quotient is known when the source makes it a multiple
        c, h, w = shape[-3:]
        quotient = exact_div(c, mul(r, r))
        return Tensor(shape[:-3] + (quotient if quotient is not None else Expr.opaque("c"), mul(h, r), mul(w, r)))
    if shape is None or not is_known(r) or len(shape) < 3:
        return Unknown("input shape unknown")
    c, h, w = shape[-3:]
    if is_known(c) and c % (r * r):
        ctx.report(R.ShapeMismatch.finding(m.node, module=m.name, op=m.label(), detail=f"channels {c} are not divisible by upscale_factor**2 = {r * r}"))
        return Unknown("bad pixel shuffle")
    return Tensor(shape[:-3] + (floordiv(c, r * r), mul(h, r), mul(w, r)))


def make_pad_forward(n: int):
    def forward(ctx, m, x):
        p = m.params.get("padding")
        pads = (p,) * (2 * n) if is_known(p) else p
        return pad_core(ctx, m, x, pads)

    return forward


def make_rnn_forward(kind: str):
    def forward(ctx, m, x):
        p = m.params
        isz, hsz = p.get("input_size"), p.get("hidden_size")
        layers = p.get("num_layers", 1)
        bf = p.get("batch_first", False)
        bi = p.get("bidirectional", False)
        proj = p.get("proj_size", 0) if kind == "LSTM" else 0
        # sizes may be symbols of the class's constructor arguments (engine/symbolic_init.py);
        # proj_size must be a number: whether it is 0 decides the output's width
        if not all(is_known(v) or isinstance(v, Expr) for v in (isz, hsz, layers)) or not is_known(proj) \
                or not isinstance(bf, bool) or not isinstance(bi, bool):
            return Unknown("rnn arguments")

        def guess():
            t = ctx.input_symbol("T")
            return (((ctx.batch, t, isz) if bf else (t, ctx.batch, isz)), (None, None, None))

        shape = input_shape(ctx, m, x, guess)
        if shape is None:
            return Unknown("input shape unknown")
        if len(shape) not in (2, 3):
            return rank_error(ctx, m, x, "2-D (unbatched) or 3-D (batched)", f"{kind} reads (L, N, input_size) or with batch_first (N, L, input_size)")
        if is_known(isz) and not ok_equal(ctx, shape[-1], isz, f"{m.label()} input_size"):
            ctx.report(
                R.InFeaturesMismatch.finding(
                    m.param_node("input_size"), module=m.name,
                    layer=m.label(),
                    expected=isz,
                    param="input_size",
                    actual=shape[-1],
                    origin=origin_parts(x, len(shape) - 1),
                    hint=f"use input_size={shape[-1]}",
                    edits=param_edit(m, "input_size", shape[-1]),
                    fix=f"Set input_size={shape[-1]}",
                )
            )
        dirs = 2 if bi else 1
        hout = proj if proj else hsz
        out = Tensor(shape[:-1] + (mul(dirs, hout),), x.prov[:-1] + (made_by(m, f"hidden_size={hsz}"),))
        if len(shape) == 3:
            batch = shape[0] if bf else shape[1]
            h = Tensor((mul(dirs, layers), batch, hout))
            c = Tensor((mul(dirs, layers), batch, hsz))
        else:
            h = Tensor((mul(dirs, layers), hout))
            c = Tensor((mul(dirs, layers), hsz))
        return (out, (h, c)) if kind == "LSTM" else (out, h)

    return forward


# ---------------------------------------------------------------------------- the table

_CONV = (
    ("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED), ("stride", 1),
    ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True), ("padding_mode", "zeros"),
    ("device", None), ("dtype", None),
)
_CONVT = (
    ("in_channels", REQUIRED), ("out_channels", REQUIRED), ("kernel_size", REQUIRED), ("stride", 1),
    ("padding", 0), ("output_padding", 0), ("groups", 1), ("bias", True), ("dilation", 1),
    ("padding_mode", "zeros"), ("device", None), ("dtype", None),
)
_MAXPOOL = (("kernel_size", REQUIRED), ("stride", None), ("padding", 0), ("dilation", 1), ("return_indices", False), ("ceil_mode", False))
_AVGPOOL1 = (("kernel_size", REQUIRED), ("stride", None), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True))
_AVGPOOL = _AVGPOOL1 + (("divisor_override", None),)
_BN = (("num_features", REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", True), ("track_running_stats", True), ("device", None), ("dtype", None), ("bias", True))
_IN = (("num_features", REQUIRED), ("eps", 1e-5), ("momentum", 0.1), ("affine", False), ("track_running_stats", False), ("device", None), ("dtype", None), ("bias", True))
_RNN = (
    ("input_size", REQUIRED), ("hidden_size", REQUIRED), ("num_layers", 1), ("bias", True),
    ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
)

LAYERS: Dict[str, LayerSpec] = {}


def _add(name, params, forward, check=None, extra_ok=False, dims=0):
    LAYERS[name] = LayerSpec(name, tuple(params), forward, check, extra_ok=extra_ok, dims=dims)


for _n in (1, 2, 3):
    _add(f"Conv{_n}d", _CONV, make_conv_forward(_n, False), conv_check, dims=_n)
    _add(f"ConvTranspose{_n}d", _CONVT, make_conv_forward(_n, True), conv_check, dims=_n)
    _add(f"MaxPool{_n}d", _MAXPOOL, make_maxpool_forward(_n), dims=_n)
    _add(f"AvgPool{_n}d", _AVGPOOL1 if _n == 1 else _AVGPOOL, make_avgpool_forward(_n), dims=_n)
    _add(f"AdaptiveAvgPool{_n}d", (("output_size", REQUIRED),), make_adaptive_forward(_n, False), dims=_n)
    _add(f"AdaptiveMaxPool{_n}d", (("output_size", REQUIRED), ("return_indices", False)), make_adaptive_forward(_n, True), dims=_n)
    _add(f"InstanceNorm{_n}d", _IN, make_instancenorm_forward(_n), dims=_n)
    _add(f"Dropout{_n}d", (("p", 0.5), ("inplace", False)), identity_forward)

_add("BatchNorm1d", _BN, make_batchnorm_forward((2, 3)))
_add("BatchNorm2d", _BN, make_batchnorm_forward((4,)))
_add("BatchNorm3d", _BN, make_batchnorm_forward((5,)))
_add("GroupNorm", (("num_groups", REQUIRED), ("num_channels", REQUIRED), ("eps", 1e-5), ("affine", True), ("device", None), ("dtype", None), ("bias", True)), groupnorm_forward, groupnorm_check)
_add("LayerNorm", (("normalized_shape", REQUIRED), ("eps", 1e-5), ("elementwise_affine", True), ("bias", True), ("device", None), ("dtype", None)), layernorm_forward)
_add("RMSNorm", (("normalized_shape", REQUIRED), ("eps", None), ("elementwise_affine", True), ("device", None), ("dtype", None)), layernorm_forward)  # the same trailing-shape rule
_add("Linear", (("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True), ("device", None), ("dtype", None)), linear_forward)
_add("Flatten", (("start_dim", 1), ("end_dim", -1)), flatten_forward)
_add("Unflatten", (("dim", REQUIRED), ("unflattened_size", REQUIRED)), unflatten_forward)
_add("Embedding", (("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("padding_idx", None), ("max_norm", None), ("norm_type", 2.0), ("scale_grad_by_freq", False), ("sparse", False), ("_weight", None), ("_freeze", False), ("device", None), ("dtype", None)), embedding_forward)
LAYERS["Embedding"] = replace(LAYERS["Embedding"], after=embedding_after)
_add("Upsample", (("size", None), ("scale_factor", None), ("mode", "nearest"), ("align_corners", None), ("recompute_scale_factor", None)), upsample_forward)
_add("UpsamplingNearest2d", (("size", None), ("scale_factor", None)), upsample_forward)
_add("UpsamplingBilinear2d", (("size", None), ("scale_factor", None)), upsample_forward)
_add("PixelShuffle", (("upscale_factor", REQUIRED),), pixel_shuffle_forward)
_add("PReLU", (("num_parameters", 1), ("init", 0.25), ("device", None), ("dtype", None)), prelu_forward)
_add("Softmax", (("dim", None),), softmax_forward)
_add("LogSoftmax", (("dim", None),), softmax_forward)
_add("Softmin", (("dim", None),), softmax_forward)
_add("ZeroPad1d", (("padding", REQUIRED),), make_pad_forward(1))
_add("ZeroPad2d", (("padding", REQUIRED),), make_pad_forward(2))
_add("ZeroPad3d", (("padding", REQUIRED),), make_pad_forward(3))
for _n in (1, 2, 3):
    _add(f"ConstantPad{_n}d", (("padding", REQUIRED), ("value", REQUIRED)), make_pad_forward(_n))
    _add(f"ReplicationPad{_n}d", (("padding", REQUIRED),), make_pad_forward(_n))
    _add(f"ReflectionPad{_n}d", (("padding", REQUIRED),), make_pad_forward(_n))
_add("LSTM", _RNN + (("proj_size", 0), ("device", None), ("dtype", None)), make_rnn_forward("LSTM"))
_add("GRU", _RNN + (("device", None), ("dtype", None)), make_rnn_forward("GRU"))
_add("RNN", _RNN[:3] + (("nonlinearity", "tanh"),) + _RNN[3:] + (("device", None), ("dtype", None)), make_rnn_forward("RNN"))

for _name in (
    "Identity", "Dropout", "AlphaDropout", "FeatureAlphaDropout", "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU",
    "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus",
    "Softsign", "Tanhshrink", "Threshold", "LogSigmoid", "Softshrink", "Hardshrink", "Softmax2d",
):
    _add(_name, (), identity_forward, extra_ok=True)

LAYERS.update(lazy_layers(LAYERS))  # Lazy*: the eager rule, the first size read from the input
LAYERS.update(composite.BLOCKS)  # attention and the Transformer blocks: layers made of layers
LAYERS.update(folding.LAYERS)
LAYERS.update(gated_units.LAYERS)  # nn.GLU
LAYERS.update(embedding_bag.LAYERS)
LAYERS.update(rnn_cells.LAYERS)  # RNNCell, GRUCell, LSTMCell
LAYERS.update(loss_modules.LAYERS)  # nn.CrossEntropyLoss, nn.MSELoss, nn.CTCLoss, ...
LAYERS.update(bilinear.LAYERS)  # nn.Bilinear: a leaf layer of two inputs
LAYERS.update(channel_layers.LAYERS)  # PixelUnshuffle, ChannelShuffle, LocalResponseNorm, SyncBatchNorm, LPPool
for _n in (1, 2, 3):  # `convT(x, output_size=...)`: torch solves for the output padding
    LAYERS[f"ConvTranspose{_n}d"] = replace(LAYERS[f"ConvTranspose{_n}d"], after=transposed_output_size.after)
for _k in ("LSTM", "GRU", "RNN"):  # called with an initial state, torch checks its shape
    LAYERS[_k] = replace(LAYERS[_k], after=check_rnn_state)  # nn.Unfold and nn.Fold: sliding blocks
