"""torch.nn layers made of other layers: attention and the Transformer blocks.

They are built like torch builds them (the same child modules under the same names,
so `named_modules()` names match), and their forward calls those children through the
interpreter (`vm.call_module`), so every child gets its own explain row and its own
checks. `BLOCKS` joins the layer table (`modules.LAYERS`).
"""

from __future__ import annotations

from typing import Dict

from ..core import rules as R
from ..core.findings import Related
from ..core.symbolic import Expr, is_known
from ..core.values import ModuleValue, Tensor, Unknown
from .advanced_indexing import TORCH_DTYPES
from .kernels import made_by, origin_parts, param_edit
from .spec import REQUIRED, LayerSpec

ATTENTION = (
    ("embed_dim", REQUIRED), ("num_heads", REQUIRED), ("dropout", 0.0), ("bias", True),
    ("add_bias_kv", False), ("add_zero_attn", False), ("kdim", None), ("vdim", None),
    ("batch_first", False), ("device", None), ("dtype", None),
)
BLOCK = (
    ("d_model", REQUIRED), ("nhead", REQUIRED), ("dim_feedforward", 2048), ("dropout", 0.1),
    ("activation", "relu"), ("layer_norm_eps", 1e-5), ("batch_first", False), ("norm_first", False),
    ("bias", True), ("device", None), ("dtype", None),
)
ENCODER = (("encoder_layer", REQUIRED), ("num_layers", REQUIRED), ("norm", None), ("enable_nested_tensor", True), ("mask_check", True))
DECODER = (("decoder_layer", REQUIRED), ("num_layers", REQUIRED), ("norm", None))
TRANSFORMER = (
    ("d_model", 512), ("nhead", 8), ("num_encoder_layers", 6), ("num_decoder_layers", 6), ("dim_feedforward", 2048),
    ("dropout", 0.1), ("activation", "relu"), ("custom_encoder", None), ("custom_decoder", None), ("layer_norm_eps", 1e-5),
    ("batch_first", False), ("norm_first", False), ("bias", True), ("device", None), ("dtype", None),
)
TRANSFORMER_FORWARD = ("src", "tgt", "src_mask", "tgt_mask", "memory_mask", "src_key_padding_mask", "tgt_key_padding_mask",
                       "memory_key_padding_mask", "src_is_causal", "tgt_is_causal", "memory_is_causal")


def heads_check(ctx, m) -> None:
    e, h = m.params.get("embed_dim", m.params.get("d_model")), m.params.get("num_heads", m.params.get("nhead"))
    if is_known(e) and is_known(h) and h > 0 and e % h:
        what = "embed_dim" if "embed_dim" in m.params else "d_model"
        heads = "num_heads" if "num_heads" in m.params else "nhead"
        ctx.report(
            R.GroupsNotDivisible.finding(
                m.param_node(heads), module=m.name, layer=m.label(), what=what, value=e, groups_name=heads, groups=h,
                hint=f"use a number of heads that divides {e}",
            )
        )
        m.invalid = True


def build(m: ModuleValue, new_layer) -> None:
    """Create the child modules torch creates in __init__, with torch's names.

    `new_layer(kind, node, **params)` makes a torch layer the way the interpreter makes
    any other (defaults filled in from its table entry)."""
    p = m.params
    if m.kind == "Transformer":
        _build_transformer(m, new_layer)
    elif m.kind in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        d, ff, drop, eps, bias = p["d_model"], p["dim_feedforward"], p["dropout"], p["layer_norm_eps"], p["bias"]
        node = m.node
        attn = dict(embed_dim=d, num_heads=p["nhead"], dropout=drop, bias=bias, batch_first=p["batch_first"])
        m.children["self_attn"] = new_layer("MultiheadAttention", node, **attn)
        if m.kind == "TransformerDecoderLayer":
            m.children["multihead_attn"] = new_layer("MultiheadAttention", node, **attn)
        m.children["linear1"] = new_layer("Linear", node, in_features=d, out_features=ff, bias=bias)
        m.children["dropout"] = new_layer("Dropout", node)
        m.children["linear2"] = new_layer("Linear", node, in_features=ff, out_features=d, bias=bias)
        norms = 3 if m.kind == "TransformerDecoderLayer" else 2
        for i in range(1, norms + 1):
            m.children[f"norm{i}"] = new_layer("LayerNorm", node, normalized_shape=d, eps=eps, bias=bias)
        for i in range(1, norms + 1):
            m.children[f"dropout{i}"] = new_layer("Dropout", node)
    elif m.kind in ("TransformerEncoder", "TransformerDecoder"):
        layer, n = p.get("encoder_layer", p.get("decoder_layer")), p["num_layers"]
        stack = ModuleValue("ModuleList", m.node)
        if isinstance(layer, ModuleValue) and is_known(n) and 0 <= n <= 1000:
            for i in range(n):  # torch deep-copies the layer num_layers times
                stack.children[str(i)] = _copy(layer)
        m.children["layers"] = stack
        if isinstance(p.get("norm"), ModuleValue):
            m.children["norm"] = p["norm"]


def _build_transformer(m: ModuleValue, new_layer) -> None:
    """nn.Transformer: an encoder and a decoder stack, each with a final LayerNorm, unless custom ones are given.
    When nhead does not divide d_model torch's constructor raises: no children (heads_check reports it once)."""
    p, node = m.params, m.node
    d, h = p["d_model"], p["nhead"]
    if is_known(d) and is_known(h) and h > 0 and d % h:
        return
    for part, custom, layer_kind, stack_kind, count in (
        ("encoder", "custom_encoder", "TransformerEncoderLayer", "TransformerEncoder", "num_encoder_layers"),
        ("decoder", "custom_decoder", "TransformerDecoderLayer", "TransformerDecoder", "num_decoder_layers"),
    ):
        if isinstance(p[custom], ModuleValue):
            m.children[part] = p[custom]
            continue
        names = [n for n, _ in BLOCK]
        layer = _built(new_layer, layer_kind, node, **{k: p[k] for k in names if k in p})
        norm = new_layer("LayerNorm", node, normalized_shape=d, eps=p["layer_norm_eps"], bias=p["bias"])
        first = "encoder_layer" if part == "encoder" else "decoder_layer"
        m.children[part] = _built(new_layer, stack_kind, node, **{first: layer, "num_layers": p[count], "norm": norm})


def _built(new_layer, kind, node, **params) -> ModuleValue:
    made = new_layer(kind, node, **params)
    build(made, new_layer)
    return made


def _copy(m: ModuleValue) -> ModuleValue:
    c = ModuleValue(m.kind, m.node, spec=m.spec, cls=m.cls)
    c.params, c.param_nodes, c.attrs = dict(m.params), dict(m.param_nodes), dict(m.attrs)
    c.children = {k: (_copy(v) if isinstance(v, ModuleValue) else v) for k, v in m.children.items()}
    return c


def call(vm, m: ModuleValue, args, kwargs, node):
    """Run a block: `vm.call_module` runs each child as the interpreter runs any module."""
    from . import attention_masks as masks_  # imported on first use: most models have no attention
    if m.kind == "MultiheadAttention":
        b = masks_.bound(masks_.ATTENTION_FORWARD, args, kwargs)
        return attention(vm.ctx, m, b.get("query"), b.get("key"), b.get("value"), b, node)
    if m.kind in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        return block(vm, m, args, kwargs, node)
    if m.kind == "Transformer":
        return transformer(vm, m, args, kwargs, node)
    if m.kind in ("TransformerEncoder", "TransformerDecoder"):
        return stack(vm, m, args, kwargs, node)
    return Unknown(m.kind)


def stack(vm, m: ModuleValue, args, kwargs, node):
    """TransformerEncoder/Decoder.forward: each layer in turn, with the stack's masks, then the norm."""
    from . import attention_masks as masks_  # imported on first use: most models have no attention
    encoder = m.kind == "TransformerEncoder"
    b = masks_.bound(masks_.ENCODER_FORWARD if encoder else masks_.DECODER_FORWARD, args, kwargs)
    x, memory = b.get("src" if encoder else "tgt"), b.get("memory")
    own, cross = masks_.self_and_cross_masks(m.kind, b)
    layer_kind = "TransformerEncoderLayer" if encoder else "TransformerDecoderLayer"
    for layer in m.children["layers"].children.values():
        extra = [] if encoder else [memory]
        given = masks_.layer_kwargs(layer_kind, own, cross) if masks_.runs_torch_forward(layer, layer_kind) else {}
        x = vm.call_module(layer, [x] + extra, given, node)
    norm = m.children.get("norm")
    if isinstance(norm, ModuleValue):
        x = vm.call_module(norm, [x], {}, node)
    return x


def _feature_check(ctx, m, x: Tensor, expected, param: str, of: str = "", also: str = "") -> bool:
    """x's last dim must be `expected`; `of` names an input that is not the layer's main one
    (a decoder's memory): the fix is then that input's width, not the layer's argument. `also`
    names a second argument that reads the same tensor with the same number (vdim, when the key
    is the value): one defect, one finding that sets both."""
    if x.shape is None or not x.shape:
        return True
    last = x.shape[-1]
    if is_known(expected) and ctx.check_equal(last, expected, f"{m.label()} {param}") == "bad":
        shown = ctx.show(last)
        fixes = dict(hint=f"make {of} {expected} wide", edits=(), fix=None) if of else dict(
            hint=f"use {param}={shown}", edits=param_edit(m, param, last), fix=f"Set {param}={shown}")
        if also:
            fixes = dict(hint=f"use {param}={shown} and {also}={shown}", edits=param_edit(m, param, last) + param_edit(m, also, last),
                         fix=f"Set {param}={shown} and {also}={shown}")
        f = R.InFeaturesMismatch.finding(
            m.param_node(param), module=m.name, layer=m.label(), expected=expected, param=f"{param} and {also}" if also else param,
            actual=shown, origin=origin_parts(x, len(x.shape) - 1), **fixes,
        )
        if also:
            f.related.append(Related(f"{m.label()} {also} is {expected} too, for the same tensor", m.param_node(also)))
        ctx.report(f)
        return False
    return True


def _key_value_check(ctx, m, k: Tensor, v: Tensor, kdim, vdim) -> bool:
    """The key's and the value's widths. `attn(x, memory, memory)` with `kdim=2 * hid, vdim=2 * hid`:
    one tensor, one number, one defect (torch raises at the key): one finding with both edits,
    unless an argument came from a call (engine/callsite.py places such a finding on its own)."""
    kp = "kdim" if m.params.get("kdim") else "embed_dim"
    vp = "vdim" if m.params.get("vdim") else "embed_dim"
    passed = set(getattr(m, "call_args", None) or {})
    if k is v and (kp, vp) == ("kdim", "vdim") and _same_number(kdim, vdim) and not passed & {"kdim", "vdim"}:
        return _feature_check(ctx, m, k, kdim, kp, also=vp)
    ok = _feature_check(ctx, m, k, kdim, kp)
    return _feature_check(ctx, m, v, vdim, vp) and ok


def _same_number(a, b) -> bool:
    return isinstance(a, int) and not isinstance(a, bool) and type(a) is type(b) and a == b


def attention(ctx, m, q, k, v, kwargs, node=None):
    """nn.MultiheadAttention.forward; `kwargs` binds every argument after value by name."""
    from . import attention_masks as masks_  # imported on first use: most models have no attention
    from .attention_masks import AttentionCall, MaskSet
    if m.invalid or not all(isinstance(t, Tensor) and t.shape is not None for t in (q, k, v)):
        return Unknown("attention inputs")
    e, h = m.params["embed_dim"], m.params["num_heads"]
    if not (is_known(e) and is_known(h)):
        return _symbolic_attention(m, q, k, v, kwargs)
    if len(q.shape) not in (2, 3) or len(k.shape) != len(q.shape) or len(v.shape) != len(q.shape):
        return Unknown("attention ranks")  # torch raises; not modelled as a rule yet
    ok = _feature_check(ctx, m, q, e, "embed_dim")
    kdim = m.params.get("kdim") or e
    vdim = m.params.get("vdim") or e
    ok = _key_value_check(ctx, m, k, v, kdim, vdim) and ok
    if not ok:
        return Unknown("attention features")
    batched = len(q.shape) == 3
    bf = m.params.get("batch_first") is True
    seq = 1 if (batched and bf) else 0
    masks = MaskSet(masks_.named(kwargs.get("attn_mask"), "attn_mask"), masks_.named(kwargs.get("key_padding_mask"), "key_padding_mask"),
                    kwargs.get("is_causal", False))
    judged, n, _ = masks_.batch_of(q, m.params.get("batch_first"))
    geometry = AttentionCall(n, h, q.shape[seq], k.shape[seq], kwargs.get("need_weights", True),
                             masks_.fused_attention_possible(m, q, k, v, masks))
    if node is not None and judged and not masks_.masks_fit(ctx, m, node, masks, geometry):
        return Unknown("attention masks")
    out = Tensor(q.shape[:-1] + (e,), q.prov[:-1] + (made_by(m, f"embed_dim={e}"),))
    need = kwargs.get("need_weights", True)
    average = kwargs.get("average_attn_weights", True)
    if need is False:
        return (out, None)
    if not isinstance(need, bool) or not isinstance(average, bool):
        return (out, Unknown("attention weights"))
    L_, S = q.shape[seq], k.shape[seq]
    if batched:
        n = q.shape[0] if bf else q.shape[1]
        weights = (n, L_, S) if average else (n, h, L_, S)
    else:
        weights = (L_, S) if average else (h, L_, S)
    return (out, Tensor(weights))


def transformer(vm, m, args, kwargs, node):
    """nn.Transformer.forward: torch checks the batch sizes of src and tgt and their widths, then
    memory = encoder(src), output = decoder(tgt, memory). Each part checks the masks it is given."""
    from . import attention_masks as masks_  # imported on first use: most models have no attention
    bound = dict(zip(TRANSFORMER_FORWARD, args), **kwargs)
    src, tgt = bound.get("src"), bound.get("tgt")
    if m.invalid or "encoder" not in m.children or not all(isinstance(t, Tensor) and t.shape is not None for t in (src, tgt)):
        return Unknown("transformer inputs")
    if len(src.shape) not in (2, 3) or len(tgt.shape) != len(src.shape):
        return Unknown("transformer ranks")
    d = m.params["d_model"]
    ok = _feature_check(vm.ctx, m, src, d, "d_model")
    ok = _feature_check(vm.ctx, m, tgt, d, "d_model", of="tgt") and ok  # src's width decides the d_model fix
    if len(src.shape) == 3:
        batch = 0 if m.params.get("batch_first") is True else 1
        a, b = src.shape[batch], tgt.shape[batch]
        if vm.ctx.check_equal(a, b, "the batch number of src and tgt") == "bad":
            vm.ctx.report(R.ShapeMismatch.finding(
                node, module=m.name, op=m.label(),
                detail=f"the batch number of src ({vm.ctx.show(a)}) and tgt ({vm.ctx.show(b)}) must be equal (dim {batch}, "
                       f"batch_first={m.params.get('batch_first')}); give both the same batch size"))
            ok = False
    if not ok:
        return Unknown("transformer inputs")
    enc, dec = masks_.transformer_parts_kwargs(bound)
    encoder, decoder = m.children["encoder"], m.children["decoder"]
    memory = vm.call_module(encoder, [src], enc if masks_.runs_torch_forward(encoder, "TransformerEncoder") else {}, node)
    return vm.call_module(decoder, [tgt, memory], dec if masks_.runs_torch_forward(decoder, "TransformerDecoder") else {}, node)


def square_subsequent_mask(ctx, site, args, kwargs):
    """nn.Transformer.generate_square_subsequent_mask(sz): a float (sz, sz) mask (0 and -inf)."""
    sz = args[0] if args else kwargs.get("sz")
    if not ((is_known(sz) and sz >= 0) or (isinstance(sz, Expr) and not sz.is_opaque())):
        return Unknown("mask size")
    dtype = kwargs.get("dtype")
    named = TORCH_DTYPES.get(getattr(dtype, "qualname", None)) if dtype is not None else "float"
    return Tensor((sz, sz), dtype=named)


STATIC_METHODS = {"Transformer.generate_square_subsequent_mask": square_subsequent_mask}


def block(vm, m, args, kwargs, node):
    from . import attention_masks as masks_  # imported on first use: most models have no attention
    encoder = m.kind == "TransformerEncoderLayer"
    b = masks_.bound(masks_.ENCODER_LAYER_FORWARD if encoder else masks_.DECODER_LAYER_FORWARD, args, kwargs)
    x = b.get("src" if encoder else "tgt")
    if m.invalid or not isinstance(x, Tensor) or x.shape is None:
        return Unknown("block input")
    if len(x.shape) not in (2, 3) or not _feature_check(vm.ctx, m, x, m.params["d_model"], "d_model"):
        return Unknown("block input")
    memory = None if encoder else b.get("memory")
    if memory is not None and isinstance(memory, Tensor) and not _feature_check(vm.ctx, m, memory, m.params["d_model"], "d_model", of="memory"):
        return Unknown("block memory")
    own, cross = masks_.self_and_cross_masks(m.kind, b)
    if not masks_.block_masks_fit(vm.ctx, m, node, x, memory, own, cross):
        return Unknown("block masks")
    kids = m.children
    call = vm.call_module

    def add(a, b):
        return Tensor(a.shape, a.prov) if isinstance(a, Tensor) and isinstance(b, Tensor) else Unknown("residual")

    def self_attn(t):
        r = call(kids["self_attn"], [t, t, t], {"need_weights": False}, node)
        return call(kids["dropout1"], [r[0] if isinstance(r, tuple) else r], {}, node)

    def cross_attn(t):
        r = call(kids["multihead_attn"], [t, memory, memory], {"need_weights": False}, node)
        return call(kids["dropout2"], [r[0] if isinstance(r, tuple) else r], {}, node)

    def feed_forward(t):
        t = call(kids["linear1"], [t], {}, node)
        t = call(kids["dropout"], [t], {}, node)
        t = call(kids["linear2"], [t], {}, node)
        last = "dropout3" if m.kind == "TransformerDecoderLayer" else "dropout2"
        return call(kids[last], [t], {}, node)

    norm_ff = "norm3" if m.kind == "TransformerDecoderLayer" else "norm2"
    if m.params.get("norm_first") is True:
        x = add(x, self_attn(call(kids["norm1"], [x], {}, node)))
        if m.kind == "TransformerDecoderLayer":
            x = add(x, cross_attn(call(kids["norm2"], [x], {}, node)))
        x = add(x, feed_forward(call(kids[norm_ff], [x], {}, node)))
    else:
        x = call(kids["norm1"], [add(x, self_attn(x))], {}, node)
        if m.kind == "TransformerDecoderLayer":
            x = call(kids["norm2"], [add(x, cross_attn(x))], {}, node)
        x = call(kids[norm_ff], [add(x, feed_forward(x))], {}, node)
    return x


BLOCKS: Dict[str, LayerSpec] = {
    "MultiheadAttention": LayerSpec("MultiheadAttention", ATTENTION, check=heads_check, build=build, call=call),
    "TransformerEncoderLayer": LayerSpec("TransformerEncoderLayer", BLOCK, check=heads_check, build=build, call=call),
    "TransformerDecoderLayer": LayerSpec("TransformerDecoderLayer", BLOCK, check=heads_check, build=build, call=call),
    "TransformerEncoder": LayerSpec("TransformerEncoder", ENCODER, build=build, call=call),
    "TransformerDecoder": LayerSpec("TransformerDecoder", DECODER, build=build, call=call),
    "Transformer": LayerSpec("Transformer", TRANSFORMER, check=heads_check, build=build, call=call),
}


def _symbolic_attention(m, q, k, v, kwargs):
    """nn.MultiheadAttention(dim, heads) with sizes that are symbols of the class's constructor
    arguments (engine/symbolic_init.py): where torch runs, the output is (..., embed_dim). Only
    the plain call: the query, key and value each as wide as embed_dim (kdim and vdim unset), no
    mask, the weights averaged over heads; anything else stays unknown."""
    e = m.params["embed_dim"]
    plain = not m.params.get("kdim") and not m.params.get("vdim") and not m.params.get("add_bias_kv") \
        and not m.params.get("add_zero_attn") and isinstance(m.params.get("batch_first"), bool)
    masks = any(kwargs.get(n) is not None for n in ("attn_mask", "key_padding_mask")) or kwargs.get("is_causal", False) is not False
    if not plain or masks or not isinstance(e, Expr) or e.is_opaque():
        return Unknown("attention arguments")
    seq, batch = (1, 0) if m.params["batch_first"] else (0, 1)
    if len(q.shape) != 3 or len(k.shape) != 3 or len(v.shape) != 3 or any(t.shape[-1] != e for t in (q, k, v)) \
            or k.shape != v.shape or q.shape[batch] != k.shape[batch]:
        return Unknown("attention arguments")  # torch may raise: not decided here
    out = Tensor(q.shape[:-1] + (e,), q.prov[:-1] + (made_by(m, f"embed_dim={e}"),))
    need, average = kwargs.get("need_weights", True), kwargs.get("average_attn_weights", True)
    if need is False:
        return (out, None)
    if need is not True or average is not True:
        return (out, Unknown("attention weights"))
    return (out, Tensor((q.shape[batch], q.shape[seq], k.shape[seq])))
