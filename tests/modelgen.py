"""A generator of plausible PyTorch model SOURCE CODE, for differential testing.

`generate(chooser)` writes one model file (a string) the way people write models:
conv/pool/norm chains, a flatten in one of its many spellings, a Linear head, concat
branches and residual adds, in several code styles (attributes called in forward,
nn.Sequential, a Sequential built in a loop from a config list, functional calls, a
reusable block class) and with every import spelling. About half of the models are
correct by construction, the other half carry exactly one deliberate defect.

The generator's intent is NOT the label: tests run every model with real torch
(tests/torch_oracle.run_model) and compare shapelint with what torch did.

The chooser is anything with `int(lo, hi)`, `choice(seq)` and `coin(p)`: a hypothesis
adapter (`HypothesisChooser`) for the test-suite, a seeded `random.Random` adapter
(`RandomChooser`) for the long campaign in scripts/campaign.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


# --------------------------------------------------------------------------- choosers
class RandomChooser:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        seq = list(seq)
        return seq[self.rng.randrange(len(seq))]

    def coin(self, p: float = 0.5) -> bool:
        return self.rng.random() < p


class HypothesisChooser:
    """Draws through hypothesis so failing examples shrink and replay."""

    def __init__(self, draw):
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def int(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def choice(self, seq):
        seq = list(seq)
        return seq[self.draw(self.st.integers(0, len(seq) - 1))]

    def coin(self, p: float = 0.5) -> bool:
        # integers shrink towards 0, so "False" is the simple side of every coin
        return self.draw(self.st.integers(0, 999)) >= int(1000 * (1 - p))


# --------------------------------------------------------------------------- the model as data
@dataclass
class Mod:
    """One torch.nn layer: class name, its arguments (in torch's signature order)."""

    cls: str
    args: List[Tuple[str, object]]  # (param name, value) in signature order; all given explicitly
    required: int  # how many leading args have no default
    prefix: str  # attribute name stem: conv, bn, pool, fc, ...
    functional: Optional[Tuple[str, List[Tuple[Optional[str], object]]]] = None  # F.name, args


@dataclass
class Step:
    """One forward step: a layer, a flatten spelling, a concat branch or a residual add."""

    kind: str  # "mod" | "flatten" | "cat" | "residual"
    mod: Optional[Mod] = None
    flatten: str = ""
    view_size: int = 0  # for x.view(-1, k) / x.view(x.size(0), k)
    branches: List[Mod] = field(default_factory=list)


@dataclass
class Generated:
    source: str
    target: str
    input_shape: List[int]
    defect: Optional[str]
    style: str


ACTS = [("ReLU", []), ("ReLU", [("inplace", True)]), ("LeakyReLU", [("negative_slope", 0.1)]), ("GELU", []),
        ("Tanh", []), ("Sigmoid", []), ("ELU", []), ("SiLU", [])]
F_ACTS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "GELU": "gelu", "Tanh": "tanh", "Sigmoid": "sigmoid",
          "ELU": "elu", "SiLU": "silu"}

_CONV_SIG = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"]
SIGNATURES = {  # torch's constructor parameter order: positional arguments must follow it
    "Conv": _CONV_SIG,
    "ConvTranspose": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation"],
    "MaxPool": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
    "AvgPool": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"],
    "Adaptive": ["output_size"],
    "BatchNorm": ["num_features", "eps", "momentum"],
    "GroupNorm": ["num_groups", "num_channels"],
    "Linear": ["in_features", "out_features", "bias"],
    "Dropout": ["p", "inplace"],
    "LeakyReLU": ["negative_slope", "inplace"],
    "ReLU": ["inplace"],
}


def signature(cls: str) -> List[str]:
    for stem in sorted(SIGNATURES, key=len, reverse=True):
        if cls.startswith(stem):
            return SIGNATURES[stem]
    return []


DEFECTS = ["in_channels", "num_features", "in_features", "view_crash", "view_batch", "collapse", "residual", "cat"]


def conv_out(L, k, s, p, d):
    return (L + 2 * p - d * (k - 1) - 1) // s + 1


def convt_out(L, k, s, p, op, d):
    return (L - 1) * s - 2 * p + d * (k - 1) + op + 1


def pool_out(L, k, s, p, d, ceil):
    num = L + 2 * p - d * (k - 1) - 1
    if ceil:
        out = -((-num) // s) + 1
        if (out - 1) * s >= L + p:
            out -= 1
    else:
        out = num // s + 1
    return out


def _per_dim(v, n):
    return list(v) if isinstance(v, tuple) else [v] * n


class ModelBuilder:
    """Draws a feature extractor and a head, tracking the shape torch would compute."""

    def __init__(self, ch, n: int, defect: Optional[str]):
        self.ch = ch
        self.n = n
        self.defect = defect
        self.defect_done = defect is None
        self.steps: List[Step] = []
        self.force = False

    # sizes: a kernel etc. is an int, or (2-D/3-D) sometimes a tuple
    def _size(self, lo, hi):
        if self.n > 1 and self.ch.coin(0.15):
            return tuple(self.ch.int(lo, hi) for _ in range(self.n))
        return self.ch.int(lo, hi)

    def want_defect(self, kind: str) -> bool:
        """True once, for the defect this model carries, with some chance at each site."""
        if not self.defect_done and self.defect == kind and (self.force or self.ch.coin(0.5)):
            self.defect_done = True
            return True
        return False

    def wrong(self, right: int) -> int:
        delta = self.ch.choice([-2, -1, 1, 2, 3, right])
        v = right + delta
        return v if v >= 1 and v != right else right + 1

    # ------------------------------------------------------------------ feature layers
    def conv(self, C, S) -> Tuple[Optional[Mod], int, list]:
        n = self.n
        k = self._size(1, 5)
        s = self._size(1, 3) if self.ch.coin(0.4) else 1
        ks, ss = _per_dim(k, n), _per_dim(s, n)
        d = 2 if self.ch.coin(0.15) else 1
        collapse = self.want_defect("collapse")
        if collapse:
            p = 0
            k = max(S) + self.ch.int(1, 2) if d == 1 else max(S)
            ks = [k] * n
        else:
            p = tuple(self.ch.int(0, kk // 2) for kk in ks) if isinstance(k, tuple) else self.ch.int(0, ks[0] // 2)
        ps = _per_dim(p, n)
        out = [conv_out(L, kk, sss, pp, d) for L, kk, sss, pp in zip(S, ks, ss, ps)]
        if not collapse and min(out) < 1:
            return None, C, S
        cout = self.ch.choice([1, 2, 3, 4, 6, 8, 12, 16])
        groups = 1
        if self.ch.coin(0.1):
            g = self.ch.choice([2, 3, 4])
            if C % g == 0 and cout % g == 0:
                groups = g
        cin = C
        if self.want_defect("in_channels"):
            cin, groups = self.wrong(C), 1
        use_same = (not collapse and p == k // 2 if not isinstance(k, tuple) else False) and s == 1 and d == 1 and k % 2 == 1 and self.ch.coin(0.2)
        args = [("in_channels", cin), ("out_channels", cout), ("kernel_size", k), ("stride", s),
                ("padding", "same" if use_same else p), ("dilation", d), ("groups", groups)]
        if self.ch.coin(0.2):
            args.append(("bias", False))
        m = Mod(f"Conv{n}d", _trim(args, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}, self.ch), 3, "conv")
        return m, cout, out

    def convt(self, C, S):
        n = self.n
        k = self.ch.int(1, 4)
        s = self.ch.int(1, 3)
        p = self.ch.int(0, k // 2)
        d = 1
        op = self.ch.int(0, max(s, d) - 1) if self.ch.coin(0.4) else 0
        out = [convt_out(L, k, s, p, op, d) for L in S]
        if min(out) < 1 or max(out) > 40:
            return None, C, S
        cout = self.ch.choice([1, 2, 4, 8])
        cin = self.wrong(C) if self.want_defect("in_channels") else C
        args = [("in_channels", cin), ("out_channels", cout), ("kernel_size", k), ("stride", s), ("padding", p),
                ("output_padding", op)]
        return Mod(f"ConvTranspose{n}d", _trim(args, {"stride": 1, "padding": 0, "output_padding": 0}, self.ch), 3, "up"), cout, out

    def pool(self, C, S):
        n = self.n
        kind = self.ch.choice(["max", "max", "avg", "adaptive"])
        if kind == "adaptive":
            o = self._size(1, 4)
            out = _per_dim(o, n)
            avg = self.ch.coin(0.6)
            name = f"Adaptive{'Avg' if avg else 'Max'}Pool{n}d"
            fname = f"adaptive_{'avg' if avg else 'max'}_pool{n}d"
            return Mod(name, [("output_size", o)], 1, "pool", (fname, [(None, o)])), C, out
        collapse = self.want_defect("collapse")
        k = self._size(1, 3)
        if collapse:
            k = min(S) + self.ch.int(1, 3)
            ks = [k] * n
        ks = _per_dim(k, n)
        stride = None if self.ch.coin(0.5) else self._size(1, 3)
        ss = ks if stride is None else _per_dim(stride, n)
        p = 0 if collapse or self.ch.coin(0.5) else self.ch.int(0, min(ks) // 2)
        d = 2 if kind == "max" and self.ch.coin(0.15) and not collapse else 1
        ceil = self.ch.coin(0.25) and not collapse  # ceil_mode gives a 1-wide output from a too-small input
        out = [pool_out(L, kk, sss, p, d, ceil) for L, kk, sss in zip(S, ks, ss)]
        if not collapse and min(out) < 1:
            return None, C, S
        if kind == "max":
            args = [("kernel_size", k), ("stride", stride), ("padding", p), ("dilation", d), ("return_indices", False),
                    ("ceil_mode", ceil)]
            m = Mod(f"MaxPool{n}d", _trim(args, {"stride": None, "padding": 0, "dilation": 1, "return_indices": False, "ceil_mode": False}, self.ch), 1, "pool")
            fargs = [(None, k)] + [(a, v) for a, v in m.args[1:] if a != "return_indices"]
            m.functional = (f"max_pool{n}d", fargs)
        else:
            cip = self.ch.coin(0.8)
            args = [("kernel_size", k), ("stride", stride), ("padding", p), ("ceil_mode", ceil), ("count_include_pad", cip)]
            m = Mod(f"AvgPool{n}d", _trim(args, {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True}, self.ch), 1, "pool")
            m.functional = (f"avg_pool{n}d", [(None, k)] + list(m.args[1:]))
        return m, C, out

    def norm(self, C, S):
        if self.ch.coin(0.7):
            nf = self.wrong(C) if self.want_defect("num_features") else C
            return Mod(f"BatchNorm{self.n}d", [("num_features", nf)] + ([("momentum", 0.1)] if self.ch.coin(0.1) else []), 1, "bn"), C, S
        groups = [g for g in (1, 2, 3, 4) if C % g == 0]
        g = self.ch.choice(groups)
        nc = C
        if self.want_defect("num_features"):
            nc = self.wrong(C)
        return Mod("GroupNorm", [("num_groups", g), ("num_channels", nc)], 2, "gn"), C, S

    def act(self):
        name, args = self.ch.choice(ACTS)
        fn = F_ACTS.get(name)
        fargs = [(a, v) for a, v in args if a != "inplace"]
        return Mod(name, list(args), 0, "act", (fn, fargs) if fn else None)

    def dropout(self, features: bool):
        if features and self.ch.coin(0.5):
            return Mod(f"Dropout{self.n}d" if self.n > 1 else "Dropout1d", [("p", 0.1)], 0, "drop")
        return Mod("Dropout", [("p", self.ch.choice([0.1, 0.25, 0.5]))] if self.ch.coin(0.7) else [], 0, "drop", ("dropout", [("p", 0.5)]))

    def residual(self, C, S):
        k = self.ch.choice([1, 3])
        p = k // 2
        cout = C
        if self.want_defect("residual"):
            # a branch of another width is a crash only when neither side has 1 channel: with C == 1
            # torch broadcasts the add, and the model runs (so the defect is the padding one)
            if self.ch.coin(0.5) or C == 1:
                p = 0 if k == 3 else 1
            else:
                cout = self.wrong(C)
        m = Mod(f"Conv{self.n}d", [("in_channels", C), ("out_channels", cout), ("kernel_size", k), ("padding", p)], 3, "res")
        return Step("residual", branches=[m]), C, S

    def cat(self, C, S):
        c1, c2 = self.ch.choice([2, 4, 8]), self.ch.choice([2, 4, 8])
        k2, p2 = 3, 1
        if self.want_defect("cat"):
            p2 = 0
        a = Mod(f"Conv{self.n}d", [("in_channels", C), ("out_channels", c1), ("kernel_size", 1)], 3, "branch")
        b = Mod(f"Conv{self.n}d", [("in_channels", C), ("out_channels", c2), ("kernel_size", k2), ("padding", p2)], 3, "branch")
        return Step("cat", branches=[a, b]), c1 + c2, S

    # ------------------------------------------------------------------ the whole model
    def build(self, C, S) -> Tuple[list, Optional[int]]:
        """Returns the steps; the second value is the output feature count (None: no head)."""
        ch = self.ch
        nblocks = ch.int(1, 4)
        for _ in range(nblocks):
            kind = ch.choice(["conv", "conv", "conv", "convt", "pool", "cat", "residual"])
            if kind in ("cat", "residual"):
                step, C, S = getattr(self, kind)(C, S)
                self.steps.append(step)
                continue
            m, C2, S2 = getattr(self, kind)(C, S)
            if m is None:
                continue
            self.steps.append(Step("mod", m))
            C, S = C2, S2
            if kind in ("conv", "convt"):
                if ch.coin(0.4):
                    m, C, S = self.norm(C, S)
                    self.steps.append(Step("mod", m))
                if ch.coin(0.7):
                    self.steps.append(Step("mod", self.act()))
                if ch.coin(0.35):
                    m, C2, S2 = self.pool(C, S)
                    if m is not None:
                        self.steps.append(Step("mod", m))
                        C, S = C2, S2
                if ch.coin(0.1):
                    self.steps.append(Step("mod", self.dropout(True)))
        # a defect that found no site yet goes in now
        if not self.defect_done and self.defect in ("in_channels", "num_features", "collapse", "residual", "cat"):
            self.defect_done = False
            forced = {"in_channels": self.conv, "num_features": self.norm, "collapse": self.pool,
                      "residual": self.residual, "cat": self.cat}[self.defect]
            for _ in range(20):
                before = len(self.steps)
                self._force(forced, C, S)
                if self.defect_done:
                    C, S = self._last_shape
                    break
                del self.steps[before:]
        if not ch.coin(0.85) and self.defect not in ("in_features", "view_crash", "view_batch"):
            return self.steps, None  # a fully convolutional model: no head
        return self._head(C, S)

    def _force(self, fn, C, S):
        self.force = True
        try:
            out = fn(C, S)
        finally:
            self.force = False
        if isinstance(out[0], Step):
            self.steps.append(out[0])
        elif out[0] is not None:
            self.steps.append(Step("mod", out[0]))
        self._last_shape = (out[1], out[2])

    def _head(self, C, S):
        ch = self.ch
        feats = C
        for L in S:
            feats *= L
        spelling = ch.choice(["nn.Flatten", "torch.flatten", "x.flatten", "view_size0", "view_minus1", "reshape_b"])
        view_size = feats
        batch_defect = self.defect == "view_batch" and not self.defect_done
        crash_defect = self.defect == "view_crash" and not self.defect_done
        if batch_defect:
            spelling = "view_minus1"
            divisors = [d for d in range(2, feats + 1) if feats % d == 0]
            view_size = feats // divisors[0] if divisors else feats * 2
            if not divisors:
                view_size = feats * 2  # (B*f) / (2f): needs an even batch; torch decides
            self.defect_done = True
        elif crash_defect:
            spelling = ch.choice(["view_size0", "view_minus1", "reshape_b"])
            view_size = self.wrong(feats)
            self.defect_done = True
        self.steps.append(Step("flatten", flatten=spelling, view_size=view_size))
        F = view_size
        nlin = ch.int(1, 3)
        for i in range(nlin):
            out = ch.choice([4, 8, 10, 16, 32]) if i < nlin - 1 else ch.choice([1, 2, 5, 10])
            fin = F
            if self.defect == "in_features" and not self.defect_done and (i == nlin - 1 or ch.coin(0.5)):
                fin = self.wrong(F)
                self.defect_done = True
            self.steps.append(Step("mod", Mod("Linear", [("in_features", fin), ("out_features", out)] + ([("bias", True)] if ch.coin(0.1) else []), 2, "fc")))
            F = out
            if i < nlin - 1:
                if ch.coin(0.2):
                    self.steps.append(Step("mod", Mod("BatchNorm1d", [("num_features", F)], 1, "bn")))
                self.steps.append(Step("mod", self.act()))
                if ch.coin(0.3):
                    self.steps.append(Step("mod", self.dropout(False)))
        return self.steps, F


def _trim(args, defaults, ch):
    """Drop arguments equal to their default (usually), as people write them."""
    out = []
    for name, v in args:
        if name in defaults and defaults[name] == v and (v is None or ch.coin(0.8)):
            continue
        out.append((name, v))
    return out


# --------------------------------------------------------------------------- rendering
class Renderer:
    def __init__(self, ch, n: int, style: str):
        self.ch = ch
        self.n = n
        self.style = style
        self.imports = ch.choice(["as_nn", "from_torch", "torch_nn", "from_nn"])
        self.functional = ch.coin(0.4) if style in ("attrs", "block") else False
        self.aliases: Dict[str, str] = {}
        self.counts: Dict[str, int] = {}
        self.params: List[Tuple[str, object]] = []  # constructor params with defaults
        self.need_F = False

    def cls(self, name: str) -> str:
        if self.imports == "as_nn" or self.imports == "from_torch":
            return f"nn.{name}"
        if self.imports == "torch_nn":
            return f"torch.nn.{name}"
        if name not in self.aliases:
            self.aliases[name] = name if self.ch.coin(0.5) else f"{name}_"
        return self.aliases[name]

    def int_text(self, v: int) -> str:
        c = self.ch.int(0, 9)
        if c == 0 and v % 2 == 0 and v > 2:
            return f"{v // 2} * 2"
        if c == 1 and v >= 1:
            return f"{v * 2} // 2"
        if c == 2 and v % 4 == 0 and v > 4:
            return f"{v // 4} * 4"
        if c == 3 and v > 1:
            return f"{v - 1} + 1"
        return str(v)

    def value(self, v) -> str:
        if isinstance(v, bool) or v is None or isinstance(v, float):
            return repr(v)
        if isinstance(v, int):
            return self.int_text(v)
        if isinstance(v, tuple):
            return "(" + ", ".join(self.value(x) for x in v) + ")"
        return repr(v)

    def call_args(self, args, required: int, param_for=None, cls: str = "") -> str:
        parts = []
        sig = signature(cls)
        in_order = 0  # how many leading args sit at their signature position
        while in_order < len(args) and in_order < len(sig) and args[in_order][0] == sig[in_order]:
            in_order += 1
        npos = self.ch.int(0, in_order) if self.ch.coin(0.3) else min(required, in_order)
        for i, (name, v) in enumerate(args):
            text = param_for(name, v) if param_for else None
            text = text or self.value(v)
            parts.append(text if i < npos else f"{name}={text}")
        return ", ".join(parts)

    def mod_expr(self, m: Mod, param_for=None) -> str:
        return f"{self.cls(m.cls)}({self.call_args(m.args, m.required, param_for, m.cls)})"

    def attr(self, stem: str) -> str:
        self.counts[stem] = self.counts.get(stem, 0) + 1
        return f"{stem}{self.counts[stem]}"


HEADERS = {
    "as_nn": "import torch\nimport torch.nn as nn\n",
    "from_torch": "import torch\nfrom torch import nn\n",
    "torch_nn": "import torch\n",
}


def flatten_lines(spelling: str, k: int, r: Renderer) -> List[str]:
    kt = r.int_text(k)
    if spelling == "torch.flatten":
        return ["x = torch.flatten(x, 1)"]
    if spelling == "x.flatten":
        return ["x = x.flatten(1)"]
    if spelling == "view_size0":
        return [f"x = x.view(x.size(0), {kt})" if k else "x = x.view(x.size(0), -1)"]
    if spelling == "view_minus1":
        return [f"x = x.view(-1, {kt})"]
    if spelling == "reshape_b":
        return ["b = x.size(0)", f"x = x.reshape(b, {kt})" if k and r.ch.coin(0.5) else "x = x.reshape(b, -1)"]
    return [f"x = {r.cls('Flatten')}()(x)"]  # not reached: nn.Flatten is a module step


def generate(ch, defect: Optional[str] = "random") -> Generated:
    """One model file. defect: None (correct by construction), a name from DEFECTS, or "random"."""
    if defect == "random":
        defect = ch.choice(DEFECTS) if ch.coin(0.5) else None
    n = ch.choice([1, 2, 2, 2, 3])
    B = ch.int(2, 4)  # >= 2: BatchNorm in training mode needs more than one value per channel
    C = ch.int(1, 4)
    S = [ch.int(*{1: (8, 40), 2: (5, 24), 3: (4, 9)}[n]) for _ in range(n)]
    builder = ModelBuilder(ch, n, defect)
    steps, out_features = builder.build(C, S)
    # an explicit view size only where the generator chose one; otherwise keep -1 spellings
    for st in steps:
        if st.kind == "flatten" and st.flatten in ("view_size0", "reshape_b") and defect != "view_crash" and ch.coin(0.5):
            st.view_size = 0
    style = ch.choice(["attrs", "attrs", "seq", "loop", "block"])
    r = Renderer(ch, n, style)
    body = render_model(steps, r, C, out_features)
    header = HEADERS.get(r.imports, "import torch\n")
    if r.imports == "from_nn":
        names = sorted(r.aliases.items())
        header += "from torch.nn import Module, " + ", ".join(a if a == b else f"{a} as {b}" for a, b in names) + "\n"
    if r.need_F:
        header += ch.choice(["import torch.nn.functional as F\n", "from torch.nn import functional as F\n"])
    src = header + "\n\n" + body
    return Generated(src, "Net", [B, C] + S, defect if builder.defect_done else None, style)


def render_model(steps: List[Step], r: Renderer, in_ch: int, out_features: Optional[int]) -> str:
    ch = r.ch
    base = "Module" if r.imports == "from_nn" else r.cls("Module")
    init: List[str] = []
    fwd: List[str] = []
    blocks: List[str] = []

    # constructor parameters with defaults for the input channels and the number of classes
    params: Dict[str, Tuple[str, object]] = {}
    if ch.coin(0.4):
        params["in"] = ("in_channels", in_ch)
    if out_features is not None and ch.coin(0.4):
        params["out"] = ("num_classes", out_features)
    first_layer = next((i for i, s in enumerate(steps) if s.kind == "mod" and s.mod.args and s.mod.args[0][0] in ("in_channels",)), None)
    last_linear = max((i for i, s in enumerate(steps) if s.kind == "mod" and s.mod.cls == "Linear"), default=None)

    def param_for_step(i):
        def param_for(name, v):
            if i == first_layer and name == "in_channels" and "in" in params and params["in"][1] == v:
                return params["in"][0]
            if i == last_linear and name == "out_features" and "out" in params and params["out"][1] == v:
                return params["out"][0]
            return None
        return param_for

    seq_name = None  # the Sequential being filled, in seq/loop styles
    seq_items: List[Tuple[int, Mod]] = []
    reused: Dict[str, str] = {}

    def close_seq():
        nonlocal seq_name, seq_items
        if not seq_items:
            return
        name = r.attr(ch.choice(["features", "layers", "block", "stage"]))
        if r.style == "loop":
            init.extend(_loop_lines(seq_items, r, name, param_for_step))
        else:
            inner = ",\n            ".join(r.mod_expr(m, param_for_step(i)) if m.cls != "Flatten" else f"{r.cls('Flatten')}()" for i, m in seq_items)
            init.append(f"self.{name} = {r.cls('Sequential')}(\n            {inner},\n        )")
        fwd.append(f"x = self.{name}(x)")
        seq_items = []

    def add_module(i, m: Mod):
        if r.style in ("seq", "loop"):
            seq_items.append((i, m))
            return
        if r.functional and m.functional and m.functional[0] and m.prefix in ("act", "pool", "drop"):
            fname, fargs = m.functional
            r.need_F = True
            args = ", ".join(["x"] + [r.value(v) if a is None else f"{a}={r.value(v)}" for a, v in fargs])
            if m.prefix == "drop" and ch.coin(0.5):
                args += ", training=self.training"
            fwd.append(f"x = F.{fname}({args})")
            return
        if m.prefix == "act" and ch.coin(0.15) and m.cls == "ReLU":
            fwd.append(ch.choice(["x = torch.relu(x)", "x = x.relu()"]))
            return
        key = repr((m.cls, m.args))
        if m.prefix in ("pool", "act") and key in reused and ch.coin(0.7):
            fwd.append(f"x = self.{reused[key]}(x)")  # one module called twice, as in tutorials
            return
        if r.style == "block" and m.prefix == "conv" and m.args[0][0] == "in_channels" and \
                all(a in ("in_channels", "out_channels", "kernel_size", "stride", "padding") for a, _ in m.args):
            name = r.attr("block")
            blocks.append(m)
            kw = {a: v for a, v in m.args}
            init.append(f"self.{name} = Block({r.value(kw['in_channels'])}, {r.value(kw['out_channels'])}, {r.value(kw['kernel_size'])}"
                        f", stride={r.value(kw.get('stride', 1))}, padding={r.value(kw.get('padding', 0))})")
            fwd.append(f"x = self.{name}(x)")
            return
        name = r.attr(m.prefix)
        reused[key] = name
        init.append(f"self.{name} = {r.mod_expr(m, param_for_step(i))}")
        fwd.append(f"x = self.{name}(x)")

    for i, st in enumerate(steps):
        if st.kind == "mod":
            add_module(i, st.mod)
        elif st.kind == "flatten":
            if st.flatten == "nn.Flatten":
                if r.style in ("seq", "loop"):
                    seq_items.append((i, Mod("Flatten", [], 0, "flat")))
                else:
                    name = r.attr("flatten")
                    init.append(f"self.{name} = {r.cls('Flatten')}()")
                    fwd.append(f"x = self.{name}(x)")
            else:
                close_seq()
                fwd.extend(flatten_lines(st.flatten, st.view_size, r))
        elif st.kind == "cat":
            close_seq()
            a, b = r.attr("branch"), r.attr("branch")
            init.append(f"self.{a} = {r.mod_expr(st.branches[0])}")
            init.append(f"self.{b} = {r.mod_expr(st.branches[1])}")
            if ch.coin(0.5):
                fwd.append(f"x = torch.cat([self.{a}(x), self.{b}(x)], dim=1)")
            else:
                fwd.append(f"left = self.{a}(x)\n        right = self.{b}(x)")
                fwd.append(f"x = torch.cat((left, right), {ch.choice(['1', 'dim=1', '-' + str(r.n + 1)])})")
        elif st.kind == "residual":
            close_seq()
            name = r.attr("res")
            init.append(f"self.{name} = {r.mod_expr(st.branches[0])}")
            fwd.append(ch.choice([f"x = x + self.{name}(x)", f"x = self.{name}(x) + x",
                                  f"identity = x\n        out = self.{name}(x)\n        x = out + identity",
                                  f"x = torch.add(x, self.{name}(x))"]))
    close_seq()

    sig = "self" + "".join(f", {pname}={r.int_text(v)}" for pname, v in params.values())
    sup = ch.choice(["super().__init__()", "super(Net, self).__init__()"])
    B_line = "        " + sup
    text = ""
    if blocks:
        text += _block_class(r, base, ch)
    text += f"class Net({base}):  # shapelint: input=INPUT\n    def __init__({sig}):\n{B_line}\n"
    for line in init:
        text += "        " + line + "\n"
    if not init:
        text += "        pass\n"
    text += "\n    def forward(self, x):\n"
    for line in fwd:
        text += "        " + line + "\n"
    text += "        return x\n"
    return text


def _block_class(r: Renderer, base: str, ch) -> str:
    conv = r.cls(f"Conv{r.n}d")
    act = r.cls("ReLU")
    return (
        f"class Block({base}):\n"
        f"    def __init__(self, cin, cout, kernel_size=3, stride=1, padding=0):\n"
        f"        super().__init__()\n"
        f"        self.conv = {conv}(cin, cout, kernel_size, stride=stride, padding=padding)\n"
        f"        self.act = {act}()\n\n"
        f"    def forward(self, x):\n"
        f"        return self.act(self.conv(x))\n\n\n"
    )


def _loop_lines(items: List[Tuple[int, Mod]], r: Renderer, name: str, param_for_step) -> List[str]:
    """`layers = []`, runs of plain convs as a for loop over a config list, then Sequential(*layers)."""
    lines = ["layers = []"]
    i = 0
    while i < len(items):
        idx, m = items[i]
        run = []
        j = i
        while j < len(items) and items[j][1].prefix == "conv" and all(a in ("in_channels", "out_channels", "kernel_size", "stride", "padding") for a, _ in items[j][1].args) \
                and not isinstance(dict(items[j][1].args).get("padding", 0), str):
            run.append(items[j][1])
            j += 1
        if len(run) >= 1 and r.ch.coin(0.8):
            rows = []
            for m2 in run:
                kw = dict(m2.args)
                rows.append("(" + ", ".join(r.value(kw.get(a, d)) for a, d in (("in_channels", 0), ("out_channels", 0), ("kernel_size", 0), ("stride", 1), ("padding", 0))) + ")")
            lines.append(f"cfg = [{', '.join(rows)}]")
            lines.append("for cin, cout, k, s, p in cfg:")
            lines.append(f"    layers.append({r.cls(run[0].cls)}(cin, cout, k, stride=s, padding=p))")
            i = j
            continue
        expr = r.mod_expr(m, param_for_step(idx)) if m.cls != "Flatten" else f"{r.cls('Flatten')}()"
        lines.append(r.ch.choice([f"layers.append({expr})", f"layers += [{expr}]"]))
        i += 1
    lines.append(f"self.{name} = {r.cls('Sequential')}(*layers)")
    return lines


def finish(g: Generated) -> Generated:
    g.source = g.source.replace("INPUT", "(" + ", ".join(str(d) for d in g.input_shape) + ")")
    return g


def generate_model(ch, defect="random") -> Generated:
    return finish(generate(ch, defect))


# --------------------------------------------------------------------------- the differential check
@dataclass
class Comparison:
    torch_verdict: str
    torch_error: str
    shapelint_errors: List[str]
    verdict_agrees: bool
    modules_compared: int = 0
    modules_agreeing: int = 0
    shape_mismatches: List[str] = field(default_factory=list)
    output_agrees: Optional[bool] = None

    def describe(self) -> str:
        lines = [f"torch: {self.torch_verdict} {self.torch_error}".rstrip(),
                 f"shapelint errors: {self.shapelint_errors}"]
        lines += self.shape_mismatches
        return "\n".join(lines)


def compare(g: Generated) -> Comparison:
    """Run the model with torch and with shapelint; torch's outcome is the label.

    shapelint runs with explain=True: the per-module shape rows exist only then.
    """
    from shapelint.engine.check import check_source
    from torch_oracle import run_model

    t = run_model(g.source, g.target, g.input_shape)
    try:
        res = check_source("generated.py", g.source, explain=True)
    except Exception as e:  # a shapelint crash is a disagreement, never a pass
        import traceback

        c = Comparison(t.verdict, t.error, [], verdict_agrees=False)
        c.shape_mismatches.append("shapelint raised: " + "".join(traceback.format_exception(e))[-1500:])
        return c
    errors = [f"{f.code} line {f.line}: {f.message}" for f in res.findings if f.severity == "error"]
    torch_bad = t.verdict != "ok"
    c = Comparison(t.verdict, t.error, errors, verdict_agrees=(bool(errors) == torch_bad))
    if t.verdict != "ok":
        return c
    model = next((m for m in res.models if m.name == g.target), None)
    static: Dict[str, list] = {}
    if model is not None:
        for row in model.layers:
            if row.module is not None:
                static.setdefault(row.module, []).append(row.out)
    for name, shapes in t.shapes.items():
        c.modules_compared += 1
        mine = static.get(name)
        if mine == shapes:
            c.modules_agreeing += 1
        else:
            c.shape_mismatches.append(f"{name}: torch {shapes} shapelint {mine}")
    if model is not None:
        c.output_agrees = model.output == t.output
        if not c.output_agrees:
            c.shape_mismatches.append(f"model output: torch {t.output} shapelint {model.output}")
    return c


if __name__ == "__main__":
    import sys

    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    g = generate_model(RandomChooser(seed))
    print(f"# defect={g.defect} style={g.style}")
    print(g.source)
