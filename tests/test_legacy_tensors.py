"""torch.Tensor / torch.FloatTensor / torch.LongTensor, the legacy constructors, against real torch:
sizes given as ints make a tensor of those sizes, a list makes a tensor of its data (EDSR's
MeanShift: `torch.Tensor(rgb_std)`); the shape must be torch's, the dtype too."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
import torch
from conftest import run_cli
from torch_oracle import run_model

pytestmark = pytest.mark.torch

SOURCE = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        t = {expr}
        return self.c(x) + t.float().sum() * 0 + x.new_zeros(t.shape).sum() * 0
"""

CASES = ["torch.Tensor(4, 3)", "torch.Tensor([0.4, 0.5, 0.6])", "torch.Tensor([[1, 2], [3, 4]])",
         "torch.FloatTensor((1.0, 2.0))", "torch.LongTensor([1, 2, 3])", "torch.Tensor()", "torch.Tensor(2, 0, 5)"]


@pytest.mark.parametrize("expr", CASES)
def test_legacy_constructor_shape_is_torchs(expr):
    source = SOURCE.format(expr=expr)
    assert run_model(source, "Net", [2, 3, 4, 4]).verdict == "ok"
    real = tuple(eval(expr, {"torch": torch}).shape)  # noqa: S307 - the oracle: torch itself on a fixed expression
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json", "--input-shape", "Net=2,3,4,4", path)
    model = next(m for m in json.loads(proc.stdout)["models"] if m["class"] == "Net")
    op = expr.split("(")[0]
    (row,) = [r for r in model["layers"] if r["op"] == op]
    assert row["out"] == list(real), (row, real)
    assert model["output"] == [2, 3, 4, 4]
