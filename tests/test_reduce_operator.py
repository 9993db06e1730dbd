"""`functools.reduce` with operator's functions or a lambda, and operator.add / mul / ... called
directly (a flattened width as `reduce(operator.mul, dims, 1)`, a tensor sum as
`reduce(operator.add, feats)`): Python's fold, with tensors following torch's broadcasting; an
iterable not known stays unknown. Each model runs in torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import functools\nimport operator\nfrom functools import reduce\nimport torch\nimport torch.nn as nn\n\n"


def _model(width, forward="return self.fc(x.flatten(1))", dims=(2, 4, 3, 2)):
    return HEAD + (
        f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
        "    def __init__(self, dims=(4, 3, 2)):\n        super().__init__()\n"
        f"        self.fc = nn.Linear({width}, 5)\n\n"
        f"    def forward(self, x):\n        {forward}\n"
    )


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.parametrize("width", [
    "reduce(operator.mul, dims, 1)",
    "functools.reduce(operator.mul, dims)",
    "reduce(lambda a, b: a * b, list(dims))",
    "operator.add(operator.mul(4, 5), 4)",
    "operator.floordiv(48, 2)",
])
def test_a_width_folded_with_reduce_has_torchs_shape(width):
    src = _model(width)
    outcome = run_model(src, "M", [2, 4, 3, 2])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output


def test_tensors_folded_with_operator_add_broadcast_as_in_torch():
    src = _model("24", forward="return reduce(operator.add, [x, x[:, :1], x * 2]).flatten(1)")
    outcome = run_model(src, "M", [2, 4, 3, 2])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output == [2, 24]


def test_a_wrong_folded_width_is_the_error_torch_raises():
    src = _model("reduce(operator.mul, dims[1:], 1)")
    assert run_model(src, "M", [2, 4, 3, 2]).verdict == "crash"
    assert [f.code for f in _lint(src)[1]] == ["SHP002"]


def test_reduce_of_an_empty_iterable_without_initial_raises_so_it_is_unknown():
    src = _model("reduce(operator.mul, [])")
    assert run_model(src, "M", [2, 4, 3, 2]).verdict == "crash"
    report, errors = _lint(src)
    assert errors == [] and report.output is None
