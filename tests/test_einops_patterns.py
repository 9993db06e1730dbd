"""einops patterns, pattern by pattern, against the real einops package (issue 11 point 2).

TABLE is the spec the engine implements against: each row is an einops call (function,
pattern, axis sizes, input shapes) and the result written by hand: the output shape,
the shapes `unpack` returns, or a failure with words einops' message contains.
- test_table_is_einops: real einops agrees with every row (so the table is right);
- test_shapelint_never_contradicts_einops: a shapelint probe of each row never shows a
  shape other than einops', nor an error where einops runs (holds today: unknown);
- test_shapelint_matches_einops: the probe's output shape is known and equal, and a
  failing row is an error on the call's line (shapelint.torch.einops_patterns); a probe
  in GAPS is a strict xfail (a to-do list: remove its id when it passes).
Probes are small model files generated at test time and linted through the CLI, in both
forms a model uses: the function in forward, and (rearrange, reduce) the layer.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import pytest
import torch

from conftest import ROOT, run_cli

einops = pytest.importorskip("einops")  # a test dependency (pyproject's `test` extra)


@dataclass(frozen=True)
class Fails:
    """einops (or torch under pack) raises, with these words in its message."""

    words: str


@dataclass(frozen=True)
class Row:
    id: str
    op: str  # rearrange | repeat | reduce | pack | unpack
    pattern: str
    inputs: Tuple[tuple, ...]  # the tensor's shape; pack: one per tensor packed
    expected: object  # a shape, unpack's list of shapes, or Fails
    sizes: Dict[str, int] = field(default_factory=dict)
    reduction: Optional[str] = None  # reduce
    packed_shapes: Optional[tuple] = None  # unpack's second argument


TABLE = [
    # rearrange: transpose, merge, split, patches, heads, ellipsis, unit axes
    Row("transpose", "rearrange", "b c h w -> b h w c", ((2, 3, 4, 5),), (2, 4, 5, 3)),
    Row("flatten", "rearrange", "b c h w -> b (c h w)", ((2, 3, 4, 5),), (2, 60)),
    Row("vit-patches", "rearrange", "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", ((2, 3, 32, 32),), (2, 16, 192),
        sizes={"p1": 8, "p2": 8}),
    Row("vit-patches-cfirst", "rearrange", "b c (h p1) (w p2) -> b (h w) (c p1 p2)", ((2, 1, 16, 16),), (2, 16, 16),
        sizes={"p1": 4, "p2": 4}),
    Row("conv-tokens", "rearrange", "b e h w -> b (h w) e", ((2, 48, 4, 4),), (2, 16, 48)),
    Row("split-heads", "rearrange", "b n (h d) -> b h n d", ((2, 17, 32),), (2, 4, 17, 8), sizes={"h": 4}),
    Row("merge-heads", "rearrange", "b h n d -> b n (h d)", ((2, 4, 17, 8),), (2, 17, 32)),
    Row("fused-qkv", "rearrange", "b n (qkv h d) -> qkv b h n d", ((2, 5, 96),), (3, 2, 4, 5, 8),
        sizes={"qkv": 3, "h": 4}),
    Row("time-broadcast", "rearrange", "b c -> b c 1 1", ((2, 32),), (2, 32, 1, 1)),
    Row("unet-attn-heads", "rearrange", "b (h c) x y -> b h c (x y)", ((2, 16, 4, 4),), (2, 2, 8, 16), sizes={"h": 2}),
    Row("space-to-depth", "rearrange", "b c (h p1) (w p2) -> b (c p1 p2) h w", ((2, 8, 8, 8),), (2, 32, 4, 4),
        sizes={"p1": 2, "p2": 2}),
    Row("token-mixing", "rearrange", "b n d -> b d n", ((2, 16, 32),), (2, 32, 16)),
    Row("video-unfold", "rearrange", "(b f) c h w -> b c f h w", ((6, 3, 4, 4),), (2, 3, 3, 4, 4), sizes={"b": 2}),
    Row("ellipsis-merge", "rearrange", "b ... d -> b (...) d", ((2, 3, 4, 5),), (2, 12, 5)),
    Row("ellipsis-one-dim", "rearrange", "b ... d -> b (...) d", ((2, 4, 5),), (2, 4, 5)),
    Row("ellipsis-split", "rearrange", "... (h d) -> ... h d", ((2, 7, 12),), (2, 7, 3, 4), sizes={"h": 3}),
    Row("drop-unit-axis", "rearrange", "b 1 d -> b d", ((2, 1, 8),), (2, 8)),
    Row("checked-size", "rearrange", "b c h w -> b h w c", ((2, 3, 4, 5),), (2, 4, 5, 3), sizes={"c": 3}),
    Row("wrong-rank", "rearrange", "(b f) c h w -> b c f h w", ((2, 320, 16, 64, 64),),
        Fails("expected 4 dims. Received 5-dim"), sizes={"b": 2}),
    Row("rank-too-low", "rearrange", "b c h w -> b (c h w)", ((2, 4, 5),), Fails("expected 4 dims. Received 3-dim")),
    Row("patch-not-dividing", "rearrange", "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", ((2, 3, 30, 30),),
        Fails("can't divide axis of length 30 in chunks of 8"), sizes={"p1": 8, "p2": 8}),
    Row("heads-not-dividing", "rearrange", "b n (h d) -> b h n d", ((2, 17, 30),),
        Fails("can't divide axis of length 30 in chunks of 4"), sizes={"h": 4}),
    Row("dropped-axis", "rearrange", "b c h w -> b c h", ((2, 3, 4, 5),), Fails("Identifiers only on one side")),
    Row("composite-mismatch", "rearrange", "(b f) c -> b f c", ((6, 3),), Fails("6 != 8"), sizes={"b": 2, "f": 4}),
    Row("size-contradicts", "rearrange", "b c h w -> b h w c", ((2, 3, 4, 5),), Fails("3 != 4"), sizes={"c": 4}),
    # repeat: class tokens, broadcast over a new batch, upsampling, widening
    Row("cls-token", "repeat", "1 1 d -> b 1 d", ((1, 1, 32),), (2, 1, 32), sizes={"b": 2}),
    Row("cls-token-parens", "repeat", "() n e -> b n e", ((1, 1, 48),), (3, 1, 48), sizes={"b": 3}),
    Row("vector-to-batch", "repeat", "d -> b d", ((24,),), (2, 24), sizes={"b": 2}),
    Row("pos-to-batch", "repeat", "n d -> b n d", ((17, 24),), (2, 17, 24), sizes={"b": 2}),
    Row("nearest-upsample", "repeat", "b c h w -> b c (h h2) (w w2)", ((2, 3, 4, 4),), (2, 3, 8, 8),
        sizes={"h2": 2, "w2": 2}),
    Row("widen", "repeat", "b n d -> b n (r d)", ((2, 5, 8),), (2, 5, 24), sizes={"r": 3}),
    Row("new-axis-unsized", "repeat", "1 1 d -> b 1 d", ((1, 1, 32),), Fails("Specify sizes for new axes")),
    Row("unit-axis-not-1", "repeat", "1 1 d -> b 1 d", ((2, 1, 32),), Fails("2 != 1"), sizes={"b": 4}),
    # reduce: pooling over tokens and space, keeping unit axes, a composite batch
    Row("token-mean", "reduce", "b n d -> b d", ((2, 17, 32),), (2, 32), reduction="mean"),
    Row("max-pool-2x2", "reduce", "b c (h h2) (w w2) -> b c h w", ((2, 3, 8, 8),), (2, 3, 4, 4),
        sizes={"h2": 2, "w2": 2}, reduction="max"),
    Row("global-avg", "reduce", "b c h w -> b c", ((2, 16, 4, 4),), (2, 16), reduction="mean"),
    Row("global-avg-keep", "reduce", "b c h w -> b c 1 1", ((2, 16, 4, 4),), (2, 16, 1, 1), reduction="mean"),
    Row("sum-keep-parens", "reduce", "b n d -> b () d", ((2, 17, 32),), (2, 1, 32), reduction="sum"),
    Row("time-batch-mean", "reduce", "(t b) c -> b c", ((12, 4),), (4, 4), sizes={"t": 3}, reduction="mean"),
    Row("pool-not-dividing", "reduce", "b c (h h2) (w w2) -> b c h w", ((2, 3, 9, 9),),
        Fails("can't divide axis of length 9 in chunks of 2"), sizes={"h2": 2, "w2": 2}, reduction="max"),
    # pack / unpack: a class token in front of the patches, flattening mixed ranks
    Row("pack-cls", "pack", "b * d", ((2, 1, 32), (2, 16, 32)), (2, 17, 32)),
    Row("pack-vector-and-seq", "pack", "b * d", ((2, 32), (2, 16, 32)), (2, 17, 32)),
    Row("pack-flatten-all", "pack", "b *", ((2, 3, 4, 5), (2, 6)), (2, 66)),
    Row("pack-width-mismatch", "pack", "b * d", ((2, 1, 32), (2, 16, 24)), Fails("Expected size 32 but got size 24")),
    Row("unpack-cls", "unpack", "b * d", ((2, 17, 32),), [(2, 1, 32), (2, 16, 32)], packed_shapes=((1,), (16,))),
    Row("unpack-vector", "unpack", "b * d", ((2, 17, 32),), [(2, 32), (2, 16, 32)], packed_shapes=((), (16,))),
    Row("unpack-mixed-ranks", "unpack", "b *", ((2, 66),), [(2, 3, 4, 5), (2, 6)], packed_shapes=((3, 4, 5), (6,))),
    Row("unpack-wrong-split", "unpack", "b * d", ((2, 17, 32),), Fails("could not split axis of size 17"),
        packed_shapes=((1,), (15,))),
]

# probe ids (row id and form) shapelint does not agree with einops on yet
GAPS: set = set()
LAYERS = {"rearrange": "Rearrange", "reduce": "Reduce"}


def _call_args(row: Row) -> str:
    args = [repr(row.pattern)]
    if row.op == "reduce":
        args.append(repr(row.reduction))
    args += [f"{k}={v}" for k, v in row.sizes.items()]
    return ", ".join(args)


def run_einops(row: Row):
    """The row's result with real einops and torch: a shape, a list of shapes, or Fails(message)."""
    tensors = [torch.zeros(*s) for s in row.inputs]
    try:
        if row.op == "pack":
            packed, _ps = einops.pack(tensors, row.pattern)
            return tuple(packed.shape)
        if row.op == "unpack":
            return [tuple(t.shape) for t in einops.unpack(tensors[0], [list(s) for s in row.packed_shapes], row.pattern)]
        fn = getattr(einops, row.op)
        kwargs = dict(row.sizes)
        if row.op == "reduce":
            return tuple(fn(tensors[0], row.pattern, row.reduction, **kwargs).shape)
        return tuple(fn(tensors[0], row.pattern, **kwargs).shape)
    except Exception as e:  # einops.EinopsError, or torch's error under pack
        return Fails(str(e))


@pytest.mark.parametrize("row", TABLE, ids=[r.id for r in TABLE])
def test_table_is_einops(row):
    got = run_einops(row)
    if isinstance(row.expected, Fails):
        assert isinstance(got, Fails), f"einops runs: {got}"
        assert row.expected.words in got.words, got.words
    else:
        assert got == row.expected


def test_table_covers_every_function_with_failures():
    for op in ("rearrange", "repeat", "reduce", "pack", "unpack"):
        rows = [r for r in TABLE if r.op == op]
        assert len(rows) >= 4 and any(isinstance(r.expected, Fails) for r in rows), op
    assert len({r.id for r in TABLE}) == len(TABLE)


# ---------------------------------------------------------------- shapelint probes

@dataclass(frozen=True)
class Probe:
    id: str
    row: Row
    form: str  # "function" | "layer"
    piece: int  # unpack: which returned tensor the probe returns
    expected: object  # a shape or Fails
    source: str
    call_lines: frozenset  # where an error belongs: the call in forward, and a layer's construction


def _probe_source(row: Row, form: str, piece: int) -> Tuple[str, frozenset]:
    """A model whose forward applies the row to its declared input; (source, lines of the einops call)."""
    first = ", ".join(map(str, row.inputs[0])) + ("," if len(row.inputs[0]) == 1 else "")
    head = [
        "import torch",
        "import torch.nn as nn",
        f"from einops import {row.op}",
        "from einops.layers.torch import Rearrange, Reduce",
        "",
        "",
        f"class Probe(nn.Module):  # shapelint: input=({first})",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    if form == "layer":
        head.append(f"        self.op = {LAYERS[row.op]}({_call_args(row)})")
    head += ["", "    def forward(self, x):"]
    if form == "layer":
        body = ["        return self.op(x)"]
    elif row.op == "pack":
        others = ", ".join(f"torch.zeros({', '.join(map(str, s))})" for s in row.inputs[1:])
        body = [f"        packed, ps = pack([x, {others}], {row.pattern!r})", "        return packed"]
    elif row.op == "unpack":
        ps = ", ".join(f"[{', '.join(map(str, s))}]" for s in row.packed_shapes)
        body = [f"        parts = unpack(x, [{ps}], {row.pattern!r})", f"        return parts[{piece}]"]
    else:
        body = [f"        return {row.op}(x, {_call_args(row)})"]
    lines = {len(head) + 1}
    if form == "layer":
        lines.add(next(i for i, h in enumerate(head, 1) if "self.op =" in h))
    return "\n".join(head + body) + "\n", frozenset(lines)


def probes():
    out = []
    for row in TABLE:
        forms = ["function"] + (["layer"] if row.op in LAYERS else [])
        pieces = range(len(row.expected)) if isinstance(row.expected, list) else [0]
        for form in forms:
            for piece in pieces:
                expected = row.expected[piece] if isinstance(row.expected, list) else row.expected
                pid = f"{row.id}-{form}" + (f"-{piece}" if isinstance(row.expected, list) else "")
                source, lines = _probe_source(row, form, piece)
                out.append(Probe(pid, row, form, piece, expected, source, lines))
    return out


PROBES = probes()


@functools.lru_cache(maxsize=None)
def linted() -> Dict[str, dict]:
    """Probe id -> {"errors": [...], "output": ...}: one CLI run over every probe file."""
    work = tempfile.mkdtemp(prefix="shapelint-einops-")
    paths = {}
    for p in PROBES:
        path = os.path.join(work, f"probe_{p.id.replace('-', '_')}.py")
        with open(path, "w") as f:
            f.write(p.source)
        paths[os.path.normpath(path)] = p.id
    proc = run_cli("--explain", "--format", "json", *paths)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    out = {pid: {"errors": [], "output": None} for pid in paths.values()}
    for d in report["diagnostics"]:
        if d["severity"] == "error":
            out[paths[os.path.normpath(os.path.join(ROOT, d["path"]))]]["errors"].append(d)
    for m in report["models"]:
        if m["class"] == "Probe":
            out[paths[os.path.normpath(os.path.join(ROOT, m["path"]))]]["output"] = m.get("output")
    return out


def test_probes_run_in_torch_as_the_table_says():
    """Each generated probe, run with torch, gives the row's shape or fails: the probes test the rows."""
    from torch_oracle import declared_targets, run_declared

    for p in PROBES:
        outcome = run_declared(p.source, "Probe", declared_targets(p.source)["Probe"], filename=f"<{p.id}>")
        if isinstance(p.expected, Fails):
            assert outcome.verdict == "crash", (p.id, outcome.output)
        else:
            assert (outcome.error, outcome.output) == ("", list(p.expected)), p.id


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_shapelint_never_contradicts_einops(probe):
    got = linted()[probe.id]
    if isinstance(probe.expected, Fails):
        return_shape = got["output"]
        assert return_shape is None or not all(isinstance(d, int) for d in return_shape), \
            f"einops fails ({probe.expected.words}) but shapelint shows {return_shape}"
        return
    assert got["errors"] == [], [(e["line"], e["code"], e["message"]) for e in got["errors"]]
    out = got["output"]
    if out is not None and all(isinstance(d, int) for d in out):
        assert out == list(probe.expected)


@pytest.mark.parametrize("probe", [
    pytest.param(p, id=p.id, marks=[] if p.id not in GAPS else [
        pytest.mark.xfail(strict=True, reason="issue 11 point 2: not followed yet")])
    for p in PROBES])
def test_shapelint_matches_einops(probe):
    got = linted()[probe.id]
    if isinstance(probe.expected, Fails):
        assert probe.call_lines & {e["line"] for e in got["errors"]}, got["errors"]
    else:
        assert got["errors"] == [] and got["output"] == list(probe.expected), got
