"""Parameter defaults are evaluated once, where `def` or `lambda` runs (Python's rule), and
`for row in t` visits t's first dimension; each against torch.

NeRF's positional encoder builds `lambda x, p_fn=p_fn, freq=freq: p_fn(x * freq)` in a loop
over a frequency tensor: each lambda keeps its own p_fn and freq (the defaults bind at creation;
the closure names would all see the last). A nested `def f(x, k=k)` likewise. Iterating a
tensor whose first dimension is a known int gives that many tensors of the remaining shape;
over an unknown (batch) dimension, the loop is not unrolled (unknown, never a guess).
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n\n"

ENCODER = HEAD + '''
class Encoder:
    def __init__(self, dims=3, n_freqs=4):
        self.fns = [lambda x: x]
        self.out_dim = dims
        for freq in 2.0 ** torch.linspace(0.0, n_freqs - 1, steps=n_freqs):
            for fn in (torch.sin, torch.cos):
                self.fns.append(lambda x, fn=fn, freq=freq: fn(x * freq))
                self.out_dim += dims

    def __call__(self, x):
        return torch.cat([f(x) for f in self.fns], -1)


class Net(nn.Module):  # shapelint: input=(16, 3)
    def __init__(self):
        super().__init__()
        self.enc = Encoder()
        self.fc = nn.Linear(self.enc.out_dim, 8)

    def forward(self, x):
        return self.fc(self.enc(x))
'''

# a nested def's default is the value when `def` ran, not the loop's last
NESTED_DEF = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 12)
    def __init__(self):
        super().__init__()
        self.widths = []
        fns = []
        for k in (2, 3, 4):
            def take(x, k=k):
                return x[:, :k]
            fns.append(take)
        self.fns = fns
        self.fc = nn.Linear(2 + 3 + 4, 5)

    def forward(self, x):
        return self.fc(torch.cat([f(x) for f in self.fns], 1))
'''

# late binding: without the default every lambda sees the last k (4): the width is 12, not 9
LATE_BINDING = NESTED_DEF.replace("def take(x, k=k):\n                return x[:, :k]\n            fns.append(take)",
                                  "fns.append(lambda x: x[:, :k])").replace("nn.Linear(2 + 3 + 4, 5)", "nn.Linear(12, 5)")

ROWS = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 6)
    def __init__(self):
        super().__init__()
        self.register_buffer("table", torch.zeros(3, 6))
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        for row in self.table:
            x = x + row
        parts = [r.unsqueeze(0) for r in self.table]
        first, *rest = torch.zeros(4, 2, 6)
        return self.fc(x + first.sum(0)) * len(parts) * len(rest)
'''


@pytest.mark.parametrize("src,shape", [(ENCODER, (16, 3)), (NESTED_DEF, (2, 12)), (LATE_BINDING, (2, 12)), (ROWS, (2, 6))],
                         ids=["nerf_encoder", "nested_def", "late_binding", "rows"])
def test_shapes_equal_torchs(src, shape):
    import torch

    want = list(load(src, "m.py").Net()(torch.zeros(*shape)).shape)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    assert report.output == want


def test_the_defaults_change_the_width_torch_sees():
    enc = load(ENCODER, "m.py").Encoder()
    assert enc.out_dim == 3 + 4 * 2 * 3
    import torch

    assert load(LATE_BINDING, "m.py").Net().fns[0](torch.zeros(1, 12)).shape[1] == 4  # the last k, for every lambda


def test_a_loop_over_the_batch_dimension_is_not_unrolled():
    src = ROWS.replace("for row in self.table:", "for row in x:").replace("x = x + row", "x = x + row.sum()")
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    assert report.output is None
