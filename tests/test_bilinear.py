"""nn.Bilinear and F.bilinear against real torch (2.13, small CPU tensors).

torch's rule, asked of torch here: both inputs of one rank, their leading dims equal (no
broadcasting, a size 1 raises too), input1's last dim in1_features, input2's in2_features;
the output is input1's leading dims and out_features. Every snippet below is run by torch
(tests/torch_oracle.py): a correct one must be clean with torch's shapes in --explain, one
torch rejects must be an error at the line that holds the wrong number. Parameters are
`sum(p.numel() for p in m.parameters())`; MACs FlopCounterMode's FLOPs / 2 (torch counts 0
for aten._trilinear, which Bilinear runs).
"""

import pytest

from shapelint.engine.check import check_source
from shapelint.frontends.fix import splice
from torch_oracle import declared_targets, forward_arguments, load, run_declared

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"


def _model(decl, ctor, call, extra="", head="self.head = nn.Identity()"):
    """A model whose forward calls `self.bil` as `call` (on x1 and x2) then `self.head`."""
    return HEAD + f'''
class Net(nn.Module):  # shapelint: {decl}
    def __init__(self):
        super().__init__()
        self.bil = {ctor}
        {head}
{extra}
    def forward(self, x1, x2):
        return self.head({call})
'''


CORRECT = {
    "batched 2-D": _model("x1=(2, 3), x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "self.bil(x1, x2)"),
    "tokens 3-D": _model("x1=(2, 7, 3), x2=(2, 7, 4)", "nn.Bilinear(3, 4, 5)", "self.bil(x1, x2)",
                         head="self.head = nn.Linear(5, 2)"),
    "4-D, no bias": _model("x1=(2, 3, 2, 6), x2=(2, 3, 2, 4)", "nn.Bilinear(6, 4, 1, bias=False)", "self.bil(x1, x2)"),
    "keywords": _model("x1=(3, 3), x2=(3, 4)", "nn.Bilinear(in1_features=3, in2_features=4, out_features=2)",
                       "self.bil(input1=x1, input2=x2)"),
    "same tensor twice": _model("x1=(4, 5), x2=(4, 6)", "nn.Bilinear(5, 5, 3)", "self.bil(x1, x1)"),
    "F.bilinear with the layer's weight": _model(
        "x1=(2, 3), x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "F.bilinear(x1, x2, self.bil.weight, self.bil.bias)"),
    "F.bilinear with a weight of its own": _model(
        "x1=(2, 7, 3), x2=(2, 7, 4)", "nn.Linear(3, 3)", "F.bilinear(self.bil(x1), x2, self.w, self.b)",
        extra="        self.w = nn.Parameter(torch.randn(6, 3, 4))\n        self.b = nn.Parameter(torch.zeros(6))\n"),
    "torch.bilinear by keywords": _model(
        "x1=(2, 3), x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "torch.bilinear(input1=x1, input2=x2, weight=self.bil.weight)"),
}


def _lint(src):
    (report,) = [m for m in check_source("bil.py", src, explain=True).models if m.name == "Net"]
    return report, [f for f in check_source("bil.py", src).findings if f.severity == "error"]


def _torch(src):
    return run_declared(src, "Net", declared_targets(src)["Net"])


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_a_model_torch_runs_is_clean_with_torchs_shapes(name):
    src = CORRECT[name]
    outcome = _torch(src)
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output
    seen = {}
    for row in report.layers:
        if row.module is not None:
            seen.setdefault(row.module, []).append(row.out)
    for module, shapes in outcome.shapes.items():
        assert seen.get(module) == shapes, (module, seen.get(module), shapes)


FEATURES = [  # (constructor, x1 dims, x2 dims, the wrong parameter, its value, what arrives)
    ("nn.Bilinear(6, 4, 5)", "(2, 3)", "(2, 4)", "in1_features", 6, 3),
    ("nn.Bilinear(3, 9, 5)", "(2, 3)", "(2, 4)", "in2_features", 9, 4),
    ("nn.Bilinear(3, 9, 5)", "(2, 7, 3)", "(2, 7, 4)", "in2_features", 9, 4),
    ("nn.Bilinear(in1_features=3, in2_features=4, out_features=2)", "(2, 3)", "(2, 5)", "in2_features", 4, 5),
]


@pytest.mark.parametrize("ctor, d1, d2, param, expected, actual", FEATURES)
def test_a_features_mismatch_is_an_error_at_the_argument(ctor, d1, d2, param, expected, actual):
    src = _model(f"x1={d1}, x2={d2}", ctor, "self.bil(x1, x2)")
    outcome = _torch(src)
    assert f"input{param[2]} size does not match weight size: got {actual} but expected {expected}" in outcome.error
    _, errors = _lint(src)
    assert [f.code for f in errors] == ["SHP002"]
    (f,) = errors
    assert f.line == src.splitlines().index(f"        self.bil = {ctor}") + 1
    assert f"expects {expected} input features ({param}) but receives {actual}" in f.message
    assert f"use {param}={actual}" in f.message and "the model input" in f.message
    assert f.fix == f"Set {param}={actual}" and [e.text for e in f.edits] == [str(actual)]
    fixed = splice(src, f.edits)
    assert _torch(fixed).verdict == "ok" and _lint(fixed)[1] == []  # the fix is torch's fix


def test_the_incoming_size_names_the_layer_that_made_it():
    src = _model("x1=(2, 8), x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "self.bil(self.proj(x1), x2)",
                 extra="        self.proj = nn.Linear(8, 6)\n")
    assert _torch(src).verdict == "crash"
    _, (f,) = _lint(src)
    assert f.code == "SHP002" and "receives 6 (proj out_features=6" in f.message and "use in1_features=6" in f.message


LEADING = [  # (x1 dims, x2 dims, what torch says)
    ("(2, 3)", "(1, 4)", "input batch dimensions do not match at dim 0: got 2 and 1"),
    ("(2, 7, 3)", "(2, 1, 4)", "input batch dimensions do not match at dim 1: got 7 and 1"),
    ("(2, 7, 3)", "(7, 4)", "input dimensions do not match: got 3 and 2"),
    ("(3,)", "(2, 4)", "input dimensions do not match: got 1 and 2"),
    ("(2, 7, 6)", "(2, 9)", "input dimensions do not match: got 3 and 2"),  # in1 wrong too: torch names the ranks first
]


@pytest.mark.parametrize("d1, d2, torch_says", LEADING)
def test_leading_dims_that_differ_are_an_error_at_the_call(d1, d2, torch_says):
    src = _model(f"x1={d1}, x2={d2}", "nn.Bilinear(3, 4, 5)", "self.bil(x1, x2)")
    outcome = _torch(src)
    assert outcome.verdict == "crash" and torch_says in outcome.error
    report, errors = _lint(src)
    assert [f.code for f in errors] == ["SHP006"]  # one finding: torch raises on the first
    assert errors[0].line == src.splitlines().index("        return self.head(self.bil(x1, x2))") + 1
    assert report.output is None


def test_0d_inputs_are_a_rank_error():
    src = _model("x1=(2, 3), x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "self.bil(x1.sum(), x2.sum())")
    assert "IndexError: Dimension specified as -1 but tensor has no dimensions" in _torch(src).error
    _, errors = _lint(src)
    assert [f.code for f in errors] == ["SHP009"]


def test_a_bias_of_another_size_is_an_error_as_torch_raises():
    src = CORRECT["F.bilinear with a weight of its own"].replace("torch.zeros(6)", "torch.zeros(5)")
    assert "bias size does not match weight size: got 5 but expected 6" in _torch(src).error
    _, errors = _lint(src)
    assert [f.code for f in errors] == ["SHP006"] and "the bias has 5 values" in errors[0].message


def test_an_integer_input_is_unknown_not_a_shape():
    """torch checks the dtypes before the shapes: a long input raises whatever its shape."""
    src = _model("x1=(2, 3):long, x2=(2, 4)", "nn.Bilinear(3, 4, 5)", "self.bil(x1, x2)")
    assert "must have the same dtype" in _torch(src).error
    report, errors = _lint(src)
    assert errors == [] and report.output is None


# ---------------------------------------------------------------------------- parameters and MACs


def _torch_counts(src):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model = load(src, "bil.py").Net()
    kwargs = forward_arguments(model, declared_targets(src)["Net"])
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(**kwargs)
    rows = {n: sum(p.numel() for p in m.parameters()) for n, m in model.named_modules() if n}
    return rows, sum(p.numel() for p in model.parameters()), counter.get_total_flops()


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_parameters_and_macs_equal_torchs(name):
    src = CORRECT[name]
    rows, total, flops = _torch_counts(src)
    summary = _lint(src)[0].summary
    assert {r["module"]: r["params"] for r in summary["modules"]} == rows
    assert summary["total"]["params"] == total
    assert summary["total"]["macs"] is not None and 2 * summary["total"]["macs"] == flops
    assert all(r["macs"] == 0 for r in summary["modules"] if r["kind"] == "Bilinear")


def test_flop_counter_counts_a_bilinear_as_zero():
    """The measurement behind Bilinear's 0 MACs (params.ZERO_MAC), with gradients too."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    m = torch.nn.Bilinear(3, 4, 5)
    x1 = torch.randn(8, 2, 3, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        m(x1, torch.randn(8, 2, 4)).sum().backward()
        torch.nn.functional.bilinear(torch.randn(3), torch.randn(4), m.weight)
    assert counter.get_total_flops() == 0


# ---------------------------------------------------------------------------- Sequential and arity


SEQUENTIAL = HEAD + '''
class Net(nn.Module):  # shapelint: x1=(2, 3), x2=(2, 4)
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Bilinear(3, 4, 5))

    def forward(self, x1, x2):
        return self.body(x1, x2)
'''


@pytest.mark.parametrize("call", ["self.body(x1, x2)", "self.body(x1)", "self.body[0](x1)", "self.body[0](x1, x2, x2)"])
def test_a_call_torch_refuses_for_its_arity_is_unknown_not_an_error(call):
    """nn.Sequential.forward takes one input, Bilinear.forward two: torch raises TypeError,
    which no rule reports; the output is unknown, never a shape."""
    src = SEQUENTIAL.replace("self.body(x1, x2)", call)
    outcome = _torch(src)
    assert outcome.verdict == "crash" and outcome.error.startswith("TypeError")
    report, errors = _lint(src)
    assert errors == [] and report.output is None


def test_a_sequential_of_linears_called_with_two_inputs_has_no_shape():
    src = SEQUENTIAL.replace("nn.Sequential(nn.Bilinear(3, 4, 5))", "nn.Sequential(nn.Linear(3, 5))")
    assert _torch(src).error.startswith("TypeError")
    report, errors = _lint(src)
    assert errors == [] and report.output is None and report.summary["total"]["macs"] is None


def test_a_bilinear_in_a_sequential_called_as_torch_allows_has_torchs_shapes():
    src = SEQUENTIAL.replace("nn.Sequential(nn.Bilinear(3, 4, 5))", "nn.Sequential(nn.Linear(3, 3), nn.ReLU())").replace(
        "        super().__init__()\n", "        super().__init__()\n        self.bil = nn.Bilinear(3, 4, 5)\n").replace(
        "self.body(x1, x2)", "self.bil(self.body(x1), x2)")
    outcome = _torch(src)
    report, errors = _lint(src)
    assert outcome.verdict == "ok" and errors == [] and report.output == outcome.output == [2, 5]


# ---------------------------------------------------------------------------- nothing declared


def _undeclared(src):
    return src.replace("  # shapelint: x1=(2, 3), x2=(2, 4)", "").replace("  # shapelint: input=(2, 3)", "")


SELF = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 3)
    def __init__(self):
        super().__init__()
        self.bil = nn.Bilinear(3, 3, 5)

    def forward(self, x):
        return self.bil(x, x)
'''


def test_with_nothing_declared_a_first_bilinear_invents_no_rank():
    report, errors = _lint(_undeclared(SELF))
    assert errors == [] and report.output == ["B", 5]
    # the guess (B, 3) is a guess: torch runs the model on inputs of any rank ending in 3
    import torch
    for shape in [(3,), (2, 3), (2, 7, 3), (2, 1, 7, 3)]:
        assert load(SELF, "bil.py").Net()(torch.randn(*shape)).shape == shape[:-1] + (5,)


def test_with_nothing_declared_an_error_holds_for_every_input():
    import torch
    src = SELF.replace("nn.Bilinear(3, 3, 5)", "nn.Bilinear(3, 4, 5)")
    _, errors = _lint(_undeclared(src))
    assert [f.code for f in errors] == ["SHP002"] and "in2_features" in errors[0].message
    for shape in [(3,), (2, 3), (2, 7, 3), (2, 7, 4), (2, 1, 4)]:  # the input is both inputs: in1 != in2 always raises
        with pytest.raises(RuntimeError):
            load(src, "bil.py").Net()(torch.randn(*shape))


def test_with_nothing_declared_two_inputs_stay_unknown():
    report, errors = _lint(_undeclared(CORRECT["batched 2-D"]))
    assert errors == [] and report.output is None
    assert [r.inp for r in report.layers if r.module == "bil"] == [None]  # x1 not given a rank



def test_a_call_by_keywords_shows_its_first_input():
    src = CORRECT["keywords"]
    report, _ = _lint(src)
    (row,) = [r for r in report.layers if r.module == "bil"]
    assert row.inp == [3, 3]  # x1, as declared (torch's input1)
