"""Weight tying with tensors of another shape than the layer's own, against torch: nn.Embedding
and nn.Linear compute with the Parameter they hold now (F.embedding(x, self.weight) /
F.linear(x, self.weight, self.bias)), so a tied embedding takes the head's width, and a head
given the embedding's table takes that table's input width. Before, such a layer's output was
unknown, so torch's error at the next op (the positional add of a too wide embedding) was missed.
Parameter totals count the tied Parameter once, as `model.parameters()` does.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: idx=(2, 5):long
    def __init__(self, vocab=11, n_embd=16, head_in=HEAD_IN, table_dim=TABLE_DIM):
        super().__init__()
        self.wte = nn.Embedding(vocab, table_dim)
        self.wpe = nn.Embedding(8, n_embd)
        self.lm_head = nn.Linear(head_in, vocab, bias=False)
        TIE

    def forward(self, idx):
        pos = torch.arange(idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        return self.lm_head(x)
'''

CASES = [  # head_in, table_dim, the tie
    (16, 16, "self.wte.weight = self.lm_head.weight"),
    (17, 16, "self.wte.weight = self.lm_head.weight"),  # the embedding becomes 17 wide: the add raises
    (8, 16, "self.lm_head.weight = self.wte.weight"),  # the head computes with (11, 16): it runs
    (16, 12, "self.lm_head.weight = self.wte.weight"),  # (11, 12) table: the add raises first
    (16, 8, "self.wte.weight = self.lm_head.weight"),  # (11, 16) head weight: the table becomes 16 wide
]


def _run_torch(src):
    import torch

    model = load(src, "m.py").Net()
    try:
        out = model(torch.randint(0, 11, (2, 5)))
    except RuntimeError:
        return None, None
    return list(out.shape), sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("head_in,table_dim,tie", CASES)
def test_tied_layers_compute_with_the_tensor_they_hold(head_in, table_dim, tie):
    src = SNIPPET.replace("HEAD_IN", str(head_in)).replace("TABLE_DIM", str(table_dim)).replace("TIE", tie)
    result = check_source("m.py", src, explain=True)
    errors = [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    shape, params = _run_torch(src)
    if shape is None:
        assert errors and all(f.code == "SHP006" for f in errors), [f.message for f in errors]  # at the add, or the size it names
    else:
        assert not errors and report.output == shape and report.summary["total"]["params"] == params
