"""What shapelint does with what it does not model, and with no declared input.

- Constructs it cannot follow (unknown functions, while loops, data-dependent branches,
  layers without a rule, third-party libraries) give unknown shapes and never an error;
  torch runs every one of these models, so an error would be a false alarm.
- With no declared input, sizes are symbols: SimpleCNN gets an info SHP200 naming the
  sizes its flatten accepts; torch runs those sizes and rejects sizes outside them.
- A flatten/Linear pair that no input size satisfies is an error; torch fails for every
  size tried.
"""

import re

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load, run_model

try:
    import torch
except ImportError:  # the tests that use it carry the `torch` marker
    torch = None

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"

UNMODELLED = {
    "unknown_function_from_library": HEAD + (
        "import numpy as np\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3, padding=1)\n"
        "        self.fc = nn.Linear(8 * 4 * 4, 2)\n\n"
        "    def forward(self, x):\n"
        "        x = torch.from_numpy(np.ascontiguousarray(self.conv(x).numpy()[:, :, ::4, ::4]))\n"
        "        return self.fc(x.reshape(x.shape[0], -1))\n"
    ),
    # an in-place method with no shape rule changes the tensor itself: every name for it is
    # unknown after it, never the old shape (here the old (2, 3, 6) would be a false SHP002)
    "in_place_method_without_a_rule": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 3, 4)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 6)\n"
        "        self.out = nn.Linear(3, 5)\n\n"
        "    def forward(self, x):\n"
        "        y = self.fc(x)\n"
        "        z = y\n"
        "        y.transpose_(1, 2)\n"
        "        return self.out(z)\n"
    ),
    # torch/_inductor/lowering.py's make_fallback: a loop that cannot be unrolled, inside an
    # undecided `if` of a function (its locals are a branch overlay) was an internal error
    "loop_in_an_undecided_branch_of_a_helper": HEAD + (
        "import os\n\n"
        "def register(op):\n"
        "    def one(o):\n        return o\n\n"
        "    if isinstance(op, str):\n"
        "        for o in op.split(os.sep):\n            one(o)\n\n"
        "register(os.environ.get('OPS'))\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 4)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 3)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    ),
    "while_loop_on_sizes": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 4, 32, 32)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(2)\n"
        "        self.fc = nn.Linear(4 * 4 * 4, 3)\n\n"
        "    def forward(self, x):\n"
        "        while x.size(-1) > 4:\n"
        "            x = self.pool(x)\n"
        "        return self.fc(x.flatten(1))\n"
    ),
    "data_dependent_branch": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 4, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.pool = nn.MaxPool2d(2)\n"
        "        self.gap = nn.AdaptiveAvgPool2d(1)\n"
        "        self.fc = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n"
        "        if x.mean() > 0:\n"
        "            x = self.pool(x)\n"
        "        if (x > 0).any().item():\n"
        "            x = x * 2\n"
        "        return self.fc(self.gap(x).flatten(1))\n"
    ),
    "layer_without_rule_changes_shape": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.unfold = nn.Unfold(kernel_size=2, stride=2)\n"
        "        self.fc = nn.Linear(16, 5)\n\n"
        "    def forward(self, x):\n"
        "        x = self.unfold(x)\n"  # (2, 12, 16): a shape no identity guess would give
        "        return self.fc(x)\n"
    ),
    "attention_layer_without_rule": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 7, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)\n"
        "        self.pool = nn.AdaptiveAvgPool1d(3)\n"
        "        self.fc = nn.Linear(16 * 3, 2)\n\n"
        "    def forward(self, x):\n"
        "        y, _ = self.attn(x, x, x)\n"
        "        y = self.pool(y.transpose(1, 2))\n"
        "        return self.fc(y.flatten(1))\n"
    ),
    "unknown_tensor_ops": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 6, 10)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(6, 3)\n\n"
        "    def forward(self, x):\n"
        "        x = torch.einsum('bcl->blc', x)\n"
        "        x = x.unfold(1, 5, 5).mean(-1)\n"
        "        return self.fc(x)\n"
    ),
    "helper_with_star_args_and_getattr": HEAD + (
        "def apply_all(x, *fns):\n"
        "    for f in fns:\n"
        "        x = f(x)\n"
        "    return x\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 12, 12)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        for i in range(2):\n"
        "            setattr(self, 'conv%d' % i, nn.Conv2d(3 if i == 0 else 5, 5, 3))\n"
        "        self.fc = nn.Linear(5 * 8 * 8, 2)\n\n"
        "    def forward(self, x):\n"
        "        x = apply_all(x, *[getattr(self, 'conv%d' % i) for i in range(2)])\n"
        "        return self.fc(x.flatten(1))\n"
    ),
    "input_dependent_view": HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 8, 6)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(12, 2)\n\n"
        "    def forward(self, x):\n"
        "        n = int(x.abs().sum().item() > -1) * 12\n"
        "        return self.fc(x.view(-1, n))\n"
    ),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(UNMODELLED))
def test_unmodelled_construct_is_unknown_not_an_error(name):
    src = UNMODELLED[name]
    (target, shape), = [(m.group(1), [int(v) for v in m.group(2).split(",")])
                       for m in re.finditer(r"class (\w+)\(.*input=\(([^)]*)\)", src)]
    outcome = run_model(src, target, shape)
    if name == "input_dependent_view":
        assert outcome.verdict == "batch-changed"  # torch runs; (2*48)/12 rows, decided by data
    else:
        assert outcome.verdict == "ok", outcome.error
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    assert errors == [], [(f.line, f.code, f.message) for f in errors]


@pytest.mark.torch
def test_third_party_import_is_not_an_error():
    src = (
        "import torch.nn as nn\nfrom some_vendor_pkg.blocks import FancyBlock, width_for\n\n"
        "class Net(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.block = FancyBlock(3, width_for('small'))\n"
        "        self.fc = nn.Linear(width_for('small'), 2)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.block(x).mean((2, 3)))\n"
    )
    # torch would run it given the package; here the oracle is a stand-in package
    import sys
    import types
    pkg, blocks = types.ModuleType("some_vendor_pkg"), types.ModuleType("some_vendor_pkg.blocks")
    blocks.FancyBlock = lambda cin, cout: torch.nn.Conv2d(cin, cout, 3, stride=2)
    blocks.width_for = lambda size: {"small": 24}[size]
    sys.modules.update({"some_vendor_pkg": pkg, "some_vendor_pkg.blocks": blocks})
    try:
        assert run_model(src, "Net", [2, 3, 16, 16]).verdict == "ok"
    finally:
        del sys.modules["some_vendor_pkg"], sys.modules["some_vendor_pkg.blocks"]
    result = check_source("m.py", src)
    assert [f for f in result.findings if f.severity == "error"] == []


# ---------------------------------------------------------------------------- symbolic input

SIMPLE_CNN = HEAD + (
    "class SimpleCNN(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, stride=1, padding=1)\n"
    "        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)\n"
    "        self.fc1 = nn.Linear(18 * 16 * 16, 64)\n"
    "        self.fc2 = nn.Linear(64, 10)\n\n"
    "    def forward(self, x):\n"
    "        x = F.relu(self.conv1(x))\n"
    "        x = self.pool(x)\n"
    "        x = x.view(-1, 18 * 16 * 16)\n"
    "        x = F.relu(self.fc1(x))\n"
    "        return self.fc2(x)\n"
)


def _runs(src, target, shape):
    return run_model(src, target, list(shape)).verdict == "ok"


@pytest.mark.torch
def test_simple_cnn_without_input_names_32x32():
    findings = check_source("cnn.py", SIMPLE_CNN).findings
    assert [f for f in findings if f.severity == "error"] == []
    infos = [f for f in findings if f.code == "SHP200"]
    assert len(infos) == 1 and infos[0].severity == "info"
    msg = infos[0].message
    assert "32x32" in msg, msg
    sides = re.search(r"sides (\d+)\.\.(\d+)", msg)
    assert sides, msg
    lo, hi = int(sides.group(1)), int(sides.group(2))
    # torch: every square size in the reported set runs, and its neighbours outside fail
    for s in range(lo, hi + 1):
        assert _runs(SIMPLE_CNN, "SimpleCNN", (2, 3, s, s)), s
    for s in (lo - 2, lo - 1, hi + 1, hi + 2, 64, 28):
        assert not _runs(SIMPLE_CNN, "SimpleCNN", (2, 3, s, s)), s


@pytest.mark.torch
def test_simple_cnn_reported_non_square_size_runs_in_torch():
    msg = [f for f in check_source("cnn.py", SIMPLE_CNN).findings if f.code == "SHP200"][0].message
    other = re.search(r"such as (\d+)x(\d+)", msg)
    assert other, msg  # 18 * (H//2) * (W//2) == 4608 has non-square solutions too
    h, w = int(other.group(1)), int(other.group(2))
    assert h != w and _runs(SIMPLE_CNN, "SimpleCNN", (2, 3, h, w))


def test_simple_cnn_with_declared_input_has_no_constraint_note():
    findings = check_source("cnn.py", SIMPLE_CNN, input_shapes={"SimpleCNN": [4, 3, 32, 32]}).findings
    assert [f.code for f in findings] == []


UNSATISFIABLE = HEAD + (
    "class Net(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(3, 18, 3, padding=1)\n"
    "        self.pool = nn.MaxPool2d(2)\n"
    "        self.fc = nn.Linear(1000, 10)\n\n"
    "    def forward(self, x):\n"
    "        x = self.pool(F.relu(self.conv(x)))\n"
    "        return self.fc(torch.flatten(x, 1))\n"
)


@pytest.mark.torch
def test_flatten_linear_that_no_input_satisfies_is_an_error():
    errors = [f for f in check_source("net.py", UNSATISFIABLE).findings if f.severity == "error"]
    assert [f.code for f in errors] == ["SHP002"], [(f.code, f.message) for f in errors]
    assert errors[0].line == 10  # the Linear's in_features (HEAD is 4 lines)
    # torch: 18 * (H//2) * (W//2) == 1000 has no solution (1000 is not a multiple of 18)
    model = load(UNSATISFIABLE).Net()
    for h in range(2, 70, 7):
        for w in (h, h + 1, 2 * h):
            with pytest.raises(RuntimeError):
                model(torch.zeros(1, 3, h, w))


@pytest.mark.torch
def test_batch_fold_message_names_the_batch_torch_produces():
    src = SIMPLE_CNN.replace("class SimpleCNN(nn.Module):", "class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 64, 64)")
    outcome = run_model(src, "SimpleCNN", [4, 3, 64, 64])
    assert outcome.verdict == "batch-changed" and outcome.output[0] == 16  # 4 * 18*32*32 / (18*16*16)
    (f,) = [f for f in check_source("cnn.py", src).findings if f.severity == "error"]
    assert f.code == "SHP004" and "becomes 16 instead of 4" in f.message, f.message


LENET = HEAD + (
    "class LeNet(nn.Module):\n"
    "    def __init__(self, fc_in=16 * 4 * 4):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(1, 6, 5)\n"
    "        self.conv2 = nn.Conv2d(6, 16, 5)\n"
    "        self.fc1 = nn.Linear(fc_in, 120)\n\n"
    "    def forward(self, x):\n"
    "        x = F.max_pool2d(F.relu(self.conv1(x)), 2)\n"
    "        x = F.relu(self.conv2(x))\n"
    "        return self.fc1(x.view(x.size(0), -1))\n"
)


@pytest.mark.torch
def test_unpadded_convs_without_input_name_the_sizes_torch_accepts():
    # the flatten is 16 * (H//2 - 6) * (W//2 - 6): an expanded polynomial, not one product
    findings = check_source("lenet.py", LENET).findings
    assert [f for f in findings if f.severity == "error"] == []
    (info,) = [f for f in findings if f.code == "SHP200"]
    sides = re.search(r"accepts sides (\d+)\.\.(\d+) \(\1x\1 to \2x\2\)", info.message)
    assert sides, info.message
    lo, hi = int(sides.group(1)), int(sides.group(2))
    for s in range(lo, hi + 1):
        assert _runs(LENET, "LeNet", (2, 1, s, s)), s
    for s in (lo - 1, hi + 1, 28, 32):
        assert not _runs(LENET, "LeNet", (2, 1, s, s)), s
    other = re.search(r"such as (\d+)x(\d+)", info.message)
    if other:
        assert _runs(LENET, "LeNet", (2, 1, int(other.group(1)), int(other.group(2))))


@pytest.mark.torch
def test_unpadded_convs_with_impossible_linear_is_an_error():
    src = LENET.replace("fc_in=16 * 4 * 4", "fc_in=16 * 4 * 4 + 8")  # 264 = 16 * 16.5: no size gives it
    errors = [f for f in check_source("lenet.py", src).findings if f.severity == "error"]
    assert [f.code for f in errors] == ["SHP002"], [(f.code, f.message) for f in errors]
    model = load(src).LeNet()
    for h in range(12, 80, 9):
        for w in (h, h + 1, h + 7):
            with pytest.raises(RuntimeError):
                model(torch.zeros(1, 1, h, w))


@pytest.mark.torch
def test_three_symbol_flatten_without_input():
    src = HEAD + (
        "class Video(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv3d(2, 4, 3)\n"
        "        self.fc = nn.Linear(4 * 2 * 3 * 4, 5)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.conv(x).flatten(1))\n"
    )
    findings = check_source("video.py", src).findings
    assert [f for f in findings if f.severity == "error"] == []
    (info,) = [f for f in findings if f.code == "SHP200"]
    sizes = re.findall(r"(\d+)x(\d+)x(\d+)", info.message)
    assert sizes, info.message
    for d, h, w in sizes:
        assert _runs(src, "Video", (1, 2, int(d), int(h), int(w)))
    assert not _runs(src, "Video", (1, 2, 5, 5, 5))  # 4 * 3 * 3 * 3 = 108 features, not 96


# ---------------------------------------------------------------------------- the solver over random stacks


def _conv_len(L, k, s, p):  # torch's Conv2d formula (dilation 1)
    return (L + 2 * p - k) // s + 1


def _pool_len(L, k, s):  # torch's MaxPool2d formula (padding 0, floor mode)
    return (L - k) // s + 1


def _random_stack(rng):
    layers, code = [], []
    cin = 2
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.6:
            k, s, p = rng.choice([1, 3, 5]), rng.choice([1, 1, 2]), rng.choice([0, 0, 1])
            cout = rng.choice([2, 3, 4])
            code.append(f"nn.Conv2d({cin}, {cout}, {k}, stride={s}, padding={p})")
            layers.append(("conv", k, s, p))
            cin = cout
        else:
            k = rng.choice([2, 3])
            code.append(f"nn.MaxPool2d({k})")
            layers.append(("pool", k, k, 0))
    return layers, code, cin


def _flat_size(layers, c, h, w):
    for kind, k, s, p in layers:
        f = (lambda L: _conv_len(L, k, s, p)) if kind == "conv" else (lambda L: _pool_len(L, k, s))
        h, w = f(h), f(w)
        if h < 1 or w < 1:
            return None
    return c * h * w


def test_solver_verdicts_match_the_formulas_on_random_stacks():
    import random

    rng = random.Random(7)
    checked_unsat = checked_sat = 0
    for case in range(40):
        layers, code, c = _random_stack(rng)
        if case % 2:
            h, w = rng.randint(6, 60), rng.randint(6, 60)
            n = _flat_size(layers, c, h, w) or 7
        else:
            n = rng.randint(5, 400)
        src = HEAD + (
            "class Net(nn.Module):\n"
            "    def __init__(self):\n        super().__init__()\n"
            f"        self.body = nn.Sequential({', '.join(code)})\n"
            f"        self.fc = nn.Linear({n}, 2)\n\n"
            "    def forward(self, x):\n"
            "        return self.fc(self.body(x).flatten(1))\n"
        )
        findings = check_source("r.py", src).findings
        errors = [f for f in findings if f.severity == "error"]
        accepted = {(a, b) for a in range(1, 97) for b in range(1, 97) if _flat_size(layers, c, a, b) == n}
        if errors:
            assert [f.code for f in errors] == ["SHP002"], (code, n, [f.message for f in errors])
            assert not accepted, (code, n, sorted(accepted)[:3])  # an error must mean no size works
            checked_unsat += 1
        infos = [f for f in findings if f.code == "SHP200"]
        for f in infos:
            for a, b in re.findall(r"(\d+)x(\d+)", f.message):
                assert (int(a), int(b)) in accepted or _flat_size(layers, c, int(a), int(b)) == n, (code, n, f.message)
            checked_sat += 1
    assert checked_unsat >= 5 and checked_sat >= 5, (checked_unsat, checked_sat)


AUDIO = HEAD + (
    "class Audio(nn.Module):\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv1d(1, 8, 9, stride=4)\n"
    "        self.conv2 = nn.Conv1d(8, 16, 5, padding=1)\n"
    "        self.fc = nn.Linear(16 * 20, 3)\n\n"
    "    def forward(self, x):\n"
    "        x = F.max_pool1d(F.relu(self.conv1(x)), 2)\n"
    "        x = F.relu(self.conv2(x))\n"
    "        return self.fc(x.view(x.size(0), -1))\n"
)


@pytest.mark.torch
def test_one_dimensional_model_without_input_names_the_exact_lengths():
    (info,) = [f for f in check_source("audio.py", AUDIO).findings if f.code == "SHP200"]
    m = re.search(r"L in (\d+)\.\.(\d+)", info.message)
    assert m, info.message
    lo, hi = int(m.group(1)), int(m.group(2))
    model = load(AUDIO).Audio()
    runs = set()
    for n in range(lo - 40, hi + 40):
        try:
            model(torch.zeros(1, 1, n))
            runs.add(n)
        except RuntimeError:
            pass
    assert runs == set(range(lo, hi + 1))  # exactly the lengths torch accepts nearby
