"""`Tensor.unfold(dimension, size, step)` (patch extraction in vision models): the dim becomes the
window count and the window size is appended, as torch gives; where torch raises (a window longer
than the dim, a step below 1, a dim out of range) or the dim is not a known size, unknown and no
error. Each case runs in torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(expr, dims):
    return HEAD + (f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
                   f"    def forward(self, x):\n        return {expr}\n")


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


RUNS = [
    ("x.unfold(2, 4, 4)", (2, 3, 16, 16)),
    ("x.unfold(2, 4, 4).unfold(3, 4, 4)", (2, 3, 16, 16)),
    ("x.unfold(-1, 3, 2)", (2, 3, 7, 9)),
    ("x.unfold(1, 5, 1)", (2, 5, 4)),
    ("x.unfold(dimension=2, size=2, step=3)", (1, 2, 8)),
    ("x.unfold(2, 4, 4).unfold(3, 4, 4).contiguous().view(2, 3, -1, 16).flatten(2)", (2, 3, 16, 12)),
]


@pytest.mark.parametrize("expr,dims", RUNS)
def test_unfold_has_torchs_shape(expr, dims):
    src = _model(expr, dims)
    outcome = run_model(src, "M", list(dims))
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output


@pytest.mark.parametrize("expr,dims", [
    ("x.unfold(2, 9, 1)", (2, 3, 8)),  # window longer than the dim
    ("x.unfold(2, 2, 0)", (2, 3, 8)),  # step must be positive
    ("x.unfold(3, 2, 1)", (2, 3, 8)),  # dim out of range
])
def test_where_torch_raises_it_is_unknown_and_no_error_is_invented(expr, dims):
    src = _model(expr, dims)
    assert run_model(src, "M", list(dims)).verdict == "crash"
    report, errors = _lint(src)
    assert errors == [] and report.output is None


def test_a_symbolic_dim_stays_unknown():
    report, errors = _lint(HEAD + "class M(nn.Module):\n    def forward(self, x):\n        return x.unfold(0, 2, 1)\n")
    assert errors == [] and report.output is None
