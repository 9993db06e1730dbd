"""An int index past the end of a known list, tuple or string raises IndexError, as Python does:
YOLOv5's `Detect(nc=80, anchors=(), ch=())` checked with its defaults stops at `len(anchors[0])`
(no SHP003 for the `torch.tensor(anchors).view(self.nl, -1, 2)` Python never reaches), while
the Detect a model builds with anchors keeps torch's shapes; a handler of the IndexError runs."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SRC = '''import torch
import torch.nn as nn


class Detect(nn.Module):
    def __init__(self, nc=80, anchors=(), ch=()):
        super().__init__()
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.register_buffer("anchors", torch.tensor(anchors).float().view(self.nl, -1, 2))
        self.m = nn.ModuleList(nn.Conv2d(x, (nc + 5) * self.na, 1) for x in ch)

    def forward(self, x):
        return torch.cat([m(xi).flatten(1) for m, xi in zip(self.m, x)], 1)


class Model(nn.Module):  # shapelint: input=(2, 4, 8, 8)
    def __init__(self, widths=(4, 6)):
        super().__init__()
        try:
            extra = widths[2]
        except IndexError:
            extra = 2
        self.down = nn.Conv2d(4, 6, 3, 2, 1)
        self.detect = Detect(extra, ((10, 13, 16, 30), (30, 61, 62, 45)), widths)

    def forward(self, x):
        return self.detect([x, self.down(x)])
'''


def test_an_index_past_the_end_raises_as_python_does():
    import torch

    mod = load(SRC, "m.py")
    with pytest.raises(IndexError):
        mod.Detect()
    want = tuple(mod.Model()(torch.zeros(2, 4, 8, 8)).shape)
    result = check_source("m.py", SRC, explain=True)
    assert not [f for f in result.findings if f.severity == "error"]
    report = next(r for r in result.models if r.name == "Model")
    assert tuple(report.output) == want == (2, 14 * 64 + 14 * 16)
