"""F.batch_norm / F.instance_norm (and torch.batch_norm): the input's shape where torch runs, as
NFNet's weight standardization needs (`F.batch_norm(w.reshape(1, out, -1), None, None, ...)`
feeding F.conv2d); unknown, with no error, wherever torch raises (per-channel tensors of another
size, missing running statistics in evaluation mode, one value per channel). Each case runs in
torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"


def _model(expr, dims):
    return HEAD + (
        f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
        "    def forward(self, x):\n"
        f"        return {expr}\n"
    )


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    return report, errors


RUNS = [
    ("F.batch_norm(x, None, None, training=True)", (2, 4, 3)),
    ("F.batch_norm(x, torch.zeros(4), torch.ones(4))", (2, 4, 5, 5)),
    ("F.batch_norm(x, None, None, weight=torch.ones(4, 1), bias=torch.zeros(4), training=True)", (3, 4)),
    ("torch.batch_norm(x, torch.ones(3), None, None, None, True, 0.1, 1e-5, False)", (2, 3, 2)),
    ("torch.batch_norm(x, None, None, torch.zeros(3), torch.ones(3), False, 0.1, 1e-5, False)", (2, 3, 2)),
    ("torch.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False)", (2, 3, 2)),
    ("F.batch_norm(x.reshape(1, 6, -1), None, None, weight=torch.ones(6), training=True, momentum=0.0)", (1, 6, 3, 3)),
    ("F.instance_norm(x)", (2, 4, 5)),
    ("F.instance_norm(x, use_input_stats=True)", (1, 3, 2, 2)),
    ("F.conv2d(x, F.batch_norm(torch.ones(8, 3, 3, 3).reshape(1, 8, -1), None, None, training=True).reshape(8, 3, 3, 3))",
     (2, 3, 6, 6)),
]


@pytest.mark.parametrize("expr,dims", RUNS)
def test_the_normalized_tensor_has_torchs_shape(expr, dims):
    src = _model(expr, dims)
    outcome = run_model(src, "M", list(dims))
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output


RAISES = [
    ("F.batch_norm(x, None, None)", (2, 4, 3)),  # evaluation mode needs running statistics
    ("F.batch_norm(x, None, None, training=True)", (1, 4)),  # one value per channel
    ("F.batch_norm(x, None, None, weight=torch.ones(3), training=True)", (2, 4, 3)),
    ("F.batch_norm(x, torch.zeros(3), torch.ones(3))", (2, 4, 3)),
    ("F.instance_norm(x)", (2, 4)),
    ("F.instance_norm(x)", (2, 4, 1)),
    ("F.instance_norm(x, weight=torch.ones(3))", (2, 4, 5)),
    # torch's own order puts weight second: four values for three channels
    ("torch.batch_norm(x, torch.ones(4), None, torch.zeros(3), torch.ones(3), False, 0.1, 1e-5, False)", (2, 3, 2)),
    ("torch.batch_norm(x, None, None, None, None, False, 0.1, 1e-5, False)", (2, 3, 2)),
]


@pytest.mark.parametrize("expr,dims", RAISES)
def test_where_torch_raises_the_result_is_unknown_and_no_error_is_invented(expr, dims):
    src = _model(expr, dims)
    assert run_model(src, "M", list(dims)).verdict == "crash"
    report, errors = _lint(src)
    assert errors == [] and report.output is None


def test_with_nothing_declared_a_batch_alone_may_be_one_value_per_channel_so_it_stays_unknown():
    report, errors = _lint(HEAD + "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                           "        self.fc = nn.Linear(3, 4)\n\n    def forward(self, x):\n"
                           "        return F.batch_norm(self.fc(x.view(-1, 3)), None, None, training=True)\n")
    assert errors == [] and report.output is None
