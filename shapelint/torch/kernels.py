"""The shape rules several tables share: torch's size formulas and the checks around them.

A formula returns the size and the arithmetic as text (`Formula`): the layer and functional
tables and the editor's hover show one computation. The checks (`reshape_dims`, `broadcast`,
`pool_core`, ...) report through the context given; `modules`/`functions` bind them.
"""

from __future__ import annotations

from typing import Callable, List, Optional

from ..core import rules as R
from ..core.findings import Also, At, Code, Edit
from ..core.symbolic import BATCH_NAME, Dim, Expr, add, exact_div, is_known, mul, product, shape_text, substitute
from ..core.values import UNKNOWN, FloatUnknown, InputDim, LayerOrigin, Origin, Tensor, Unknown, dims_related, is_unknown
from .constructor_values import check_view_sizes
from .head_split import head_split_report
from .spec import Site
from .view_fit import fold_report, leading_size_report, merges_leading_dims, mismatch_advice, never_divides
# the window formulas are kernels' names too: modules, functions and the hover import them from here
from .window_sizes import Formula, all_known, below, conv_size, conv_transpose_size, note_zero_symbols, pool_size, size_tuple  # noqa: F401


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


def normalize_dim(dim, rank: int):
    if not isinstance(dim, int) or isinstance(dim, bool):
        return None
    if -rank <= dim < rank:
        return dim % rank if rank else 0
    return None


def origin_parts(x: Tensor, i: int, default: str = "the model input") -> tuple:
    o = x.origin(i)
    if isinstance(o, Origin):
        return tuple(o.parts)
    return (default,)


def made_by(site, what: str) -> Origin:
    """`what` (`out_channels=128`) of a layer; a number a call passed to the helper that built the
    layer is named at that call's argument, the layer a related location (engine/callsite.py);
    an output size of a layer inside a Sequential subclass, at the call that built the block."""
    passed = (getattr(site, "call_args", None) or {}).get(what.split("=", 1)[0])
    if passed is not None:  # at the config entry the argument read, where there is one
        written = passed.entry.node if getattr(passed, "entry", None) is not None else passed.node
        through = tuple(Also(n, f"passed on to {site.label()} here") for n in getattr(passed, "through", ()))
        return LayerOrigin(site, f"{site.label()} {what}, ", At(written), *through, Also(site.node, f"{site.label()} is built here"))
    built_by = getattr(site, "built_by", None)
    if built_by is not None and "=" not in what:
        # an output size of a layer a Sequential subclass builds (kernel, stride, padding together):
        # the call of that block is where the user chose them
        return LayerOrigin(site, f"{site.label()} {what}, built by the call at ", At(built_by),
                           Also(site.node, f"{site.label()} is built here"))
    return LayerOrigin(site, f"{site.label()} {what}, ", At(site.node))


def kept_or_made(site, before, after, came) -> Origin:
    """An output size of a layer: made by it, or, where it equals the size that arrived (a 1x1
    or 'same' conv) from a layer that made it, that layer's (the stride that chose it), with this
    one as a related location that keeps it."""
    made = made_by(site, "output")
    same = after is before or (isinstance(before, int) and isinstance(after, int) and before == after)
    kind = str(getattr(came.layer, "kind", "")) if isinstance(came, LayerOrigin) else ""
    if not same or not ("Conv" in kind or "Pool" in kind):
        return made  # only a spatial size a conv or a pool made (a Linear's width keeps its own advice)
    at = next((p.node for p in made.parts if isinstance(p, At)), None)
    keeps = (Also(at, f"{site.label()} keeps the size unchanged here"),) if at is not None else ()
    return LayerOrigin(came.layer, *came.parts, *keeps)


def op_text(site, fallback: str = None):
    """How a message names an operation: its source text for a functional call or
    tensor method (`x.view(-1, 512)`), the module's name for a layer."""
    if isinstance(site, Site) and site.node is not None:
        return Code(site.node)
    return fallback or site.label()


def input_shape(ctx, site, x: Tensor, guess: Optional[Callable[[], Optional[tuple]]]):
    """The input's shape; the first layer that reads a pending model input decides it."""
    if x.pending and guess is not None:
        g = guess()
        if g is not None:
            shape, prov = g
            x.slot.resolve(shape, prov, site)
    return x.shape


def spatial_symbols(ctx, n: int):
    names = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}[n]
    return tuple(ctx.input_symbol(s) for s in names)


def batch_guess(ctx, site, channels, n: int, what: str):
    # a symbol of the class's own constructor argument counts (engine/symbolic_init.py): the
    # input then has `in_ch` channels, whatever in_ch is
    if not (is_known(channels) or (isinstance(channels, Expr) and not channels.is_opaque())):
        return None
    shape = (ctx.batch,) + (channels,) + spatial_symbols(ctx, n)
    prov = (None, Origin(f"the model input (channels taken from {site.label()} {what}, ", At(site.node), ")"))
    return shape, prov + (None,) * n


def ok_equal(ctx, actual: Dim, expected: Dim, reason: str) -> bool:
    """False only when actual can never equal expected (for any input size)."""
    return ctx.check_equal(actual, expected, reason) != "bad"


def rank_error(ctx, site, x, expected: str, hint: str) -> Unknown:
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


def dim_error(ctx, site, op: str, dim, x) -> Unknown:
    ctx.report(R.DimOutOfRange.finding(site.node, module=site.name, op=op_text(site, op), dim=dim, rank=len(x.shape), shape=shape_text(x.shape)))
    return Unknown("bad dim")


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
        ctx.require_positive(out)
    return True


AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def moved_input_dim(x: Tensor, i: int, role: int) -> bool:
    """True when dim `i` of `x` is dim k of the declared model input with k not `role` (the
    input's own feature or channel dim; negative counts from the end): the forward moved it there
    (`x.transpose(1, 2)`, `x.mean(2)`), so resizing the layer to it would fit the bug, not fix it."""
    o = x.origin(i)
    return isinstance(o, InputDim) and o.index != role % o.rank


def features_fix(ctx, site, x: Tensor, last, param: str):
    """(hint, edits, fix) of a feature-size mismatch (a Linear's in_features, a Bilinear's in1_features):
    no edit where the size that arrives is the forward's mistake, not the layer's."""
    if isinstance(last, Expr) and ctx.batch in [Expr.symbol(s) for s in last.symbols()]:
        # the batch was flattened into the features: the flatten is wrong, not the layer
        return "the batch dimension was flattened into the features: flatten per sample with torch.flatten(x, 1)", [], None
    if moved_input_dim(x, len(x.shape) - 1, -1):
        # a size of the input that the forward moved into the features (a sequence length
        # after a transpose): the layer's size may well be right, so no edit
        return (f"the {ctx.show(last)} values per row are a dimension of the model input that the forward "
                f"moved into the features: check the forward's transpose/permute or reduction, or use "
                f"{param}={ctx.show(last)}"), [], None
    return f"use {param}={ctx.show(last)}", param_edit(site, param, last), f"Set {param}={last}"


def param_edit(site, param: str, value) -> list:
    """The edit that sets a layer argument to the value that fixes it (none for a symbolic value)."""
    node = site.param_nodes.get(param)
    if node is None or not is_known(value) or not getattr(site, "editable", True):
        return []
    return [Edit(node, str(value))]


def flattened_size(dims) -> Formula:
    """The size of dims flattened into one: their product."""
    return Formula(product(dims), " * ".join(str(d) for d in dims))


def pool_core(ctx, site, x, n: int, k, stride, padding, dilation, ceil_mode, kind: str):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) not in (n + 1, n + 2):
        return rank_error(ctx, site, x, f"{n + 1}-D or {n + 2}-D", f"a {kind} reads (N, C, {', '.join(AXES[n])})")
    # sizes may be symbols of the class's own constructor arguments (window_sizes.py)
    k = size_tuple(k, n)
    s = size_tuple(stride if stride is not None and stride != [] and stride != () else k, n) if k else None
    p = size_tuple(padding, n)
    d = size_tuple(dilation, n)
    if not (k and s and p and d) or not isinstance(ceil_mode, bool) or below(k + s + d, 1) or below(p, 0):
        return Tensor(shape[: len(shape) - n] + tuple(Expr.opaque("pool") for _ in range(n)))
    for i in range(n):
        if all_known(p[i], k[i]) and p[i] > k[i] // 2:
            ctx.report(
                R.PoolPadding.finding(
                    site.param_node("padding"), module=site.name, layer=site.label(), padding=p[i], kernel=k[i], fix_value=k[i] // 2
                )
            )
            return Unknown("bad pool padding")
    note_zero_symbols(ctx, p, k + s + d)
    first = len(shape) - n
    outs = []
    for i in range(n):
        L = shape[first + i]
        out = pool_size(L, k[i], s[i], p[i], d[i], ceil_mode).value
        if not all_known(k[i], s[i], p[i], d[i]):
            # symbolic geometry: whether it collapses is a requirement, never a finding
            least = add(L, add(1, mul(k[i], -1))) if kind in ("AvgPool3d", "avg_pool3d") else 1
            if below((out, least), 1):
                return Tensor(shape[:first] + tuple(Expr.opaque("pool") for _ in range(n)))
            ctx.require_positive(out)
            ctx.require_positive(least)
            outs.append(out)
            continue
        if kind in ("AvgPool3d", "avg_pool3d") and not check_spatial(
            ctx, site, AXES[n][i], L, add(L, 1 - k[i]), k[i], x, first + i,
            "avg_pool3d rejects an input smaller than its kernel even when padding or ceil_mode would give an output",
        ):
            return Unknown("collapsed")
        needed = max(d[i] * (k[i] - 1) + 1 - 2 * p[i], 1)
        if not check_spatial(ctx, site, AXES[n][i], L, out, needed, x, first + i, "remove a downsampling step or feed larger inputs"):
            return Unknown("collapsed")
        outs.append(out)
    prov = x.prov[:first] + tuple(made_by(site, "output") for _ in range(n))
    return Tensor(shape[:first] + tuple(outs), prov)


def adaptive_core(ctx, site, x, n: int, output_size, kind: str):
    shape = x.shape
    if shape is None:
        return Unknown("input shape unknown")
    if len(shape) not in (n + 1, n + 2):
        return rank_error(ctx, site, x, f"{n + 1}-D or {n + 2}-D", f"a {kind} reads (N, C, {', '.join(AXES[n])})")
    first = len(shape) - n
    if isinstance(output_size, (int, type(None), Expr)) and not isinstance(output_size, bool):
        sizes = (output_size,) * n
    elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
        sizes = tuple(output_size)
    else:
        return Tensor(shape[:first] + tuple(Expr.opaque("pool") for _ in range(n)))
    outs = []
    for i, o in enumerate(sizes):
        if o is None:
            outs.append(shape[first + i])
        elif is_known(o) or isinstance(o, Expr):  # a symbol: the class's own argument (engine/symbolic_init.py)
            outs.append(o)
        else:
            outs.append(Expr.opaque("pool"))
    prov = x.prov[:first] + tuple(made_by(site, f"output_size={output_size}") for _ in range(n))
    return Tensor(shape[:first] + tuple(outs), prov)


def flatten_core(ctx, site, x, start, end, op: str):
    shape = x.shape
    if shape is None and x.pending and start == 1 and end == -1:
        # the model input, rank not known yet: whatever it is, torch gives (batch, everything else)
        # when it runs at all; the per-sample size stays unknown (it never takes part in checks)
        origin = Origin(f"{op} of the model input at ", At(site.node))
        return Tensor((ctx.batch, Expr.opaque("flat")), (None, origin))
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
    merged = flattened_size(shape[s: e + 1]).value
    origin = Origin(f"{op} of {shape_text(shape[s:e + 1])} at ", At(site.node))
    return Tensor(shape[:s] + (merged,) + shape[e + 1:], x.prov[:s] + (origin,) + x.prov[e + 1:])


def bind(args: list, kwargs: dict, names: List[str], defaults: dict) -> Optional[dict]:
    """Bind positional and keyword arguments to names; None if they do not fit."""
    if len(args) > len(names):
        return None
    out = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in out or k not in names:
            return None
        out[k] = v
    for n in names:
        if n not in out:
            if n not in defaults:
                return None
            out[n] = defaults[n]
    return out


def sizes_from(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return list(args[0])
    return list(args)


def reshape_dims(ctx, site, x: Tensor, sizes: list, op: str, batch_check: bool = True):
    if check_view_sizes(ctx, site, sizes, op):
        return Unknown("torch rejects a float size")
    shape = x.shape
    if shape is None and x.pending and len(sizes) == 2 and sizes[0] == ctx.batch and sizes[1] == -1:
        # `x.view(x.size(0), -1)` of the model input, rank not known yet: (batch, everything else)
        return Tensor((ctx.batch, Expr.opaque("flat")), (None, Origin(f"{op} of the model input at ", At(site.node))))
    if shape is None:
        return Unknown("input shape unknown")
    if any(is_unknown(s) or not (is_known(s) or isinstance(s, Expr)) for s in sizes):
        return Unknown(f"{op} with sizes shapelint cannot evaluate")
    numel = product(shape)
    holes = [i for i, s in enumerate(sizes) if s == -1]
    target_text = "(" + ", ".join(str(s) for s in sizes) + ")"
    if len(holes) > 1:
        ctx.report(R.ViewSizeMismatch.finding(site.node, module=site.name, op=op_text(site, op), shape=shape_text(shape), numel=ctx.show(numel), target=target_text, hint="only one dimension can be -1"))
        return Unknown("bad view")
    given = product(s for s in sizes if s != -1)
    batch = ctx.batch
    in_batch = shape[0] if shape else None
    per_sample = exact_div(numel, batch) if in_batch == batch else None

    if holes:
        hole = holes[0]
        inferred = exact_div(numel, given)
        if inferred is None and hole == 0 and per_sample is not None and batch_check:
            # e.g. view(-1, 4608) when each sample has 18*(H//2)*(W//2) values
            verdict = ctx.check_equal(per_sample, given, f"{op}")
            if verdict == "bad":
                fold_report(ctx, site, op, x, per_sample, given, sizes)
                return Tensor((Expr.opaque("b"),) + tuple(sizes[1:]))
            inferred = batch if verdict == "ok" else Expr.opaque("b")
        if inferred is None:
            # sizes of the declared batch count as known: (2, 4, 8, 8).view(2, 12, -1) cannot fit 512 values
            sn, sg = _size_value(ctx, numel), _size_value(ctx, given)
            fixed = sn is not None and sg is not None and (sg <= 0 or sn % sg)
            if fixed or never_divides(numel, given):  # a ratio like 4.5 for every input never fits either
                f = R.ViewSizeMismatch.finding(
                    site.node, module=site.name, op=op_text(site, op), shape=shape_text(shape), numel=ctx.show(numel), target=target_text,
                    hint=f"{sn} is not divisible by {sg}" if fixed else f"{ctx.show(numel)} is not divisible by {ctx.show(given)}",
                )
                f.related += dims_related(x)
                f.defect = ("view sizes", tuple(shape), tuple(sizes))  # q, k and v views alike: engine/same_defect.py
                ctx.report(f)
                return Unknown("bad view")
            # the declared batch meets a literal (`x.view(6, -1)` of a batch of 6): the hole is a number
            inferred = sn // sg if sn is not None and sg is not None else Expr.opaque("v")
        out = list(sizes)
        out[hole] = inferred
        if batch_check and leading_size_report(ctx, site, op, x, sizes, per_sample):
            return Unknown("the view changes the batch")
        if batch_check and hole == 0 and in_batch == batch and inferred != batch:
            if isinstance(inferred, Expr) and BATCH_NAME in inferred.symbols() and per_sample is not None \
                    and not merges_leading_dims(shape, out):
                fold_report(ctx, site, op, x, per_sample, given, sizes)
                out[0] = Expr.opaque("b")
        return Tensor(tuple(out), reshape_prov(site, x, out))

    verdict = ctx.check_equal(numel, given, op)
    if verdict == "bad":
        hint, edits = mismatch_advice(ctx, site, x, sizes, per_sample)
        f = R.ViewSizeMismatch.finding(
            site.node, module=site.name, op=op_text(site, op), shape=shape_text(shape), numel=ctx.show(numel), target=target_text, hint=hint,
            edits=edits, fix="Flatten per sample with .flatten(1)" if edits else None,
        )
        f.related += dims_related(x)
        f.defect = ("view sizes", tuple(shape), tuple(sizes))  # q, k and v views alike: engine/same_defect.py
        if not head_split_report(ctx, site, x, sizes, op_text(site, op), origin_parts(x, len(shape) - 1, "")):
            ctx.report(f)  # the generic finding, unless the view is an attention-head split (SHP007)
        return Unknown("bad view")
    if batch_check and leading_size_report(ctx, site, op, x, sizes, per_sample):
        return Unknown("the view changes the batch")
    return Tensor(tuple(sizes), reshape_prov(site, x, sizes))


def reshape_prov(site, x, out):
    return tuple(Origin(Code(site.node), " at ", At(site.node)) for _ in out)


def broadcast(ctx, site, a: Tensor, b: Tensor, op: str):
    sa, sb = a.shape, b.shape
    if sa is None or sb is None:
        return Unknown("input shape unknown")
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    prova = (None,) * (n - len(sa)) + tuple(a.prov)
    provb = (None,) * (n - len(sb)) + tuple(b.prov)
    out, prov = [], []
    for i, (x, y) in enumerate(zip(pa, pb)):
        cx, cy = _size_value(ctx, x), _size_value(ctx, y)
        if x == y or cy == 1 or (cx is not None and cx == cy):
            out.append(x)
            prov.append(prova[i])
        elif cx == 1:
            out.append(y)
            prov.append(None)
        elif (cx is not None and cy is not None) or (
                ctx.check_equal(x, y, op) == "bad" and not maybe_one(x) and not maybe_one(y)):
            ctx.report(
                R.ShapeMismatch.finding(
                    site.node, module=site.name, op=op_text(site, op),
                    detail=(
                        f"shapes {shape_text(sa)} and {shape_text(sb)} cannot be broadcast: dimension {i - n} is {x} on the left (",
                        *origin_of(prova[i]), f") and {y} on the right (", *origin_of(provb[i]),
                        "); make both branches produce the same size (matching stride/padding, or a downsample on the skip path)",
                    ),
                )
            )
            return Unknown("broadcast mismatch")
        elif cx is None and cy is not None:  # x is 1 or y in every run torch accepts: y
            out.append(y)
            prov.append(provb[i])
        else:
            out.append(x)
            prov.append(prova[i])
    return Tensor(tuple(out), tuple(prov))


def _size_value(ctx, d):
    """A size as an int: known, or the batch symbol when the batch is declared; else None."""
    if is_known(d):
        return d
    declared = getattr(ctx, "declared_batch", None)
    if isinstance(d, Expr) and declared is not None:
        v = substitute(d, {BATCH_NAME: declared})
        return v if is_known(v) else None
    return None


def origin_of(o) -> tuple:
    return tuple(o.parts) if isinstance(o, Origin) else ("the model input",)


def maybe_one(d: Dim) -> bool:
    return isinstance(d, Expr)  # a symbolic size might be 1, and 1 broadcasts


def binary(ctx, site, a, b, op: str):
    """An elementwise op of two tensors (broadcast), or of a tensor and a number."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return broadcast(ctx, site, a, b, op)
    if isinstance(a, Tensor) and isinstance(b, (int, float, Expr, FloatUnknown)):  # a Python number, known or not
        return a
    if isinstance(b, Tensor) and isinstance(a, (int, float, Expr, FloatUnknown)):
        return b
    return UNKNOWN


def index_tensor(ctx, x: Tensor, key, node=None):
    """x[0], x[:, 1:], x[..., None]: the shape after basic indexing."""
    shape = x.shape
    if shape is None:
        return Unknown("indexing a tensor of unknown shape")
    keys = list(key) if isinstance(key, tuple) else [key]
    if any(isinstance(k, Tensor) for k in keys):
        from .advanced_indexing import index_by_tensors  # imported here: it imports sequence_ops, which imports this module

        return index_by_tensors(ctx, x, keys, node)
    lists = [k for k in keys if isinstance(k, list)]
    if any(isinstance(k, (Tensor, Unknown)) for k in keys) or len(lists) > 1 or any(
            not lst or not all(isinstance(v, int) and not isinstance(v, bool) for v in lst) for lst in lists):
        return Unknown("advanced indexing")
    if not all(k is None or k is Ellipsis or isinstance(k, (int, slice, list)) for k in keys):
        return Unknown("an index shapelint does not know")  # counted as a dim, it could raise a false SHP012
    used = sum(1 for k in keys if k is not None and k is not Ellipsis)
    keys = full_keys(ctx, shape, keys, used, node)
    if isinstance(keys, Unknown):
        return keys
    out, dim = [], 0
    for k in keys:
        if k is None:
            out.append(1)
            continue
        size = shape[dim]
        dim += 1
        if isinstance(k, bool):
            return Unknown("boolean index")
        if isinstance(k, list):  # one list of ints: advanced indexing, a dim of len(k) in its place
            if is_known(size) and not all(-size <= v < size for v in k):
                return Unknown("index out of range")
            out.append(len(k))
            continue
        if isinstance(k, int):
            if is_known(size) and not -size <= k < size:
                if node is not None:
                    ctx.report(R.DimOutOfRange.finding(node, op="indexing", dim=f"index {k}", rank=len(shape), shape=shape_text(shape)))
                return Unknown("index out of range")
            continue
        if isinstance(k, slice):
            if k.start is None and k.stop is None and k.step in (None, 1):
                out.append(size)
            elif is_known(size) and all(v is None or isinstance(v, int) for v in (k.start, k.stop, k.step)):
                out.append(len(range(*k.indices(size))))
            elif k.start in (None, 0) and k.stop is None and isinstance(k.step, int) and k.step > 0:
                out.append((size + (k.step - 1)) // k.step)  # x[:, :, ::2]: ceil(H / step), exactly
            elif _prefix_to_declared_batch(ctx, k, size):
                out.append(k.stop)  # pe[:x.size(0)] of a longer table: the batch's own size, its symbol kept
            else:
                out.append(Expr.opaque("slice"))
            continue
        return Unknown("index")
    return Tensor(tuple(out), dtype=x.dtype)


def _prefix_to_declared_batch(ctx, k: slice, size) -> bool:
    """`[:n]` (no start, no step) where n is the batch symbol, declared, and no larger than `size`:
    its length is n itself (a sequence-first model slicing its position table by x.size(0))."""
    return (k.start in (None, 0) and k.step in (None, 1) and isinstance(k.stop, Expr) and is_known(size)
            and k.stop == ctx.batch and ctx.declared_batch is not None and 0 <= ctx.declared_batch <= size)


def full_keys(ctx, shape, keys: list, used: int, node):
    """Index keys with `...` (or the missing trailing dims) expanded to full slices: one key per
    dim of `shape`; Unknown (and SHP012 at `node`) when `used` dims are more than the tensor has."""
    if used > len(shape):
        if node is not None:
            ctx.report(R.DimOutOfRange.finding(node, op="indexing", dim=f"{used} indices", rank=len(shape), shape=shape_text(shape)))
        return Unknown("too many indices")
    if Ellipsis in keys:
        i = keys.index(Ellipsis)
        return keys[:i] + [slice(None)] * (len(shape) - used) + keys[i + 1:]
    return keys + [slice(None)] * (len(shape) - used)
