"""A view with -1 after the batch, on a declared input, against real torch: an SHP003 error exactly
when the values cannot fill the other sizes (the declared batch counts as known: 2 samples of 256
values cannot be viewed as (2, 12, -1)), none when they can."""

from __future__ import annotations

import json
import os
import tempfile

import pytest
from conftest import run_cli
from torch_oracle import run_model

pytestmark = pytest.mark.torch

SOURCE = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.c(x).{call}
"""

CASES = [
    ((2, 3, 8, 8), "view(2, 12, -1)"), ((2, 3, 8, 8), "view(2, 16, -1)"), ((2, 3, 8, 8), "view(2, -1, 3)"),
    ((2, 3, 8, 8), "reshape(2, 4, -1, 8)"), ((2, 3, 6, 6), "view(2, 4, -1, 5)"), ((4, 3, 6, 6), "view(4, 6, -1)"),
    ((2, 3, 5, 5), "view(x.size(0), 7, -1)"),
]


@pytest.mark.parametrize("inp, call", CASES, ids=[f"{i}-{c}" for i, c in CASES])
def test_view_verdict_is_torchs(inp, call):
    source = SOURCE.format(call=call)
    real = run_model(source, "Net", list(inp))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        proc = run_cli("--isolated", "--exit-zero", "--format", "json", "--input-shape", f"Net={','.join(map(str, inp))}", path)
    errors = [(e["code"], e["line"]) for e in json.loads(proc.stdout) if e["severity"] == "error"]
    assert errors == ([] if real.verdict == "ok" else [("SHP003", 10)]), (errors, real.verdict, real.error)


def test_both_verdicts_are_exercised():
    verdicts = {run_model(SOURCE.format(call=c), "Net", list(i)).verdict for i, c in CASES}
    assert {"ok", "crash"} <= verdicts
