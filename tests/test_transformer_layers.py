"""Attention and Transformer blocks, checked against torch.

The models in fixtures/transformers.py run in torch; every named submodule torch's
hooks see (down to each block's linear1/norm2/dropout) must have the same static
shape. Broken variants must be flagged exactly when torch fails.
"""

import os

import pytest

from shapelint.engine.check import check_source
from torch_oracle import declared_inputs, run_model

pytestmark = pytest.mark.torch  # every test compares with real torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "fixtures", "transformers.py")
SOURCE = open(PATH).read()
TARGETS = sorted(declared_inputs(SOURCE).items())


@pytest.mark.parametrize("target,shape", TARGETS, ids=[t for t, _ in TARGETS])
def test_every_submodule_matches_torch(target, shape):
    oracle = run_model(SOURCE, target, shape, filename=PATH)
    assert oracle.verdict == "ok", oracle.error
    result = check_source(PATH, SOURCE, explain=True)
    assert [f.message for f in result.findings if f.severity == "error"] == []
    model = next(m for m in result.models if m.name == target)
    rows = {}
    for row in model.layers:
        if row.module is not None:
            rows.setdefault(row.module, []).append(row.out)
    assert len(oracle.shapes) >= 5
    for name, outs in oracle.shapes.items():
        assert rows.get(name) == outs, f"{name}: static {rows.get(name)} vs torch {outs}"


BROKEN = {
    "d_model_mismatch": ("self.proj = nn.Linear(32, d_model)", "self.proj = nn.Linear(32, 24)", "SHP002"),
    "heads_do_not_divide": ("nn.MultiheadAttention(d_model, heads, batch_first=True)", "nn.MultiheadAttention(d_model, 5, batch_first=True)", "SHP007"),
    "kdim_mismatch": ("self.memory = nn.Linear(24, 40)", "self.memory = nn.Linear(24, 41)", "SHP002"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_flagged_exactly_when_torch_fails(name):
    old, new, code = BROKEN[name]
    assert old in SOURCE
    src = SOURCE.replace(old, new)
    outcomes = [run_model(src, t, s, filename=PATH) for t, s in declared_inputs(src).items()]
    assert any(o.verdict == "crash" for o in outcomes)
    errors = [f for f in check_source(PATH, src).findings if f.severity == "error"]
    assert code in {f.code for f in errors}, [(f.code, f.message) for f in errors]
    # reported at the mutated line, or at the consumer whose message traces it back there
    bad_line = next(i for i, line in enumerate(src.splitlines(), 1) if new in line)
    assert any(f.line == bad_line or f"line {bad_line}" in f.message for f in errors), [f.message for f in errors]
