"""Elementwise functions with a floating-point result (torch.log2, x.log1p(), torch.reciprocal, ...,
as SwinV2's log-spaced coordinate table uses): the input's shape, and a float dtype even for an
integer input, as torch promotes it. Each case runs in torch."""

import pytest

from shapelint.engine.check import check_source
from shapelint.torch.float_unary import FLOAT_RESULT
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


# inputs inside every function's domain, so torch runs each (the shapes do not depend on it)
_SAFE = "(x.sigmoid() * 0.5 + 0.25)"


@pytest.mark.parametrize("name", FLOAT_RESULT)
def test_the_function_keeps_the_shape_torch_gives(name):
    arg = f"({_SAFE} + 1.5)" if name in ("acosh", "arccosh") else _SAFE
    src = _model(f"torch.{name}({arg}) + {arg}.{name}()", (2, 3, 4))
    outcome = run_model(src, "M", [2, 3, 4])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output


def test_an_integer_input_gives_a_float_tensor_that_indexes_no_table():
    # torch.log2 of an arange is float: using it as an index raises in torch; shapelint must not
    # treat it as an integer index with a shape (it stays unknown or is an error, never a shape)
    src = _model("torch.zeros(4, 5)[torch.log2(torch.arange(1, 5))]", (2, 3))
    assert run_model(src, "M", [2, 3]).verdict == "crash"
    report, _ = _lint(src)
    assert report.output is None


def test_a_table_built_with_log2_has_torchs_shape():
    src = _model("x + (torch.sign(torch.arange(-3, 4).float()) * torch.log2(torch.arange(-3, 4).abs() + 1.0)).view(1, 7)",
                 (2, 7))
    outcome = run_model(src, "M", [2, 7])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output
