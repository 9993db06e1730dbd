"""The receptive field and jump of --explain's rows against real torch.

The oracle: the receptive field of an output position is the set of input positions it
depends on; its size per spatial dimension is that set's span (last - first + 1), and the
jump is how far, in input positions, the spans of two neighbouring output positions are
apart (the difference of their centres). Torch measures both, two ways:

- by gradient: every conv weight a positive constant, every bias 0, an input of ones (so
  every ReLU passes its gradient), backprop from one output position: the input positions
  with a non-zero gradient. Exact for convs, average pooling and activations; max pooling
  sends its gradient to one element per window, so a model with max pooling uses
- by influence: a batch of all-zero inputs, each with a 1 at one input position (all
  channels); every value of the all-zero input stays 0 (zero biases, ReLU, eval-mode
  BatchNorm), so an output position changes exactly when the 1 lies in its field, max
  pooling included (the 1 raises the max of every window it is in).

BatchNorm is counted as it computes in eval mode (a per-channel scale); every model runs in eval.
"""

import functools

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"

VGG = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 40, 40)
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        )
        self.head = nn.Conv2d(4, 2, 3)

    def forward(self, x):
        return self.head(self.features(x))
'''

DILATED = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 1, 48, 48)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 2, 3, dilation=2)
        self.act = nn.GELU()
        self.c2 = nn.Conv2d(2, 2, 3, dilation=4, padding=4)
        self.c3 = nn.Conv2d(2, 2, 3, padding="same")
        self.sig = nn.Sigmoid()

    def forward(self, x):
        x = self.act(self.c1(x))
        x = self.c2(x)
        return self.sig(self.c3(x))
'''

STRIDED = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 1, 64, 64)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 2, 7, stride=2, padding=3, bias=False)
        self.bn = nn.BatchNorm2d(2)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.c2 = nn.Conv2d(2, 2, 3, stride=2, padding=1)
        self.smooth = nn.AvgPool2d(3, stride=1, padding=1)
        self.out = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.pool(x) * 0.5                  # a tensor times a number: the engine's value is the tensor's own
        x = F.max_pool2d(self.c2(x).relu(), 2, 1)
        x = torch.relu(self.smooth(x))
        return self.out(x)
'''

NON_SQUARE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 1, 40, 48)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 2, (3, 7), stride=(1, 2))
        self.pool = nn.MaxPool2d((2, 3), stride=(2, 1), dilation=(1, 2))
        self.c2 = nn.Conv2d(2, 2, (5, 1), dilation=(2, 1))
        self.drop = nn.Dropout2d(0.2)

    def forward(self, x):
        x = self.pool(F.relu(self.c1(x)))
        return self.drop(self.c2(x))
'''

ONE_D = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 120)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 3, 5, stride=2)
        self.bn = nn.BatchNorm1d(3)
        self.pool = nn.MaxPool1d(3, stride=2, dilation=2)
        self.c2 = nn.Conv1d(3, 3, 3, dilation=3, padding=2)
        self.avg = nn.AvgPool1d(2)
        self.act = nn.LeakyReLU(0.1)

    def forward(self, x):
        x = self.act(self.bn(self.c1(x)))
        x = self.pool(x)
        x = self.act(self.c2(x))
        return self.avg(x)
'''

THREE_D = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 1, 24, 30, 20)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(1, 2, (3, 5, 1), stride=(1, 2, 1))
        self.act = nn.ReLU()
        self.avg = nn.AvgPool3d((2, 1, 2))
        self.c2 = nn.Conv3d(2, 2, 3, dilation=(1, 2, 1), padding=1)
        self.bn = nn.BatchNorm3d(2)

    def forward(self, x):
        x = self.avg(self.act(self.c1(x)))
        return self.bn(self.c2(x))
'''

FIXTURES = {"vgg": VGG, "dilated": DILATED, "strided": STRIDED, "non_square": NON_SQUARE, "1d": ONE_D, "3d": THREE_D}
SPATIAL = {"1d": 1, "3d": 3}
GRADIENT_ONLY = ("dilated", "3d")  # sigmoid or too many positions for a batch of one-hot inputs
INFLUENCE_ONLY = ("vgg", "strided", "non_square", "1d")  # max pooling


def _rows(src):
    (report,) = [m for m in check_source("rf.py", src, explain=True).models if m.name == "Net"]
    return report.layers


def _prepare(src):
    import torch
    import torch.nn as nn

    model = load(src, "rf.py").Net().double().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.conv._ConvNd):
                m.weight.fill_(1.0 / m.weight[0].numel())  # positive, and values stay near 1
                if m.bias is not None:
                    m.bias.zero_()
    return model


def _probes(spatial):
    """The central output position and its neighbour one step along each spatial dimension."""
    centre = tuple(s // 2 for s in spatial)
    return [centre] + [tuple(c + (i == d) for i, c in enumerate(centre)) for d in range(len(centre))]


def _span(mask, axis_count):
    """Per spatial dimension: (first, last) input position of a non-zero in `mask` (spatial dims only)."""
    import torch

    out = []
    for d in range(axis_count):
        other = tuple(i for i in range(axis_count) if i != d)
        hit = torch.nonzero(mask.any(dim=other) if other else mask).flatten().tolist()
        assert hit and hit[0] > 0 and hit[-1] < mask.shape[d] - 1, "the field reaches the input's border: enlarge the fixture"
        out.append((hit[0], hit[-1]))
    return out


def _field(spans):
    """((size, jump), ...) from the spans of the central position and its neighbours."""
    centre = spans[0]
    for d, (first, last) in enumerate(centre):  # a span cut off by some layer's border is shorter
        assert all(s[d][1] - s[d][0] == last - first for s in spans), "a field is cut off: enlarge the fixture"
    return tuple((last - first + 1, (spans[1 + d][d][0] + spans[1 + d][d][1] - first - last) // 2)
                 for d, (first, last) in enumerate(centre))


def _record_outputs(model, keep):
    """Forward hooks: name -> the output of each call, in call order (`keep` picks what is kept)."""
    seen, handles = {}, []
    for name, m in model.named_modules():
        if name:
            handles.append(m.register_forward_hook(lambda _m, _i, out, name=name: seen.setdefault(name, []).append(keep(out))))
    return seen, handles


def by_gradient(model, shape, n):
    import torch

    x = torch.ones(*shape, dtype=torch.float64, requires_grad=True)
    seen, handles = _record_outputs(model, lambda out: out)
    model(x)
    for h in handles:
        h.remove()
    fields = {}
    for name, outs in seen.items():
        for out in outs:
            spans = []
            for p in _probes(out.shape[-n:]):
                (g,) = torch.autograd.grad(out[(0, 0) + p], x, retain_graph=True)
                spans.append(_span(g[0].abs().sum(0) != 0, n))
            fields.setdefault(name, []).append(_field(spans))
    return fields


def by_influence(model, shape, n):
    import torch

    spatial = tuple(shape[-n:])
    count = 1
    for s in spatial:
        count *= s
    x = torch.zeros((count,) + tuple(shape[1:]), dtype=torch.float64)
    x.view(count, shape[1], count)[torch.arange(count), :, torch.arange(count)] = 1.0
    base = torch.zeros((1,) + tuple(shape[1:]), dtype=torch.float64)

    def keep(out):
        probes = _probes(out.shape[-n:])
        return torch.stack([out[(slice(None), 0) + p] for p in probes], 1)

    runs = []
    with torch.no_grad():
        for inp in (x, base):
            seen, handles = _record_outputs(model, keep)
            model(inp)
            for h in handles:
                h.remove()
            runs.append(seen)
    bumped, zeros = runs
    fields = {}
    for name, outs in bumped.items():
        for out, zero in zip(outs, zeros[name]):
            changed = out != zero  # (count, probes)
            spans = [_span(changed[:, j].view(spatial), n) for j in range(changed.shape[1])]
            fields.setdefault(name, []).append(_field(spans))
    return fields


@functools.lru_cache(maxsize=None)
def torch_fields(name, oracle):
    """What torch measures for FIXTURES[name]: module name -> the field of each of its calls."""
    src = FIXTURES[name]
    (line,) = [ln for ln in src.splitlines() if "shapelint: input=" in ln]
    shape = [int(v) for v in line.split("input=(")[1].split(")")[0].split(",")]
    return oracle(_prepare(src), shape, SPATIAL.get(name, 2))


def _compare(name, oracle):
    rows = _rows(FIXTURES[name])
    want = torch_fields(name, oracle)
    calls = {}
    compared = 0
    for row in rows:
        if row.module is None:
            continue
        k = calls[row.module] = calls.get(row.module, -1) + 1
        assert row.receptive == want[row.module][k], (row.module, row.op, row.receptive, want[row.module][k])
        compared += 1
    assert compared == sum(len(v) for v in want.values())  # every module call has a field, each equal to torch's
    return rows


@pytest.mark.parametrize("name", [k for k in FIXTURES if k not in INFLUENCE_ONLY])
def test_receptive_field_equals_the_gradient_support(name):
    _compare(name, by_gradient)


@pytest.mark.parametrize("name", [k for k in FIXTURES if k not in GRADIENT_ONLY])
def test_receptive_field_equals_the_positions_that_change_the_output(name):
    _compare(name, by_influence)


def test_functional_rows_have_the_field_of_what_they_compute():
    rows = _rows(STRIDED)
    ops = {r.op: r.receptive for r in rows if r.module is None}
    assert set(ops) == {"F.relu", ".relu()", "F.max_pool2d", "torch.relu"}
    assert all(v is not None for v in ops.values())
    want = torch_fields("strided", by_influence)
    assert ops["F.relu"] == want["bn"][0]  # F.relu keeps bn's field
    assert ops["torch.relu"] == want["smooth"][0]


# ---------------------------------------------------------------------------- unknown stays unknown
UNKNOWN = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.c2 = nn.Conv2d(2, 2, 3, padding=1)
        self.after_add = nn.Conv2d(2, 2, 3, padding=1)
        self.after_gate = nn.Conv2d(2, 2, 3, padding=1)
        self.after_transpose = nn.Conv2d(2, 2, 3, padding=1)
        self.up = nn.ConvTranspose2d(2, 2, 2, stride=2)
        self.after_up = nn.Conv2d(2, 2, 3, padding=1)
        self.norm = nn.GroupNorm(1, 2)
        self.adaptive = nn.AdaptiveAvgPool2d(8)
        self.last = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        x = x - self.c2(x)                       # a difference: not followed (x - x depends on nothing)
        x = self.after_add(x)
        x = x * torch.sigmoid(x.mean((2, 3), keepdim=True))
        x = self.after_gate(x)
        x = self.after_transpose(x.transpose(2, 3))
        x = self.after_up(self.up(x))
        return self.last(self.adaptive(self.norm(x)))
'''


def _fields(src):
    return {(r.module or r.op): r.receptive for r in _rows(src)}


def test_what_shapelint_does_not_model_has_no_field():
    got = _fields(UNKNOWN)
    assert got["c1"] == ((3, 1), (3, 1)) and got["c2"] == ((5, 1), (5, 1))
    for name in ("after_add", "after_gate", ".transpose()", "after_transpose", "up", "after_up", "norm", "adaptive", "last"):
        assert got[name] is None, (name, got[name])


BRANCHES = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.wide = nn.Conv2d(2, 2, 5, padding=2)
        self.narrow = nn.Conv2d(2, 2, 1)
        self.extra = nn.Conv2d(2, 2, 3, padding=1)
        self.after_branch = nn.Conv2d(2, 2, 3, padding=1)
        self.after_mode = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        if x.dtype == torch.float64:             # undecided: both paths, of different fields
            x = self.wide(x)
        else:
            x = self.narrow(x)
        x = self.after_branch(x)
        return x
'''

MODES = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.extra = nn.Conv2d(2, 2, 3, padding=1)
        self.after_mode = nn.Conv2d(2, 2, 3, padding=1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = self.drop(self.c1(x))
        if not self.training:                    # eval mode only: the modes' fields differ from here
            x = self.extra(x)
        return self.after_mode(x)
'''


def test_a_branch_whose_paths_disagree_has_no_field():
    got = _fields(BRANCHES)
    assert got["c1"] == ((3, 1), (3, 1))
    assert got["wide"] is None and got["narrow"] is None and got["after_branch"] is None


def test_a_call_that_training_and_eval_reach_with_different_fields_has_none():
    got = _fields(MODES)
    assert got["c1"] == ((3, 1), (3, 1)) and got["drop"] == ((3, 1), (3, 1))  # the same in both modes
    assert got["extra"] is None and got["after_mode"] is None


def test_the_text_table_shows_each_dimension_where_they_differ():
    from conftest import run_cli

    path = "/tmp/rf_non_square.py"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(NON_SQUARE)
    out = run_cli("--explain", path).stdout
    want = torch_fields("non_square", by_influence)["c1"][0]  # ((3, 1), (7, 2)) as torch measures it
    (c1,) = [ln.split() for ln in out.splitlines() if ln.split()[1:2] == ["c1"]]
    assert c1[-2:] == [f"{want[0][0]}x{want[1][0]}", f"{want[0][1]}x{want[1][1]}"], c1
    assert "rf" in out.splitlines()[1].split() and "jump" in out.splitlines()[1].split()


SHARED_HELPER = HEAD + '''
def pool(t):
    return F.max_pool2d(t, 2)


class Net(nn.Module):  # shapelint: input=(1, 2, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 2, 3, padding=1)
        self.wide = nn.Conv2d(2, 2, 5, padding=2)
        self.after = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        x = self.c1(x)
        if x.dtype == torch.float64:             # both paths end in the same call of `pool`: one row
            x = pool(x)
        else:
            x = pool(self.wide(x))
        return self.after(x)
'''


def test_a_row_both_paths_share_is_unknown_after_the_branch():
    rows = _rows(SHARED_HELPER)
    assert [r.op for r in rows if r.module is None] == ["F.max_pool2d"]  # the paths' two calls, kept once
    got = _fields(SHARED_HELPER)
    assert got["c1"] == ((3, 1), (3, 1))
    assert got["F.max_pool2d"] is None and got["after"] is None


# ---------------------------------------------------------------------------- every fixture
def _every_window_pool(original, n):
    """F.max_poolNd with the same output, whose gradient also reaches every element of every window
    (max pooling sends it to one element): plus (s - s) where s is the windows' sum, a conv of ones."""
    import torch
    import torch.nn.functional as F

    conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]

    def pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        out = original(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        y = out[0] if return_indices else out

        def nt(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n

        k, s = nt(kernel_size), nt(stride if stride not in (None, [], ()) else kernel_size)
        p, d = nt(padding), nt(dilation)
        channels = x.shape[-n - 1]
        weight = torch.ones((channels, 1) + k, dtype=x.dtype)
        extra = []
        for i in reversed(range(n)):  # room for ceil_mode's last window
            eff = d[i] * (k[i] - 1) + 1
            need = (y.shape[-n + i] - 1) * s[i] + eff - (x.shape[-n + i] + 2 * p[i])
            extra += [0, max(0, need)]
        batched = x if x.dim() == n + 2 else x.unsqueeze(0)
        sums = conv(F.pad(batched, extra), weight, None, s, p, d, channels)
        sums = sums[(Ellipsis,) + tuple(slice(0, y.shape[-n + i]) for i in range(n))]
        sums = sums if x.dim() == n + 2 else sums.squeeze(0)
        y = y + (sums - sums.detach())
        return (y, out[1]) if return_indices else y

    return pool


def _fixture_rows():
    import glob
    import os

    from conftest import ROOT
    from torch_oracle import declared_targets

    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        if os.sep + "pkg" in rel or os.sep + "trace" + os.sep in rel:
            continue
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        targets = declared_targets(src)
        if not targets:
            continue
        result = check_source(rel, src, explain=True)
        for report in result.models:
            specs = targets.get(report.name)
            rows = [r for r in report.layers if r.module is not None and r.receptive]
            if rows and specs and len(specs) == 1 and specs[0].dtype == "float":
                yield rel, src, report, specs[0].dims


def _fixture_model(src, rel, name):
    import torch
    import torch.nn as nn

    model = getattr(load(src, rel), name)().double().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.conv._ConvNd):
                m.weight.fill_(1.0 / m.weight[0].numel())
                if m.bias is not None:
                    m.bias.zero_()
    for m in model.modules():
        if getattr(m, "inplace", False) is True:
            m.inplace = False  # an in-place ReLU overwrites what the gradient needs
    return model


def _run_recorded(model, dims):
    """The input and each call's outputs; the input a batch of one element per probe of a field (the
    central position and a neighbour per spatial dimension) where the model runs with that batch."""
    import torch

    for shape in ([len(dims) - 1] + list(dims[1:]), list(dims)):
        x = torch.ones(*shape, dtype=torch.float64, requires_grad=True)
        seen, handles = _record_outputs(model, lambda out: out)
        try:
            model(x)
            return x, seen
        except Exception:
            continue  # the forward fixes its batch size, or torch cannot run it
        finally:
            for h in handles:
                h.remove()
    return None, None


def measured_field(out, x, n):
    """torch's field of `out` (over all its channels) by gradient, or None where a border cuts it off.
    With a batched input, probe j reads batch element j: one backward for all probes."""
    import torch

    probes = _probes(out.shape[-n:])
    lead = out.dim() - n - 1  # batch (and channel) dims before the spatial ones
    try:
        if x.dim() == n + 2 and x.shape[0] >= len(probes) and lead == 1:
            total = sum(out[(j, slice(None)) + p].sum() for j, p in enumerate(probes))
            (g,) = torch.autograd.grad(total, x, retain_graph=True)
            masks = [g[j].abs().sum(0) != 0 for j in range(len(probes))]
        else:
            masks = []
            for p in probes:
                (g,) = torch.autograd.grad(out[(0,) * lead + (slice(None),) + p].sum(), x, retain_graph=True)
                masks.append(g[0].abs().sum(0) != 0 if x.dim() == n + 2 else g.abs().sum(0) != 0)
        return _field([_span(mask, n) for mask in masks])
    except (RuntimeError, AssertionError):  # an in-place op of the forward itself (x += y); a border
        return None


MEASURED_PER_MODEL = 32  # a backward pass each: ResNet-50 at 224x224 has 128 rows to measure


def _rows_to_measure(report, seen, x, wrong, rel):
    """(row, torch's output of its call) for each row with a known field that torch can measure: one
    row per distinct (field, layer kind), spread evenly over the model, at most MEASURED_PER_MODEL.
    A field at least as wide as the input reaches its border, where torch's is cut off: not measured."""
    import torch

    calls, picked, kinds = {}, [], set()
    for row in report.layers:
        if row.module is None:
            continue
        k = calls[row.module] = calls.get(row.module, -1) + 1
        outs = seen.get(row.module, [])
        if not row.receptive or len([r for r in report.layers if r.module == row.module]) != len(outs):
            continue
        n = len(row.receptive)
        out = outs[k]
        if not isinstance(out, torch.Tensor) or out.dim() < n + 1:
            wrong.append((rel, report.name, row.module, "output", type(out).__name__))
            continue
        if min(out.shape[-n:]) < 3 or not out.requires_grad:
            continue  # no neighbour after the central position; computed under no_grad
        if any(size >= s for (size, _jump), s in zip(row.receptive, x.shape[-n:])) or (row.receptive, row.op) in kinds:
            continue
        kinds.add((row.receptive, row.op))
        picked.append((row, out))
    step = max(1, -(-len(picked) // MEASURED_PER_MODEL))
    return picked[::step]


def test_every_known_field_over_the_fixtures_equals_torchs(monkeypatch):
    """By gradient (max pooling given a gradient to its whole window), over all channels of a row's
    output (a concat's channels have their operands' fields); a row whose field reaches the input's
    border is not compared (torch's is cut off there)."""
    import torch.nn.functional as F

    for n in (1, 2, 3):
        name = f"max_pool{n}d"
        monkeypatch.setattr(F, name, _every_window_pool(getattr(F, name), n))
    models = compared = 0
    wrong = []
    for rel, src, report, dims in _fixture_rows():
        try:
            model = _prepare(src) if report.name == "Net" else _fixture_model(src, rel, report.name)
        except Exception:
            continue  # torch cannot build it: nothing to compare
        x, seen = _run_recorded(model, dims)
        if x is None:
            continue
        models += 1
        for row, out in _rows_to_measure(report, seen, x, wrong, rel):
            field = measured_field(out, x, len(row.receptive))
            if field is None:
                continue  # cut off by a border: torch's field is not the whole one
            compared += 1
            if field != row.receptive:
                wrong.append((rel, report.name, row.module, row.receptive, field))
    print(f"\nreceptive fields vs torch: {models} fixture models, {compared} rows compared")
    assert wrong == [], "\n".join(map(str, wrong[:40]))
    assert compared >= 100


WORLDS = HEAD + '''
try:
    from timm.layers import DropPath
    K = 5
except ImportError:
    K = 3


class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 3, 3, padding=1)
        self.c2 = nn.Conv2d(3, 3, K, padding=K // 2)  # the same shapes either way, not the same field
        self.c3 = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.c3(self.c2(self.c1(x)))
'''


def test_a_field_the_ways_of_a_module_level_block_disagree_on_is_unknown():
    got = _fields(WORLDS)
    assert got == {"c1": ((3, 1), (3, 1)), "c2": None, "c3": None}
