"""SHP016 positional-embedding-too-short, against real torch (issue 11.5).

A learned table (nn.Parameter / buffer of shape (1, N, D)) added to T > N tokens, and an
nn.Embedding(N, D) indexed by torch.arange(T) with T > N, fail in torch; shapelint reports
SHP016 naming N and T, only when both are known. Each case runs in torch first
(tests/test_ops_vs_torch.py's harness); the fixtures of fixtures/modern/ are the models.
"""

import pytest

from shapelint.engine.check import check_source
from test_ops_vs_torch import Case, _source, _static, _torch_answer

TABLE = "self.pos = nn.Parameter(torch.zeros(1, 16, 32))"
BUFFER = "self.register_buffer('pe', torch.zeros(1, 16, 32))"
WPE = "self.wpe = nn.Embedding(8, 32)"

CASES = [
    # (case, (N, T) when torch raises, else None)
    (Case("x + self.pos", "x=(2, 16, 32)", init=TABLE), None),
    (Case("x + self.pos", "x=(2, 17, 32)", init=TABLE), (16, 17)),
    (Case("self.pos + x", "x=(2, 20, 32)", init=TABLE), (16, 20)),
    (Case("x + self.pos[:, : x.size(1)]", "x=(2, 9, 32)", init=TABLE), None),
    (Case("x + self.pos[:, : x.size(1)]", "x=(2, 24, 32)", init=TABLE), (16, 24)),
    (Case("x + self.pe[:, : x.shape[1]]", "x=(2, 18, 32)", init=BUFFER), (16, 18)),
    (Case("x + self.pos", "x=(2, 1, 32)", init=TABLE), None),  # one token broadcasts over the table
    (Case("self.wpe(torch.arange(0, t.size(1)))", "t=(2, 8):long", init=WPE), None),
    (Case("self.wpe(torch.arange(0, t.size(1)))", "t=(2, 12):long", init=WPE), (8, 12)),
    (Case("self.wpe(torch.arange(t.size(1), dtype=torch.long).unsqueeze(0))", "t=(2, 9):long", init=WPE), (8, 9)),
    (Case("self.wpe(torch.arange(0, t.size(1)).view(1, -1))", "t=(2, 5):long", init=WPE), None),
    (Case("F.embedding(torch.arange(10), self.wpe.weight)", "t=(2, 5):long", init=WPE), (8, 10)),
    # positions computed from an arange are new values: no bound is kept (never a false alarm)
    (Case("self.wpe(torch.arange(16) // 2)", "t=(2, 5):long", init=WPE), None),
    (Case("self.wpe(torch.arange(16).narrow(0, 0, 8))", "t=(2, 5):long", init=WPE), None),
    (Case("self.wpe(torch.clamp(torch.arange(12), max=7))", "t=(2, 5):long", init=WPE), None),
    (Case("self.wpe(torch.arange(12).clamp_(max=7))", "t=(2, 5):long", init=WPE), None),
    (Case("self.wpe(torch.arange(4, 12) - 4)", "t=(2, 5):long", init=WPE), None),
    (Case("self.wpe(torch.arange(2, 10, 2))", "t=(2, 5):long", init=WPE), (8, 9)),  # the largest position is 8: 9 needed
]


@pytest.mark.torch
@pytest.mark.parametrize("case,numbers", CASES, ids=[f"{c.expr} | {c.inputs}" for c, _ in CASES])
def test_positional_table_flagged_exactly_when_torch_fails(case, numbers):
    source = _source(case)
    torch_out = _torch_answer(source, case)
    output, errors = _static(source)
    if numbers is None:
        assert torch_out is not None, "torch runs this case"
        assert errors == [], [(f.code, f.message) for f in errors]
        assert output == torch_out
        return
    assert torch_out is None, "torch raises for this case"
    assert [f.code for f in errors] == ["SHP016"], [(f.code, f.message) for f in errors]
    have, need = numbers
    assert f"holds {have} positions but the sequence has {need}" in errors[0].message, errors[0].message


def test_no_finding_when_the_sequence_length_is_unknown():
    src = ("import torch\nimport torch.nn as nn\n\n\n"
           "class Tokens(nn.Module):\n"
           "    def __init__(self):\n        super().__init__()\n"
           "        self.pos = nn.Parameter(torch.zeros(1, 16, 32))\n        self.wpe = nn.Embedding(8, 32)\n\n"
           "    def forward(self, x):\n"
           "        return x + self.pos + self.wpe(torch.arange(x.size(1)))\n")
    assert [f for f in check_source("tokens.py", src).findings if f.severity == "error"] == []
