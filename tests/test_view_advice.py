"""A view/reshape that is wrong: the code follows torch, the advice follows the cause (issue 16.5).

- torch raises (`shape '[-1, 64]' is invalid for input of size 200`): SHP003, also with a `-1`
  and a declared batch; never SHP004 (which claims the view runs and mixes samples);
- torch runs and moves values between samples: SHP004;
- a view that keeps the leading dims and splits the last one after a Linear (the fused qkv
  projection) is fixed in the Linear (`Linear(dim, 3 * dim)`), not by a flatten.
Each case is run with real torch first.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

HEAD = "import torch.nn as nn\n\n\n"


def view_model(shape, call):
    dims = ", ".join(map(str, shape))
    return (HEAD + f"class Net(nn.Module):  # shapelint: input=({dims})\n"
            f"    def forward(self, x):\n        return {call}\n"), list(shape)


CASES = [  # (input, the view, torch's verdict, shapelint's code)
    ((2, 100), "x.view(-1, 64)", "crash", "SHP003"),  # 200 values, rows of 64
    ((4, 100), "x.view(-1, 50)", "batch-changed", "SHP004"),  # 8 rows of 50
    ((2, 10), "x.view(7, -1)", "crash", "SHP003"),  # 20 values, 7 rows
    ((2, 12), "x.view(3, -1)", "batch-changed", "SHP004"),  # 3 rows of 8
    ((2, 4, 8), "x.reshape(-1, 3, 8)", "crash", "SHP003"),  # 64 values, blocks of 24
    ((2, 4, 8), "x.reshape(-1, 2, 8)", "batch-changed", "SHP004"),  # 4 blocks of 16
]


def errors(src):
    return [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("shape,call,verdict,code", CASES, ids=[c[1] + str(c[0]) for c in CASES])
def test_a_view_that_cannot_fit_is_shp003_and_one_that_mixes_samples_is_shp004(shape, call, verdict, code):
    src, dims = view_model(shape, call)
    outcome = run_model(src, "Net", dims)
    assert outcome.verdict == verdict, outcome.error
    found = errors(src)
    assert [f.code for f in found] == [code], [(f.code, f.message) for f in found]
    if code == "SHP003":
        total = 1
        for d in shape:
            total *= d
        assert f"({total} values)" in found[0].message and "not divisible" in found[0].message


QKV = HEAD + """\
class Attention(nn.Module):
    def __init__(self, dim, num_heads=4):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 2)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).view(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        x = ((q @ k.transpose(-2, -1)).softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Net(nn.Module):  # shapelint: input=(2, 5, 32)
    def __init__(self):
        super().__init__()
        self.attn = Attention(32)

    def forward(self, x):
        return self.attn(x)
"""


@pytest.mark.torch
def test_a_qkv_split_after_a_linear_advises_the_linear_not_a_flatten():
    assert run_model(QKV, "Net", [2, 5, 32]).verdict == "crash"  # 640 values, (2, 5, 3, 4, 8) needs 960
    assert run_model(QKV.replace("dim * 2", "3 * dim"), "Net", [2, 5, 32]).verdict == "ok"  # the advice works
    found = errors(QKV)
    assert [f.code for f in found] == ["SHP003"], [(f.code, f.message) for f in found]
    msg = found[0].message
    assert "gives 64 features" in msg and "need 96" in msg and "Linear(dim, 3 * dim)" in msg, msg
    assert "flatten" not in msg


MERGE = HEAD + """\
class Net(nn.Module):  # shapelint: input=(2, 10, 4, 8)
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(32, 32)

    def forward(self, x):
        B, T = x.shape[0], x.shape[1]
        return self.proj(x.reshape(B, T, 8))
"""


@pytest.mark.torch
def test_a_merge_of_the_last_dims_names_the_size_that_fits():
    assert run_model(MERGE, "Net", [2, 10, 4, 8]).verdict == "crash"
    assert run_model(MERGE.replace("reshape(B, T, 8)", "reshape(B, T, 32)"), "Net", [2, 10, 4, 8]).verdict == "ok"
    found = errors(MERGE)
    assert [f.code for f in found] == ["SHP003"]
    assert "(4, 8) holds 32 values: use 32 as the last size" in found[0].message, found[0].message


ANY_BATCH = HEAD + """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, SIZE)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x)).flatten(1)).view(-1, ROW)
"""


@pytest.mark.torch
def test_with_nothing_declared_a_view_that_fits_only_some_batches_is_shp003():
    src = ANY_BATCH.replace("SIZE", "10").replace("ROW", "4")
    assert run_model(src, "Net", [1, 3, 8, 8]).verdict == "crash"  # 10 values, rows of 4
    assert run_model(src, "Net", [2, 3, 8, 8]).verdict == "batch-changed"  # 20 values: 5 rows
    found = errors(src)
    assert [f.code for f in found] == ["SHP003"], [(f.code, f.message) for f in found]
    assert "only when B is a multiple of 2" in found[0].message, found[0].message


@pytest.mark.torch
def test_with_nothing_declared_a_view_that_always_fits_and_mixes_samples_is_shp004():
    src = ANY_BATCH.replace("SIZE", "12").replace("ROW", "6")
    for b in (1, 2, 3):
        assert run_model(src, "Net", [b, 3, 8, 8]).verdict == "batch-changed"  # 2*B rows of 6
    assert [f.code for f in errors(src)] == ["SHP004"]
