"""The shape semantics of torch.nn layers, as data plus small pure functions.

A layer is a `LayerSpec`: its constructor signature (torch's parameter order, so
positional arguments bind as in torch), an optional construction check, and a
`forward` that maps an input `Tensor` to its output. The formulas are torch's
documented ones; `tests/test_layers_vs_torch.py` checks every entry against torch.
Adding a layer is one entry in `LAYERS` and one row in that test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from ..core import rules as R
from ..core.findings import At, Code
from ..core.symbolic import Dim, Expr, add, ceildiv, floordiv, is_known, mul, product, shape_text
from ..core.values import UNKNOWN, ModuleValue, Origin, Tensor, Unknown, is_unknown

REQUIRED = object()


@dataclass(frozen=True)
class LayerSpec:
    name: str
    params: Tuple[Tuple[str, Any], ...]
    forward: Callable
    check: Optional[Callable] = None  # construction-time checks (torch raises in __init__)
    guess_input: Optional[Callable] = None  # the input shape a model starting here takes
    extra_ok: bool = False  # accepts arbitrary *args/**kwargs (activations, Identity)


class Site:
    """Where a layer's parameters came from: a module, or a functional call's arguments."""

    def __init__(self, label: str, node, param_nodes: Dict[str, Any] = None, params=None):
        self._label = label
        self.name = None  # a functional call belongs to no submodule
        self.node = node
        self.param_nodes = param_nodes or {}
        self.params = params or {}
        self.invalid = False

    def label(self) -> str:
        return self._label

    def param_node(self, name: str):
        return self.param_nodes.get(name) or self.node


# ---------------------------------------------------------------------------- helpers


def ntuple(value, n: int):
    """An int or a sequence of n ints as a tuple; None when not statically known."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return tuple(value)
    return None


def origin_parts(x: Tensor, i: int, default: str = "the model input") -> tuple:
    o = x.origin(i)
    if isinstance(o, Origin):
        return tuple(o.parts)
    return (default,)


def made_by(site, what: str) -> Origin:
    return Origin(f"{site.label()} {what}, ", At(site.node))


def input_shape(ctx, site, x: Tensor, guess: Optional[Callable[[], Optional[tuple]]]):
    """The input's shape; the first layer that reads a pending model input decides it."""
    if x.pending and guess is not None:
        g = guess()
        if g is not None:
            shape, prov = g
            x.slot.resolve(shape, prov, site)
    return x.shape


def _ok_equal(ctx, actual: Dim, expected: Dim, reason: str) -> bool:
    """False only when actual can never equal expected (for any input size)."""
    return ctx.check_equal(actual, expected, reason) != "bad"


def _rank_error(ctx, site, x, expected: str, hint: str) -> Unknown:
    ctx.report(
        R.RankMismatch.finding(
            site.node, module=site.name,
            layer=site.label(),
            expected=expected,
            actual=f"{len(x.shape)}-D {shape_text(x.shape)}",
            origin=origin_parts(x, 0, "the model input") if x.shape else "?",
            hint=hint,
        )
    )
    return Unknown("rank mismatch")


def check_spatial(ctx, site, axis: str, inp: Dim, out: Dim, needed: int, x, i, hint: str) -> bool:
    """Report an output size below 1; record symbolic outputs as constraints."""
    if is_known(out):
        if out < 1:
            ctx.report(
                R.SpatialCollapse.finding(
                    site.node, module=site.name,
                    layer=site.label(),
                    needed=needed,
                    axis=axis,
                    actual=inp,
                    origin=origin_parts(x, i),
                    out=out,
                    hint=hint,
                )
            )
            return False
    elif isinstance(out, Expr):
        ctx.constraints.require_positive(out)
    return True


AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def spatial_symbols(ctx, n: int):
    names = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}[n]
    return tuple(ctx.input_symbol(s) for s in names)


def batch_guess(ctx, site, channels, n: int, what: str):
    if not is_known(channels):
        return None
    shape = (ctx.batch,) + (channels,) + spatial_symbols(ctx, n)
    prov = (None, Origin(f"the model input (channels taken from {site.label()} {what}, ", At(site.node), ")"))
    return shape, prov + (None,) * n


# ---------------------------------------------------------------------------- convolution


def conv_check(ctx, m) -> None:
    p = m.params
    groups = p.get("groups", 1)
    for what in ("in_channels", "out_channels"):
        v = p.get(what)
        if is_known(v) and is_known(groups) and groups > 0 and v % groups:
            ctx.report(
                R.GroupsNotDivisible.finding(
                    m.param_node("groups"), module=m.name,
                    layer=m.label(),
                    what=what,
                    value=v,
                    groups_name="groups",
                    groups=groups,
                    hint=f"use groups that divide {p.get('in_channels')} and {p.get('out_channels')}",
                )
            )
            m.invalid = True
            return
    stride = ntuple(p.get("stride", 1), spec_dims(m.kind))
    if m.kind.startswith("ConvTranspose"):
        n = spec_dims(m.kind)
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
    def forward(ctx, m, x, call=None):
        p = m.params
        in_ch, out_ch = p.get("in_channels"), p.get("out_channels")
        shape = input_shape(ctx, m, x, lambda: batch_guess(ctx, m, in_ch, n, f"in_channels={in_ch}"))
        if shape is None or m.invalid:
            return Unknown("input shape unknown")
        if len(shape) not in (n + 1, n + 2):
            return _rank_error(
                ctx, m, x, f"{n + 1}-D (unbatched) or {n + 2}-D (batched)",
                f"a {m.kind} reads (N, C, {', '.join(AXES[n])})",
            )
        ci = len(shape) - n - 1
        c = shape[ci]
        if is_known(in_ch) and not _ok_equal(ctx, c, in_ch, f"{m.label()} in_channels"):
            _channel_report(ctx, m, x, ci, in_ch, c, "in_channels")
        k = ntuple(p.get("kernel_size"), n)
        s = ntuple(p.get("stride", 1), n)
        d = ntuple(p.get("dilation", 1), n)
        padding = p.get("padding", 0)
        outs = []
        for i in range(n):
            L = shape[ci + 1 + i]
            if k is None or s is None or d is None or min(s + d + k) < 1:  # torch rejects these itself
                outs.append(Expr.opaque("conv"))
                continue
            eff = d[i] * (k[i] - 1) + 1
            if transposed:
                pad = ntuple(padding, n)
                op = ntuple(p.get("output_padding", 0), n)
                if pad is None or op is None:
                    outs.append(Expr.opaque("conv"))
                    continue
                out = add(mul(add(L, -1), s[i]), -2 * pad[i] + d[i] * (k[i] - 1) + op[i] + 1)
                if not check_spatial(ctx, m, AXES[n][i], L, out, 1, x, ci + 1 + i, "reduce padding"):
                    return Unknown("collapsed")
            else:
                if padding == "same":
                    out = L
                else:
                    pad = (0,) * n if padding == "valid" else ntuple(padding, n)
                    if pad is None:
                        outs.append(Expr.opaque("conv"))
                        continue
                    out = add(floordiv(add(L, 2 * pad[i] - eff), s[i]), 1)
                    needed = max(eff - 2 * pad[i], 1)
                    if not check_spatial(
                        ctx, m, AXES[n][i], L, out, needed, x, ci + 1 + i,
                        f"add padding={(eff - 1) // 2} or feed larger inputs",
                    ):
                        return Unknown("collapsed")
            outs.append(out)
        out_c = out_ch if is_known(out_ch) else Expr.opaque("c")
        new_shape = shape[:ci] + (out_c,) + tuple(outs)
        prov = x.prov[:ci] + (made_by(m, f"out_channels={out_ch}"),) + tuple(
            made_by(m, "output") for _ in range(n)
        )
        return Tensor(new_shape, prov)

    return forward


def _edit(site, param: str, value) -> list:
    from ..core.findings import Edit

    node = site.param_nodes.get(param)
    if node is None or not is_known(value):
        return []
    return [Edit(node, str(value))]


# ---------------------------------------------------------------------------- pooling


def pool_out(L: Dim, k: int, s: int, p: int, d: int, ceil_mode: bool) -> Dim:
    """torch's pooling_output_shape, including the ceil_mode last-window rule."""
    eff = d * (k - 1) + 1
    if not ceil_mode:
        return add(floordiv(add(L, 2 * p - eff), s), 1)
    out = add(floordiv(add(L, 2 * p - eff + s - 1), s), 1)
    if is_known(out):
        # the last window must start inside the input or the left padding
        if (out - 1) * s >= L + p:
            out -= 1
        return out
    if p == 0 and s <= eff:
        return out  # the last window always starts inside the input then
    return Expr.opaque("pool")


def pool_forward_core(ctx, site, x, n: int, k, stride, padding, dilation, ceil_mode, kind: str):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) not in (n + 1, n + 2):
        return _rank_error(ctx, site, x, f"{n + 1}-D or {n + 2}-D", f"a {kind} reads (N, C, {', '.join(AXES[n])})")
    k = ntuple(k, n)
    s = ntuple(stride if stride is not None and stride != [] and stride != () else k, n) if k else None
    p = ntuple(padding, n)
    d = ntuple(dilation, n)
    if not (k and s and p and d) or not isinstance(ceil_mode, bool) or min(k + s + d) < 1 or min(p) < 0:
        return Tensor(shape[: len(shape) - n] + tuple(Expr.opaque("pool") for _ in range(n)))
    for i in range(n):
        if p[i] > k[i] // 2:
            ctx.report(
                R.PoolPadding.finding(
                    site.param_node("padding"), module=site.name, layer=site.label(), padding=p[i], kernel=k[i], fix_value=k[i] // 2
                )
            )
            return Unknown("bad pool padding")
    first = len(shape) - n
    outs = []
    for i in range(n):
        L = shape[first + i]
        if kind in ("AvgPool3d", "avg_pool3d") and not check_spatial(
            ctx, site, AXES[n][i], L, add(L, 1 - k[i]), k[i], x, first + i,
            "avg_pool3d rejects an input smaller than its kernel even when padding or ceil_mode would give an output",
        ):
            return Unknown("collapsed")
        out = pool_out(L, k[i], s[i], p[i], d[i], ceil_mode)
        needed = max(d[i] * (k[i] - 1) + 1 - 2 * p[i], 1)
        if not check_spatial(ctx, site, AXES[n][i], L, out, needed, x, first + i, "remove a downsampling step or feed larger inputs"):
            return Unknown("collapsed")
        outs.append(out)
    prov = x.prov[:first] + tuple(made_by(site, "output") for _ in range(n))
    return Tensor(shape[:first] + tuple(outs), prov)


def make_maxpool_forward(n: int):
    def forward(ctx, m, x, call=None):
        p = m.params
        out = pool_forward_core(
            ctx, m, x, n, p.get("kernel_size"), p.get("stride"), p.get("padding", 0),
            p.get("dilation", 1), p.get("ceil_mode", False), m.kind,
        )
        if p.get("return_indices") is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape, out.prov))
        return out

    return forward


def make_avgpool_forward(n: int):
    def forward(ctx, m, x, call=None):
        p = m.params
        return pool_forward_core(
            ctx, m, x, n, p.get("kernel_size"), p.get("stride"), p.get("padding", 0), 1,
            p.get("ceil_mode", False), m.kind,
        )

    return forward


def adaptive_core(ctx, site, x, n: int, output_size, kind: str):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) not in (n + 1, n + 2):
        return _rank_error(ctx, site, x, f"{n + 1}-D or {n + 2}-D", f"a {kind} reads (N, C, {', '.join(AXES[n])})")
    first = len(shape) - n
    if isinstance(output_size, (int, type(None))) and not isinstance(output_size, bool):
        sizes = (output_size,) * n
    elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
        sizes = tuple(output_size)
    else:
        return Tensor(shape[:first] + tuple(Expr.opaque("pool") for _ in range(n)))
    outs = []
    for i, o in enumerate(sizes):
        if o is None:
            outs.append(shape[first + i])
        elif is_known(o):
            outs.append(o)
        else:
            outs.append(Expr.opaque("pool"))
    prov = x.prov[:first] + tuple(made_by(site, f"output_size={output_size}") for _ in range(n))
    return Tensor(shape[:first] + tuple(outs), prov)


def make_adaptive_forward(n: int, returns_indices: bool):
    def forward(ctx, m, x, call=None):
        out = adaptive_core(ctx, m, x, n, m.params.get("output_size"), m.kind)
        if returns_indices and m.params.get("return_indices") is True and isinstance(out, Tensor):
            return (out, Tensor(out.shape, out.prov))
        return out

    return forward


# ---------------------------------------------------------------------------- normalization


def make_batchnorm_forward(ranks: Tuple[int, ...]):
    def forward(ctx, m, x, call=None):
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
            return _rank_error(ctx, m, x, want, f"{m.kind} reads (N, C{', L' if 3 in ranks else ''}...)")
        checks = p.get("affine", True) is not False or p.get("track_running_stats", True) is not False
        if checks and is_known(nf) and not _ok_equal(ctx, shape[1], nf, f"{m.label()} num_features"):
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
            edits=_edit(m, param, actual),
            fix=f"Set {param}={ctx.show(actual)}",
        )
    )


def make_instancenorm_forward(n: int):
    def forward(ctx, m, x, call=None):
        p = m.params
        nf = p.get("num_features")
        shape = x.shape
        if shape is None:
            return Unknown("input shape unknown")
        if len(shape) not in (n + 1, n + 2):
            return _rank_error(ctx, m, x, f"{n + 1}-D or {n + 2}-D", f"{m.kind} reads (N, C, ...)")
        ci = len(shape) - n - 1
        strict = p.get("affine", False) is True or p.get("track_running_stats", False) is True
        if strict and is_known(nf) and not _ok_equal(ctx, shape[ci], nf, f"{m.label()} num_features"):
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


def groupnorm_forward(ctx, m, x, call=None):
    g, c = m.params.get("num_groups"), m.params.get("num_channels")
    shape = x.shape
    if shape is None or m.invalid:
        return Unknown("input shape unknown")
    if len(shape) < 2:
        return _rank_error(ctx, m, x, "at least 2-D", "GroupNorm reads (N, C, *)")
    if m.params.get("affine", True) is not False and is_known(c):
        if not _ok_equal(ctx, shape[1], c, f"{m.label()} num_channels"):
            _channel_report(ctx, m, x, 1, c, shape[1], "num_channels")
    return Tensor(shape, x.prov)


def layernorm_forward(ctx, m, x, call=None):
    ns = m.params.get("normalized_shape")
    if isinstance(ns, int) and not isinstance(ns, bool):
        ns = (ns,)
    shape = x.shape
    if shape is None or not isinstance(ns, (tuple, list)) or not all(is_known(v) for v in ns):
        return Tensor(shape, x.prov) if shape is not None else Unknown("input shape unknown")
    ns = tuple(ns)
    tail = shape[len(shape) - len(ns):] if len(ns) <= len(shape) else None
    bad = tail is None or any(not _ok_equal(ctx, a, b, f"{m.label()} normalized_shape") for a, b in zip(tail, ns))
    if bad:
        fix = tuple(shape[len(shape) - len(ns):]) if len(ns) <= len(shape) else shape
        fix_text = str(fix[0]) if len(fix) == 1 else str(tuple(fix))
        ctx.report(
            R.NormalizedShapeMismatch.finding(
                m.param_node("normalized_shape"), module=m.name,
                layer=m.label(),
                expected=list(ns),
                actual=list(tail) if tail is not None else shape_text(shape),
                origin=origin_parts(x, len(shape) - 1),
                fix_value=f"normalized_shape={fix_text}",
                edits=_edit(m, "normalized_shape", fix[0]) if len(fix) == 1 else [],
                fix=f"Set normalized_shape={fix_text}",
            )
        )
    return Tensor(shape, x.prov)


# ---------------------------------------------------------------------------- dense and shape layers


def linear_forward(ctx, m, x, call=None):
    fin, fout = m.params.get("in_features"), m.params.get("out_features")
    if x.pending:
        ctx.rank_assumed = True  # (B, in_features) is a guess: the input may have more dims
    shape = input_shape(
        ctx, m, x,
        lambda: ((ctx.batch, fin), (None, Origin(f"the model input (features taken from {m.label()} in_features={fin}, ", At(m.node), ")")))
        if is_known(fin) else None,
    )
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) < 1:
        return _rank_error(ctx, m, x, "at least 1-D", "Linear reads (*, in_features)")
    last = shape[-1]
    if is_known(fin) and not _ok_equal(ctx, last, fin, f"{m.label()} in_features"):
        if isinstance(last, Expr) and ctx.batch in [Expr.symbol(s) for s in last.symbols()]:
            # the batch was flattened into the features: the flatten is wrong, not the Linear
            hint, edits, fix = "the batch dimension was flattened into the features: flatten per sample with torch.flatten(x, 1)", [], None
        else:
            hint, edits, fix = f"use in_features={ctx.show(last)}", _edit(m, "in_features", last), f"Set in_features={last}"
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
    out = fout if is_known(fout) else Expr.opaque("f")
    return Tensor(shape[:-1] + (out,), x.prov[:-1] + (made_by(m, f"out_features={fout}"),))


def normalize_dim(dim, rank: int):
    if not isinstance(dim, int) or isinstance(dim, bool):
        return None
    if -rank <= dim < rank:
        return dim % rank if rank else 0
    return None


def op_text(site, fallback: str = None):
    """How a message names an operation: its source text for a functional call or
    tensor method (`x.view(-1, 512)`), the module's name for a layer."""
    if isinstance(site, Site) and site.node is not None:
        return Code(site.node)
    return fallback or site.label()


def dim_error(ctx, site, op: str, dim, x) -> Unknown:
    ctx.report(R.DimOutOfRange.finding(site.node, module=site.name, op=op_text(site, op), dim=dim, rank=len(x.shape), shape=shape_text(x.shape)))
    return Unknown("bad dim")


def flatten_core(ctx, site, x, start, end, op: str):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    rank = max(len(shape), 1)
    s, e = normalize_dim(start, rank), normalize_dim(end, rank)
    if s is None:
        return dim_error(ctx, site, op, start, x) if isinstance(start, int) else Unknown("dim")
    if e is None:
        return dim_error(ctx, site, op, end, x) if isinstance(end, int) else Unknown("dim")
    if not shape:
        return Tensor((1,))
    if s > e:
        ctx.report(R.DimOutOfRange.finding(site.node, module=site.name, op=op, dim=f"{start} (after end_dim {end})", rank=len(shape), shape=shape_text(shape)))
        return Unknown("bad dim")
    merged = product(shape[s: e + 1])
    origin = Origin(f"{op} of {shape_text(shape[s:e + 1])} at ", At(site.node))
    return Tensor(shape[:s] + (merged,) + shape[e + 1:], x.prov[:s] + (origin,) + x.prov[e + 1:])


def flatten_forward(ctx, m, x, call=None):
    return flatten_core(ctx, m, x, m.params.get("start_dim", 1), m.params.get("end_dim", -1), m.label())


def unflatten_forward(ctx, m, x, call=None):
    from .functions import reshape_dims

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


def identity_forward(ctx, m, x, call=None):
    return x


def prelu_forward(ctx, m, x, call=None):
    n = m.params.get("num_parameters", 1)
    shape = x.shape
    if shape is not None and is_known(n) and n > 1:
        if len(shape) < 2:
            return _rank_error(ctx, m, x, "at least 2-D", "PReLU with several parameters reads (N, C, ...)")
        if not _ok_equal(ctx, shape[1], n, f"{m.label()} num_parameters"):
            _channel_report(ctx, m, x, 1, n, shape[1], "num_parameters")
    return x


def softmax_forward(ctx, m, x, call=None):
    dim = m.params.get("dim")
    if x.shape is not None and isinstance(dim, int) and normalize_dim(dim, len(x.shape)) is None:
        return dim_error(ctx, m, m.label(), dim, x)
    return x


def embedding_forward(ctx, m, x, call=None):
    dim = m.params.get("embedding_dim")
    if x.pending:
        ctx.rank_assumed = True  # (B, T) indices is a guess
    shape = input_shape(ctx, m, x, lambda: ((ctx.batch, ctx.input_symbol("T")), (None, None)))
    if shape is None:
        return Unknown("input shape unknown")
    out = dim if is_known(dim) else Expr.opaque("e")
    return Tensor(shape + (out,), x.prov + (made_by(m, f"embedding_dim={dim}"),))


def upsample_core(ctx, site, x, size, scale_factor):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    n = len(shape) - 2
    if n not in (1, 2, 3):
        return _rank_error(ctx, site, x, "3-D, 4-D or 5-D", "interpolation reads (N, C, spatial...)")
    outs = []
    if size is not None:
        sz = ntuple(size, n)
        if sz is None:
            return Tensor(shape[:2] + tuple(Expr.opaque("up") for _ in range(n)))
        outs = list(sz)
    elif scale_factor is not None:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * n
        if len(sf) != n:
            return Unknown("scale_factor")
        for L, f in zip(shape[2:], sf):
            if isinstance(f, (int, float)) and not isinstance(f, bool) and float(f).is_integer():
                outs.append(mul(L, int(f)))
            elif isinstance(f, float) and is_known(L):
                outs.append(int(L * f))  # torch: floor(input_size * scale_factor) in double
            else:
                outs.append(Expr.opaque("up"))
    else:
        return Unknown("interpolate without size or scale_factor")
    prov = x.prov[:2] + tuple(made_by(site, "output") for _ in range(n))
    return Tensor(shape[:2] + tuple(outs), prov)


def upsample_forward(ctx, m, x, call=None):
    return upsample_core(ctx, m, x, m.params.get("size"), m.params.get("scale_factor"))


def pixel_shuffle_forward(ctx, m, x, call=None):
    r = m.params.get("upscale_factor")
    shape = x.shape
    if shape is None or not is_known(r) or len(shape) < 3:
        return Unknown("input shape unknown")
    c, h, w = shape[-3:]
    if is_known(c) and c % (r * r):
        ctx.report(R.ShapeMismatch.finding(m.node, module=m.name, op=m.label(), detail=f"channels {c} are not divisible by upscale_factor**2 = {r * r}"))
        return Unknown("bad pixel shuffle")
    return Tensor(shape[:-3] + (floordiv(c, r * r), mul(h, r), mul(w, r)))


def pad_core(ctx, site, x, pads):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    if not isinstance(pads, (tuple, list)) or not all(is_known(v) for v in pads) or len(pads) % 2:
        return Unknown("padding")
    shape = list(shape)
    for i in range(len(pads) // 2):
        j = len(shape) - 1 - i
        if j < 0:
            return Unknown("padding")
        shape[j] = add(shape[j], pads[2 * i] + pads[2 * i + 1])
    return Tensor(tuple(shape), x.prov)


def make_pad_forward(n: int):
    def forward(ctx, m, x, call=None):
        p = m.params.get("padding")
        pads = (p,) * (2 * n) if is_known(p) else p
        return pad_core(ctx, m, x, pads)

    return forward


def make_rnn_forward(kind: str):
    def forward(ctx, m, x, call=None):
        p = m.params
        isz, hsz = p.get("input_size"), p.get("hidden_size")
        layers = p.get("num_layers", 1)
        bf = p.get("batch_first", False)
        bi = p.get("bidirectional", False)
        proj = p.get("proj_size", 0) if kind == "LSTM" else 0
        if not all(is_known(v) for v in (isz, hsz, layers, proj)) or not isinstance(bf, bool) or not isinstance(bi, bool):
            return Unknown("rnn arguments")

        def guess():
            t = ctx.input_symbol("T")
            return (((ctx.batch, t, isz) if bf else (t, ctx.batch, isz)), (None, None, None))

        shape = input_shape(ctx, m, x, guess)
        if shape is None:
            return Unknown("input shape unknown")
        if len(shape) not in (2, 3):
            return _rank_error(ctx, m, x, "2-D (unbatched) or 3-D (batched)", f"{kind} reads (L, N, input_size) or with batch_first (N, L, input_size)")
        if not _ok_equal(ctx, shape[-1], isz, f"{m.label()} input_size"):
            ctx.report(
                R.InFeaturesMismatch.finding(
                    m.param_node("input_size"), module=m.name,
                    layer=m.label(),
                    expected=isz,
                    param="input_size",
                    actual=shape[-1],
                    origin=origin_parts(x, len(shape) - 1),
                    hint=f"use input_size={shape[-1]}",
                    edits=_edit(m, "input_size", shape[-1]),
                    fix=f"Set input_size={shape[-1]}",
                )
            )
        dirs = 2 if bi else 1
        hout = proj if proj else hsz
        out = Tensor(shape[:-1] + (dirs * hout,), x.prov[:-1] + (made_by(m, f"hidden_size={hsz}"),))
        if len(shape) == 3:
            batch = shape[0] if bf else shape[1]
            h = Tensor((dirs * layers, batch, hout))
            c = Tensor((dirs * layers, batch, hsz))
        else:
            h = Tensor((dirs * layers, hout))
            c = Tensor((dirs * layers, hsz))
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
    spec = LayerSpec(name, tuple(params), forward, check, None, extra_ok)
    LAYERS[name] = spec
    SPEC_DIMS[name] = dims


SPEC_DIMS: Dict[str, int] = {}

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
_add("Linear", (("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True), ("device", None), ("dtype", None)), linear_forward)
_add("Flatten", (("start_dim", 1), ("end_dim", -1)), flatten_forward)
_add("Unflatten", (("dim", REQUIRED), ("unflattened_size", REQUIRED)), unflatten_forward)
_add("Embedding", (("num_embeddings", REQUIRED), ("embedding_dim", REQUIRED), ("padding_idx", None), ("max_norm", None), ("norm_type", 2.0), ("scale_grad_by_freq", False), ("sparse", False), ("_weight", None), ("_freeze", False), ("device", None), ("dtype", None)), embedding_forward)
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


def spec_dims(name: str) -> int:
    return SPEC_DIMS.get(name, 0)
