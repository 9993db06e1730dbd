"""`convT(x, output_size=...)` as torch resolves it: the output padding that reaches the requested
size, which must lie in [min, min + stride - 1] (else torch raises ValueError); the size may carry
the batch and channel dims (`skip.size()`). Before, the argument was ignored: (2, 6, 9, 9) stated
where torch gives (2, 6, 10, 10)."""

import pytest
import torch

from shapelint.engine.check import check_source

pytestmark = pytest.mark.torch

CASES = [
    ("nn.ConvTranspose2d(3, 6, 3, stride=2)", "self.m(x, output_size=(10, 10))", (2, 3, 4, 4)),
    ("nn.ConvTranspose2d(3, 6, 3, stride=2)", "self.m(x, output_size=[2, 6, 9, 10])", (2, 3, 4, 4)),
    ("nn.ConvTranspose2d(3, 6, 3, stride=2, output_padding=1)", "self.m(x, (9, 9))", (2, 3, 4, 4)),
    ("nn.ConvTranspose1d(3, 6, 4, stride=3, padding=1)", "self.m(x, output_size=[14])", (2, 3, 5)),
    ("nn.ConvTranspose1d(3, 6, 4, stride=3, padding=1)", "self.m(x, output_size=[12])", (2, 3, 5)),
    ("nn.ConvTranspose3d(3, 2, 2, stride=2)", "self.m(x, output_size=(4, 5, 4))", (1, 3, 2, 2, 2)),
    ("nn.ConvTranspose2d(3, 6, 3, stride=2, padding=1)", "self.m(x, output_size=x.new_zeros(2, 6, 8, 7).size())", (2, 3, 4, 4)),
    ("nn.ConvTranspose2d(3, 6, 3, stride=2)", "self.m(x, output_size=(11, 10))", (2, 3, 4, 4)),  # above the range
    ("nn.ConvTranspose2d(3, 6, 3, stride=2)", "self.m(x, output_size=(8, 10))", (2, 3, 4, 4)),  # below it
]


@pytest.mark.parametrize("layer,expr,shape", CASES, ids=[c[1] for c in CASES])
def test_the_output_size_is_torchs(layer, expr, shape):
    src = ("import torch\nimport torch.nn as nn\n\n"
           f"class Net(nn.Module):  # shapelint: input={shape}\n    def __init__(self):\n        super().__init__()\n"
           f"        self.m = {layer}\n\n    def forward(self, x):\n        return {expr}\n")
    ns = {}
    exec(src, ns)  # noqa: S102 - our own grid
    try:
        want = list(ns["Net"]()(torch.randn(*shape)).shape)
    except ValueError:
        want = None  # torch refuses the size: nothing is stated (and no finding: not a rule of its own yet)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"]
    assert result.models[0].output == want
