"""Forms of eager model code around TorchScript and old-style base calls: `torch.jit.is_scripting()`
and `torch.jit.is_tracing()` are False (the model runs as Python), `torch.jit.annotate(List[Tensor],
[])` and `typing.cast(T, v)` are their value, and `nn.Module.__init__(self)` /
`nn.Sequential.__init__(self, *layers)` do what `super().__init__(...)` does. Each model runs in
torch: shapes and parameter counts are torch's."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import typing\nfrom typing import List\nimport torch\nimport torch.nn as nn\n\n"


def _report(src, name="M"):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == name]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


SCRIPTING = HEAD + '''class M(nn.Module):  # shapelint: input=(2, 4, 6, 6)
    def __init__(self):
        nn.Module.__init__(self)
        self.convs = nn.ModuleList([nn.Conv2d(4, 4, 1) for _ in range(3)])
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        outs = torch.jit.annotate(List[torch.Tensor], [])
        for conv in self.convs:
            x = conv(x)
            outs.append(x)
        if torch.jit.is_scripting() or torch.jit.is_tracing():
            return outs[0]
        y = typing.cast(torch.Tensor, torch.cat(outs, 1))
        return self.pool(y).flatten(1)
'''

SEQUENTIAL = HEAD + '''class Stem(nn.Sequential):
    def __init__(self, c):
        nn.Sequential.__init__(self, nn.Conv2d(3, c, 3, 2, 1), nn.BatchNorm2d(c), nn.ReLU())


class M(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super(M, self).__init__()
        self.stem = Stem(6)
        self.head = nn.Conv2d(6, 2, 1)

    def forward(self, x):
        return self.head(self.stem(x))
'''


@pytest.mark.parametrize("src,dims", [(SCRIPTING, [2, 4, 6, 6]), (SEQUENTIAL, [2, 3, 8, 8])], ids=["jit", "sequential"])
def test_the_model_has_torchs_shape_and_counts(src, dims):
    outcome = run_model(src, "M", dims)
    assert outcome.verdict == "ok", outcome.error
    report, errors = _report(src)
    assert errors == [] and report.output == outcome.output
    ns = {}
    exec(compile(src, "m.py", "exec"), ns)
    model = ns["M"]()
    assert report.summary["total"]["params"] == sum(p.numel() for p in model.parameters())


def test_a_base_init_of_another_class_is_not_followed():
    src = HEAD + '''class M(nn.Module):
    def __init__(self):
        nn.Sequential.__init__(self, nn.Linear(3, 4))

    def forward(self, x):
        return x
'''
    report, errors = _report(src)
    assert errors == []
