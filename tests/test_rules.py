"""Every rule's VALID and INVALID examples, checked by shapelint and by real torch.

The examples live beside the rule (shapelint/rules.py) and double as its docs; here
torch is the oracle that each INVALID example really fails (or changes the batch)
and each VALID one really runs.
"""

import pytest

from shapelint.engine.check import check_source
from shapelint.core.rules import REGISTRY
from torch_oracle import declared_inputs, run_model

EXAMPLES = [
    (code, kind, i, src)
    for code, rule in sorted(REGISTRY.items())
    if not code.startswith("SHP4")  # architecture rules: models that run; tests/test_arch_rules.py
    for kind, srcs in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for i, src in enumerate(srcs)
]


def _errors(src):
    return [f for f in check_source("example.py", src).findings if f.severity == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("code,kind,i,src", EXAMPLES, ids=[f"{c}-{k}-{i}" for c, k, i, _ in EXAMPLES])
def test_rule_example(code, kind, i, src):
    (target, shape), = declared_inputs(src).items()
    torch_result = run_model(src, target, shape)
    errors = _errors(src)
    if kind == "valid":
        assert torch_result.verdict == "ok", torch_result.error
        assert errors == [], [f.message for f in errors]
    else:
        assert torch_result.verdict in ("crash", "batch-changed")
        assert [f.code for f in errors] == [code], [(f.code, f.message) for f in errors]


def test_every_error_rule_has_examples():
    for code, rule in REGISTRY.items():
        if rule.severity == "error" and int(code[3:]) < 100:
            assert rule.VALID and rule.INVALID, code
