"""Constructor arguments no layer's shape reads (bias, eps, momentum, inplace, negative_slope):
one that shapelint cannot evaluate (`bias=use_bias` of a condition it does not decide, as the
CycleGAN code's `norm_layer == nn.InstanceNorm2d` on a functools.partial) leaves the layer's
output shape known and equal to torch's, its shape errors still found; its `.bias` stays unknown
(never None, never a guessed tensor), so `if self.conv.bias is not None` is not decided wrongly."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import os\nimport torch\nimport torch.nn as nn\n\nFLAG = os.environ.get('SHAPELINT_NEVER_SET') is None\n\n"

LAYERS = {  # layer, input
    "conv_bias": ("nn.Conv2d(3, 4, 3, bias=FLAG)", (2, 3, 8, 8)),
    "conv_transpose_bias": ("nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1, bias=FLAG)", (2, 3, 5, 7)),
    "linear_bias": ("nn.Linear(6, 5, FLAG)", (2, 7, 6)),
    "layernorm_eps": ("nn.LayerNorm(6, eps=1e-5 if FLAG else 1e-6, bias=FLAG)", (2, 7, 6)),
    "batchnorm_momentum": ("nn.BatchNorm2d(3, momentum=0.1 if FLAG else None, eps=1e-3 if FLAG else 1e-5)", (2, 3, 4, 4)),
    "leaky_relu": ("nn.LeakyReLU(0.2 if FLAG else 0.1, inplace=FLAG)", (2, 3, 4)),
    "relu_inplace": ("nn.ReLU(inplace=FLAG)", (2, 3)),
}


def _model(layer, dims, forward="return self.layer(x)"):
    return HEAD + (
        f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.layer = {layer}\n\n"
        f"    def forward(self, x):\n        {forward}\n"
    )


def _report(src):
    (report,) = [m for m in check_source("m.py", src, explain=True).models if m.name == "M"]
    return report, [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_an_unknown_shape_free_argument_keeps_torchs_output_shape(name):
    layer, dims = LAYERS[name]
    src = _model(layer, dims)
    outcome = run_model(src, "M", list(dims))
    assert outcome.verdict == "ok", outcome.error
    report, errors = _report(src)
    assert errors == []
    assert report.output == outcome.output


def test_a_too_small_input_is_still_an_error_with_the_bias_unknown():
    src = _model("nn.Conv2d(3, 4, 5, bias=FLAG)", (2, 3, 4, 4))
    assert run_model(src, "M", [2, 3, 4, 4]).verdict != "ok"
    _, errors = _report(src)
    assert [f.code for f in errors] == ["SHP005"]


@pytest.mark.parametrize("layer", ["nn.Conv2d(3, 4, 3, bias=FLAG)", "nn.Linear(3, 4, bias=FLAG)"])
def test_the_bias_of_an_unknown_flag_is_unknown_not_none(layer):
    # torch: FLAG is True here, the bias exists and the model adds 1; a None bias would take the other branch
    src = _model(layer, (2, 3, 5, 5) if "Conv" in layer else (2, 3),
                 "return x.flatten(1) if self.layer.bias is None else self.layer(x)")
    dims = [2, 3, 5, 5] if "Conv" in layer else [2, 3]
    outcome = run_model(src, "M", dims)
    assert outcome.verdict == "ok", outcome.error
    report, errors = _report(src)
    assert errors == []
    assert report.output in (None, outcome.output)
