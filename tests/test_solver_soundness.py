"""The input-size solver never lies: an error means that no input size works.

Random models with two or three pooling/conv heads, each flattened into a Linear, are
checked with nothing declared. The oracle is brute force over every input size in a
range with torch's documented output-size formulas (Conv2d / MaxPool2d / AvgPool2d /
AdaptiveAvgPool2d docs; pooling_output_shape for ceil_mode), which the first test checks
against real torch; a sample of the generated models also runs in real torch.

- if some size in the range runs, shapelint reports no error;
- in a model without errors, every size an SHP200 note names runs, and a range of
  sides it names is exactly the square sides that run;
- the census shows that the property is not vacuous: many models are proven
  impossible (errors), many get an SHP200 note.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapelint.engine.check import check_source
from torch_oracle import load

SIDE_RANGE = 2048  # brute force: every height and width in 1..SIDE_RANGE
LENGTH_RANGE = 4096  # one-dimensional models: every length in 1..LENGTH_RANGE


# ---------------------------------------------------------------------------- torch's formulas


@dataclass(frozen=True)
class Layer:
    kind: str  # "conv", "maxpool", "avgpool", "adaptive"
    k: Tuple[int, ...] = ()
    s: Tuple[int, ...] = ()
    p: Tuple[int, ...] = ()
    d: Tuple[int, ...] = ()
    ceil: bool = False
    stride_given: bool = True
    out_ch: int = 0
    out_size: Tuple[int, ...] = ()


def output_sides(layer: Layer, L: np.ndarray, axis: int) -> np.ndarray:
    """The output side torch computes for each input side in L; 0 where torch raises
    (or where L is already 0)."""
    if layer.kind == "adaptive":
        out = np.full_like(L, layer.out_size[axis])
    else:
        k, s, p, d = layer.k[axis], layer.s[axis], layer.p[axis], layer.d[axis]
        eff = d * (k - 1) + 1
        if layer.kind == "conv":
            out = (L + 2 * p - eff) // s + 1
            out[L + 2 * p < eff] = 0  # "Kernel size can't be greater than actual input size"
        else:
            out = (L + 2 * p - eff + (s - 1 if layer.ceil else 0)) // s + 1
            if layer.ceil:  # the last window must start inside the input or the left padding
                out -= (out - 1) * s >= L + p
            out[out < 1] = 0  # "Output size is too small"
    out[L < 1] = 0
    return out


def output_side(layer: Layer, L: int, axis: int) -> Optional[int]:
    side = int(output_sides(layer, np.array([L], dtype=np.int64), axis)[0])
    return side or None


def _tuple_text(t: Tuple[int, ...]) -> str:
    return str(t[0]) if len(set(t)) == 1 else "(" + ", ".join(map(str, t)) + ")"


def layer_source(layer: Layer, cin: int, n: int) -> str:
    if layer.kind == "conv":
        args = f"{cin}, {layer.out_ch}, {_tuple_text(layer.k)}, stride={_tuple_text(layer.s)}, padding={_tuple_text(layer.p)}"
        if set(layer.d) != {1}:
            args += f", dilation={_tuple_text(layer.d)}"
        return f"nn.Conv{n}d({args})"
    if layer.kind == "adaptive":
        return f"nn.AdaptiveAvgPool{n}d({_tuple_text(layer.out_size) if n > 1 else layer.out_size[0]})"
    cls = "MaxPool" if layer.kind == "maxpool" else "AvgPool"
    args = _tuple_text(layer.k)
    if layer.stride_given:
        args += f", stride={_tuple_text(layer.s)}"
    if set(layer.p) != {0}:
        args += f", padding={_tuple_text(layer.p)}"
    if layer.kind == "maxpool" and set(layer.d) != {1}:
        args += f", dilation={_tuple_text(layer.d)}"
    if layer.ceil:
        args += ", ceil_mode=True"
    return f"nn.{cls}{n}d({args})"


# ---------------------------------------------------------------------------- generated models


class Chooser:
    """Choices from hypothesis (`data.draw`) or from a seeded random.Random."""

    def __init__(self, data=None, rng: Optional[random.Random] = None):
        self.data, self.rng = data, rng

    def int(self, lo: int, hi: int) -> int:
        if self.data is not None:
            return self.data.draw(st.integers(lo, hi))
        return self.rng.randint(lo, hi)

    def choice(self, options):
        return options[self.int(0, len(options) - 1)]


@dataclass
class Head:
    layers: List[Layer]
    channels: int  # after the last layer
    in_features: int = 0


@dataclass
class Model:
    n: int  # spatial dimensions
    stem_channels: int
    heads: List[Head]
    source: str = ""
    target_size: Tuple[int, ...] = ()
    perturbed: bool = False
    tables: List[np.ndarray] = field(default_factory=list)  # see side_tables


def _per_axis(ch: Chooser, n: int, pick) -> Tuple[int, ...]:
    first = pick()
    if n == 1 or ch.int(0, 9) < 7:
        return (first,) * n
    return (first,) + tuple(pick() for _ in range(n - 1))


def draw_layer(ch: Chooser, n: int) -> Layer:
    kind = ch.choice(["conv", "conv", "maxpool", "avgpool", "bigpool", "adaptive"])
    if kind == "conv":
        k = _per_axis(ch, n, lambda: ch.choice([1, 2, 3, 3, 5, 7]))
        s = _per_axis(ch, n, lambda: ch.choice([1, 1, 2, 3]))
        p = tuple(ch.int(0, 3) for _ in range(n))
        d = _per_axis(ch, n, lambda: ch.choice([1, 1, 1, 2]))
        return Layer("conv", k, s, p, d, out_ch=ch.int(1, 4))
    if kind == "adaptive":
        return Layer("adaptive", out_size=_per_axis(ch, n, lambda: ch.int(1, 7)))
    if kind == "bigpool":  # the AvgPool2d(64) and AvgPool2d((512, 256))
        k = _per_axis(ch, n, lambda: ch.choice([8, 16, 32, 64, 128, 256, 512]))
        return Layer(ch.choice(["avgpool", "maxpool"]), k, k, (0,) * n, (1,) * n, stride_given=False)
    k = _per_axis(ch, n, lambda: ch.choice([2, 2, 3, 4, 5]))
    stride_given = ch.int(0, 2) > 0
    s = _per_axis(ch, n, lambda: ch.choice([1, 2, 2, 3])) if stride_given else k
    p = tuple(ch.int(0, ki // 2) for ki in k)
    d = _per_axis(ch, n, lambda: ch.choice([1, 1, 1, 2])) if kind == "maxpool" else (1,) * n
    return Layer(kind, k, s, p, d, ceil=ch.int(0, 3) == 0, stride_given=stride_given)


def draw_model(ch: Chooser, n: int = 2) -> Model:
    stem = ch.int(1, 3)
    heads = []
    for _ in range(ch.int(2, 3)):
        layers, c = [], stem
        for _ in range(ch.int(1, 3)):
            layer = draw_layer(ch, n)
            layers.append(layer)
            if layer.kind == "conv":
                c = layer.out_ch
        heads.append(Head(layers, c))
    model = Model(n, stem, heads)
    side_range = SIDE_RANGE if n == 2 else LENGTH_RANGE
    model.tables = side_tables(model, side_range)
    # in_features from a size the model runs at (the first valid side at or above a drawn one)
    target = []
    for table in model.tables:
        want = ch.int(1, 1200)
        valid = [v + 1 for v in np.flatnonzero((table > 0).all(axis=0))]
        target.append(next((v for v in valid if v >= want), valid[-1] if valid else want))
    model.target_size = tuple(target)
    for i, head in enumerate(heads):
        flat = head.channels
        for table, side in zip(model.tables, model.target_size):
            flat *= int(table[i, side - 1])
        head.in_features = max(flat, 1)
    if ch.int(0, 99) < 45:  # a wrong in_features: maybe impossible, maybe fits another size
        head = ch.choice(heads)
        how = ch.int(0, 3)
        if how == 0:
            head.in_features = max(1, head.in_features + ch.choice([-2, -1, 1, 2]))
        elif how == 1:
            head.in_features = max(1, head.in_features + ch.choice([-1, 1]) * head.channels)
        elif how == 2:
            head.in_features *= ch.choice([2, 3, 4])
        else:
            head.in_features = ch.int(1, 5000)
        model.perturbed = True
    model.source = model_source(model)
    return model


def model_source(model: Model) -> str:
    n = model.n
    init = [f"self.stem = nn.Conv{n}d(3, {model.stem_channels}, 1)"]
    fwd = ["x = self.stem(x)"]
    for i, head in enumerate(model.heads):
        c, parts = model.stem_channels, []
        for layer in head.layers:
            parts.append(layer_source(layer, c, n))
            if layer.kind == "conv":
                c = layer.out_ch
        init.append(f"self.head{i} = nn.Sequential({', '.join(parts)})")
        init.append(f"self.fc{i} = nn.Linear({head.in_features}, 10)")
        fwd.append(f"y{i} = self.fc{i}(torch.flatten(self.head{i}(x), 1))")
    fwd.append("return " + " + ".join(f"y{i}" for i in range(len(model.heads))))
    return (
        "import torch\nimport torch.nn as nn\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        + "".join(f"        {line}\n" for line in init)
        + "\n    def forward(self, x):\n"
        + "".join(f"        {line}\n" for line in fwd)
    )


# ---------------------------------------------------------------------------- brute force


def head_sides(head: Head, L: np.ndarray, axis: int) -> np.ndarray:
    for layer in head.layers:
        L = output_sides(layer, L, axis)
    return L


def side_tables(model: Model, side_range: int) -> List[np.ndarray]:
    """Per axis: every head's output side (rows) for every input side 1..side_range
    (columns); 0 where torch raises."""
    sides = np.arange(1, side_range + 1, dtype=np.int64)
    return [np.stack([head_sides(h, sides, axis) for h in model.heads]) for axis in range(model.n)]


def _features(model: Model) -> Tuple[np.ndarray, np.ndarray]:
    return np.array([h.channels for h in model.heads])[:, None], np.array([h.in_features for h in model.heads])[:, None]


def runs(model: Model, size: Tuple[int, ...]) -> bool:
    """torch's formulas: the model runs at this input size."""
    flat = np.array([h.channels for h in model.heads], dtype=object)
    for axis, L in enumerate(size):
        flat = flat * np.array([int(head_sides(h, np.array([L], dtype=np.int64), axis)[0]) for h in model.heads], dtype=object)
    return all(int(f) == h.in_features for f, h in zip(flat, model.heads))


def square_sides_that_run(model: Model, side_range: int) -> List[int]:
    tables = model.tables if model.tables and model.tables[0].shape[1] == side_range else side_tables(model, side_range)
    channels, wanted = _features(model)
    flat = channels.astype(object)
    for table in tables:
        flat = flat * table.astype(object)
    return [v + 1 for v in np.flatnonzero((flat == wanted).all(axis=0))]


def sizes_that_run(model: Model) -> List[Tuple[int, ...]]:
    """Input sizes in the range that run, by brute force: for one axis directly; for two,
    the heights are grouped by the output sides they give every head, and each group
    needs exactly one grouping of widths (in_features / (channels * height side))."""
    channels, wanted = _features(model)
    if model.n == 1:
        ok = (channels * model.tables[0] == wanted).all(axis=0)
        return [(v + 1,) for v in np.flatnonzero(ok)]
    heights, widths = model.tables
    by_width: Dict[tuple, List[int]] = {}
    for W, sig in enumerate(widths.T.tolist(), 1):
        if 0 not in sig:
            by_width.setdefault(tuple(sig), []).append(W)
    out = []
    seen = set()
    for H, sig in enumerate(heights.T.tolist(), 1):
        if 0 in sig or tuple(sig) in seen:
            continue
        seen.add(tuple(sig))
        need = []
        for h, side in zip(model.heads, sig):
            q, r = divmod(h.in_features, h.channels * side)
            if r:
                break
            need.append(q)
        else:
            for W in by_width.get(tuple(need), ())[:1]:
                out.append((H, W))
    return out


# ---------------------------------------------------------------------------- the property


@dataclass
class Outcome:
    errors: List[str]
    notes: List[str]
    working: List[Tuple[int, ...]]


def check_model(model: Model) -> Outcome:
    findings = check_source("generated.py", model.source).findings
    errors = [f"{f.code}: {f.message}" for f in findings if f.severity == "error"]
    notes = [f.message for f in findings if f.code == "SHP200"]
    working = sizes_that_run(model)
    if working:
        assert not errors, f"torch runs at {working[0]} but shapelint says {errors}\n{model.source}"
    if not errors:  # with an error, a note describes what the other requirements allow
        for note in notes:
            check_note(model, note)
    return Outcome(errors, notes, working)


def check_note(model: Model, note: str) -> None:
    """What an SHP200 note says, checked by brute force.

    A note reads the requirements shapelint could follow, named after "from": here the
    Linears of some heads (a head with a layer it cannot express symbolically, such as a
    padded ceil_mode pool, adds none). So the sizes the whole model runs at must all be
    allowed ("only accepts"), and every size the note allows or names must run the named
    heads; when every head is named, the note is exact.
    """
    named = [int(i) for i in re.findall(r"\bfc(\d+) in_features", note)]
    assert named, note
    part = Model(model.n, model.stem_channels, [model.heads[i] for i in named])
    for size in re.findall(r"\d+(?:x\d+)+", note):
        dims = tuple(int(v) for v in size.split("x"))
        assert runs(part, dims), f"the note names {size}, which torch rejects: {note}\n{model.source}"
    side_range = SIDE_RANGE if model.n == 2 else LENGTH_RANGE
    if model.n == 1:
        m = re.search(r"\bL in (\d+)(?:\.\.(\d+))?(?: |$|\))", note)
        listed = [int(v) for v in re.findall(r"\d+", note.split("(from")[0])]
    else:
        m = re.search(r"sides (\d+)\.\.(\d+) \(", note) or re.search(r"accepts (\d+)()x\1 inputs", note)
        braces = re.search(r"sides \{([^}]*)\}", note)
        listed = [int(v) for v in re.findall(r"\d+", braces.group(1))] if braces else []
    for side in listed:
        assert runs(part, (side,) * model.n), f"the note names side {side}, which torch rejects: {note}\n{model.source}"
    whole = set(square_sides_that_run(model, side_range))
    if m:  # "only accepts sides a..b": no other square runs, and these run the named heads
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        allowed = set(range(lo, min(hi, side_range) + 1))
        assert whole <= allowed, f"{note}: torch also runs squares {sorted(whole - allowed)[:5]}\n{model.source}"
        assert allowed <= set(square_sides_that_run(part, side_range)), f"{note}\n{model.source}"
        if len(named) == len(model.heads):
            assert whole == allowed, note
    if "no square size" in note:
        assert not whole, note


@settings(max_examples=250, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_no_error_when_some_input_size_runs(data):
    check_model(draw_model(Chooser(data=data)))


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_one_dimensional_heads_no_error_when_some_length_runs(data):
    check_model(draw_model(Chooser(data=data), n=1))


# ---------------------------------------------------------------------------- the census


def test_census_errors_are_proofs_and_notes_name_sizes_that_run():
    """Seeded models: the same property, plus counts that show it bites, and real torch
    on a sample: the smallest working size runs; a model shapelint rejects (which by
    brute force runs at no size in the range) fails at sizes near its target."""
    rng = random.Random(15)
    counts = dict(models=0, runnable=0, errors=0, notes=0, impossible=0, torch_runs=0, torch_fails=0)
    for _ in range(160):
        model = draw_model(Chooser(rng=rng), n=2)
        outcome = check_model(model)
        counts["models"] += 1
        counts["runnable"] += bool(outcome.working)
        counts["impossible"] += not outcome.working
        counts["errors"] += bool(outcome.errors)
        counts["notes"] += bool(outcome.notes)
        smallest = min(outcome.working, key=lambda hw: hw[0] * hw[1], default=None)
        if smallest and smallest[0] * smallest[1] <= 512 * 512 and counts["torch_runs"] < 10:
            with torch.no_grad():
                load(model.source).Net()(torch.zeros(1, 3, *smallest))
            counts["torch_runs"] += 1
        elif outcome.errors and counts["torch_fails"] < 5:
            net = load(model.source).Net()
            H0, W0 = (min(v, 700) for v in model.target_size)
            for H, W in {(H0, W0), (H0 + 1, W0), (H0, W0 + 3), (max(H0 // 2, 1), W0)}:
                with pytest.raises(RuntimeError), torch.no_grad():
                    net(torch.zeros(1, 3, H, W))
            counts["torch_fails"] += 1
    assert counts["errors"] >= 40, counts  # impossible models are caught, not all waved through
    assert counts["notes"] >= 80, counts
    assert counts["errors"] <= counts["impossible"], counts
    assert counts["torch_runs"] == 10 and counts["torch_fails"] == 5, counts


# ---------------------------------------------------------------------------- the formulas vs torch


def test_output_side_formulas_match_torch():
    rng = random.Random(3)
    checked = {"conv": 0, "maxpool": 0, "avgpool": 0, "adaptive": 0}
    raised = 0
    for _ in range(400):
        layer = draw_layer(Chooser(rng=rng), 2)
        H, W = rng.randint(1, 40), rng.randint(1, 40)
        if layer.kind in ("avgpool", "maxpool") and max(layer.k) >= 8:
            H, W = rng.randint(layer.k[0] // 2, 3 * layer.k[0]), rng.randint(layer.k[1] // 2, 3 * layer.k[1])
        module = eval(layer_source(layer, 1, 2), {"nn": torch.nn})  # our own generated constructor text
        want = (output_side(layer, H, 0), output_side(layer, W, 1))
        try:
            with torch.no_grad():
                got = tuple(module(torch.zeros(1, 1, H, W)).shape[2:])
        except RuntimeError:
            got = None
        if None in want:
            assert got is None, (layer, H, W, got)
            raised += 1
        else:
            assert got == want, (layer, H, W, got, want)
        checked[layer.kind] += 1
    assert min(checked.values()) >= 30 and raised >= 20, (checked, raised)
