"""A size a layer keeps unchanged (a 1x1 conv, `padding="same"`) is named by the layer that made
it, the one whose stride chose it, with the keeping layer as a related location
(torch/kernels.py: kept_or_made). The oracle is torch: the residual sum below fails, and its
8x8 side is made by the stride-2 conv, not by the 1x1 conv after it."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

RESIDUAL = """import torch.nn as nn


class Down(nn.Module):  # shapelint: input=(2, 8, 16, 16)
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(8, 8, 3, padding=1)
        self.proj = nn.Conv2d(8, 16, 1)
        self.b = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.c = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        x = self.stem(x)
        return self.proj(x) + self.c(self.b(x))
"""


def _line(text):
    (n,) = [i for i, ln in enumerate(RESIDUAL.splitlines(), 1) if text in ln]
    return n


@pytest.mark.torch
def test_a_size_kept_by_a_1x1_conv_is_named_by_the_strided_conv_that_made_it(tmp_path):
    import torch
    from torch_oracle import load

    with pytest.raises(RuntimeError, match=r"The size of tensor a \(16\) must match the size of tensor b \(8\)"):
        load(RESIDUAL).Down()(torch.zeros(2, 8, 16, 16))
    p = tmp_path / "m.py"
    p.write_text(RESIDUAL)
    (d,) = [x for x in json.loads(run_cli("--isolated", "--format", "json", str(p)).stdout) if x["severity"] == "error"]
    assert d["code"] == "SHP006" and d["line"] == _line("return self.proj(x)")
    b, c, stem, proj = (_line(t) for t in ("self.b = ", "self.c = ", "self.stem = ", "self.proj = "))
    assert f"8 on the right (b output, line {b})" in d["message"], d["message"]
    assert f"16 on the left (stem output, line {stem})" in d["message"], d["message"]
    keeps = {x["line"]: x["message"] for x in d["related"] if "keeps the size unchanged" in x["message"]}
    assert keeps == {c: "c keeps the size unchanged here", proj: "proj keeps the size unchanged here"}, d["related"]
