"""`expand` / `expand_as` against real torch: the output shape when torch accepts, and an SHP006
error exactly where torch raises because a size that is not 1 would have to change (an SSD-style
L2Norm whose weight, `unsqueeze`d to (1, C, 1, 1), is expanded over a map of other channels)."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from conftest import run_cli
from torch_oracle import run_model

pytestmark = pytest.mark.torch

# (the parameter's shape, the input's shape, the call on the parameter)
CASES = [
    ((1, 32, 1, 1), (2, 64, 4, 4), "expand_as(x)"),
    ((1, 64, 1, 1), (2, 64, 4, 4), "expand_as(x)"),
    ((64, 1), (2, 64, 4), "expand_as(x)"),
    ((3,), (2, 4), "expand_as(x)"),
    ((1,), (2, 5), "expand_as(x)"),
    ((2, 1), (2, 4), "expand(-1, 4)"),
    ((2, 1), (2, 4), "expand(4, -1)"),
    ((3,), (2, 4), "expand(2, 3)"),
    ((3,), (2, 4), "expand(2, 5)"),
    ((2, 3), (2, 4), "expand(x.size(0), 3)"),
    ((5, 3), (2, 4), "expand(x.size(0), 3)"),
]

SOURCE = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros({shape}))

    def forward(self, x):
        return self.w.{call}
"""


@pytest.mark.parametrize("shape, inp, call", CASES, ids=[f"{s}-{i}-{c}" for s, i, c in CASES])
def test_expand_is_torchs(shape, inp, call):
    source = SOURCE.format(shape=", ".join(map(str, shape)), call=call)
    real = run_model(source, "Net", list(inp))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json",
                       "--input-shape", f"Net={','.join(map(str, inp))}", path)
    data = json.loads(proc.stdout)
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    output = next(m for m in data["models"] if m["class"] == "Net")["output"]
    if real.verdict == "ok":
        assert not errors, errors
        assert output is None or output == list(real.output), (output, real.output)
    else:
        assert real.verdict == "crash", real.verdict  # every case keeps the batch (2) first
        assert output is None
        assert [(e["code"], e["line"]) for e in errors] == [("SHP006", 11)], (errors, real.error)


def test_every_case_torch_accepts_gets_a_known_shape():
    """Not vacuous: the rule knows the accepted shapes (each one above)."""
    known = 0
    for shape, inp, call in CASES:
        source = SOURCE.format(shape=", ".join(map(str, shape)), call=call)
        if run_model(source, "Net", list(inp)).verdict == "ok":
            known += 1
    assert known >= 6
