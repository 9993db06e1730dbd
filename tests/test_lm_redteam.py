"""Constructs of public transformer/LLM code that once gave a false alarm, a missed error or an
unknown (found by the fixtures of fixtures/modern/ written for issue 11's red team), each against
real torch: the static output equals torch's, is unknown where the case says so, and an error is
reported exactly where torch raises."""

import re
from typing import NamedTuple

import pytest

from shapelint.engine.check import check_source


class Case(NamedTuple):
    expr: str
    inputs: str  # the declaration, DECISIONS.md syntax
    unknown: bool = False  # torch runs; shapelint must say unknown (and report nothing)
    head: str = ""  # extra module-level lines (imports)


HEAD = "import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

CASES = [
    # np.newaxis is None (Whisper's sinusoids): it adds a dim and consumes none
    Case("torch.arange(x.size(1))[:, np.newaxis] * x[0][np.newaxis, :]", "x=(2, 5)"),
    Case("x[:, :, np.newaxis]", "x=(2, 5)"),
    Case("x[np.newaxis, ..., np.newaxis]", "x=(2, 5)"),
    # an index object shapelint does not evaluate is unknown, never counted as a dim (a false SHP012)
    Case("x[0][:, newaxis, newaxis] + x[0][newaxis, :]", "x=(2, 5)", unknown=True, head="from numpy import newaxis\n"),
    # GPT-2's Conv1D: torch.addmm(bias, x.view(-1, nx), weight), both matrices 2-D, the bias expands
    Case("torch.addmm(b, x.view(-1, x.size(-1)), w)", "x=(2, 3, 4), b=(5,), w=(4, 5)"),
    Case("torch.addmm(b, x.view(-1, x.size(-1)), w).view(x.size()[:-1] + (5,))", "x=(2, 3, 4), b=(5,), w=(4, 5)"),
    Case("torch.addmm(b, x, w, beta=0.5, alpha=2.0)", "x=(3, 4), b=(3, 1), w=(4, 5)"),
    Case("b.addmm(x, w)", "x=(3, 4), b=(3, 5), w=(4, 5)"),
    Case("torch.addmm(b, x, w)", "x=(3, 4), b=(5,), w=(3, 5)"),  # 4 != 3: torch raises
    Case("torch.addmm(b, x, w)", "x=(2, 3, 4), b=(5,), w=(4, 5)"),  # mat1 is 3-D: torch raises
    Case("torch.addmm(b, x, w)", "x=(3, 4), b=(2, 5), w=(4, 5)"),  # the bias cannot expand to (3, 5)
    Case("torch.addmm(b, x, w)", "x=(3, 4), b=(1, 3, 5), w=(4, 5)"),  # nor a 3-D one
    # a fill value shapelint cannot know (HF's mask value) leaves torch.full's shape known
    Case("torch.where(m, x, torch.full([], torch.finfo(x.dtype).min, dtype=x.dtype))", "x=(2, 3, 4, 4), m=(1, 1, 4, 4):bool"),
    Case("torch.full((x.size(1), 2), torch.finfo(x.dtype).min) + x[0, :, :2]", "x=(2, 3, 4)"),
    # the name Ellipsis is `...` (the Perceiver's Fourier features: scales[(*((None,) * k), Ellipsis)])
    Case("t[(*((None,) * (len(x.shape) - 1)), Ellipsis)] * x[..., None]", "x=(2, 3, 5), t=(4,)"),
    Case("x[Ellipsis, 0]", "x=(2, 3, 5)"),
    # sequence-first models slice a position table by x.size(0) (the first declared dim)
    Case("x + p[:x.size(0), :]", "x=(5, 2, 4), p=(9, 1, 4)"),
    Case("p[:x.size(0)]", "x=(5, 2, 4), p=(9, 4)"),
    Case("p[:x.size(0)]", "x=(12, 2, 4), p=(9, 4)", unknown=True),  # the table is shorter: torch gives 9 rows
    Case("x[:, 0] + p[0:x.shape[0], 0]", "x=(5, 4), p=(9, 3, 4)"),
]


def _source(case: Case) -> str:
    names = re.findall(r"(\w+)\s*=\s*\(", case.inputs)
    return (HEAD + case.head + "\n\n" + f"class M(nn.Module):  # shapelint: {case.inputs}\n"
            f"    def forward(self, {', '.join(names)}):\n        return {case.expr}\n")


def _torch_output(source: str):
    from torch_oracle import declared_targets, run_declared

    out = run_declared(source, "M", declared_targets(source)["M"])
    return None if out.verdict == "crash" else out.outputs[0]


def _static(source: str):
    result = check_source("m.py", source, explain=True)
    (model,) = [m for m in result.models if m.name == "M"]
    return model.output, [f for f in result.findings if f.severity == "error"]


def test_an_item_assignment_into_a_tensor_keeps_its_shape():
    """`pe[:, 0::2] = torch.sin(...)` (sinusoidal tables): in place, the shape is unchanged (a pin: it held already)."""
    source = (HEAD + "\n\nclass M(nn.Module):  # shapelint: x=(2, 6, 8)\n"
              "    def __init__(self):\n        super().__init__()\n        pe = torch.zeros(6, 8)\n"
              "        pe[:, 0::2] = torch.sin(torch.arange(6.0)[:, None] * torch.ones(4))\n"
              "        pe[:, 1::2] = 1.0\n        self.register_buffer('pe', pe)\n\n"
              "    def forward(self, x):\n        return x + self.pe\n")
    assert _static(source) == ([2, 6, 8], [])
    assert _torch_output(source) == [2, 6, 8]


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[f"{c.expr} | {c.inputs}" for c in CASES])
def test_construct_matches_torch(case):
    source = _source(case)
    expected = _torch_output(source)
    output, errors = _static(source)
    if expected is None:
        assert errors, f"torch raises; shapelint reports nothing (output {output})"
        return
    assert errors == [], [(f.code, f.message) for f in errors]
    if not case.unknown:
        assert output == expected
    elif output is not None:  # unknown in part: the rank and every known size are torch's
        assert len(output) == len(expected) and any(not isinstance(d, int) for d in output), output
        assert all(d == e for d, e in zip(output, expected) if isinstance(d, int)), (output, expected)


SDPA = "F.scaled_dot_product_attention"
ATTENTION = [
    # the batch and head dims of q, k, v broadcast (a known size may meet a 1) or torch raises
    Case(f"{SDPA}(x, k, k)", "x=(2, 5, 6, 8), k=(2, 4, 6, 8)"),  # 5 query heads, 4 key heads: a wrong kv-head count
    Case(f"{SDPA}(x, k, k, is_causal=True)", "x=(2, 6, 6, 8), k=(2, 4, 6, 8)"),
    Case(f"{SDPA}(x, k, x)", "x=(3, 4, 6, 8), k=(2, 4, 6, 8)"),  # batch 3 vs 2
    Case(f"{SDPA}(x, k, k)", "x=(2, 4, 6, 8), k=(2, 1, 6, 8)", unknown=True),  # broadcasts on the math path
    Case(f"{SDPA}(x, k, k)", "x=(2, 4, 6, 8), k=(4, 6, 8)", unknown=True),
    Case(f"{SDPA}(x, k.repeat_interleave(2, dim=1), k.repeat_interleave(2, dim=1))", "x=(2, 4, 6, 8), k=(2, 2, 6, 8)"),
    Case(f"{SDPA}(x, k.repeat_interleave(3, dim=1), k.repeat_interleave(3, dim=1))", "x=(2, 4, 6, 8), k=(2, 2, 6, 8)"),
    Case(f"{SDPA}(x, k, k, enable_gqa=True)", "x=(2, 4, 6, 8), k=(2, 2, 6, 8)"),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", ATTENTION, ids=[f"{c.expr} | {c.inputs}" for c in ATTENTION])
def test_attention_heads_match_torch(case):
    test_construct_matches_torch(case)


ALIBI = '''
def slopes(n):
    def power_of_2(k):
        start = 2 ** (-(2 ** -(math.log2(k) - 3)))
        return [start * start ** i for i in range(k)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + power_of_2(2 * closest)[0::2][: n - closest]


class M(nn.Module):  # shapelint: x=(2, HEADS, 5, 5)
    def __init__(self):
        super().__init__()
        self.register_buffer("m", torch.tensor(slopes(HEADS)))

    def forward(self, x):
        return x + self.m[:, None, None]
'''


@pytest.mark.torch
@pytest.mark.parametrize("heads,bad", [(8, False), (6, False), (12, False), (6, True)])
def test_float_is_integer_decides_alibi_slopes(heads, bad):
    """`math.log2(n).is_integer()` is evaluated: ALiBi's slope count is known for any head count
    (a power of two or not), and a count that differs from the heads is torch's broadcast error."""
    source = "import math\n" + HEAD + ALIBI.replace("x=(2, HEADS", f"x=(2, {heads + bad}").replace("HEADS", str(heads))
    output, errors = _static(source)
    expected = _torch_output(source)
    if bad:
        assert expected is None and errors
    else:
        assert (output, errors) == (expected, [])


NONZERO = [  # the count of nonzero elements is one opaque size; the other dims are torch's
    Case("torch.where(m)[1]", "m=(4, 5):bool"),
    Case("x[torch.where(c == 1)[0]]", "x=(6, 3), c=(6, 2):long"),
    Case("x[m[:, 1].nonzero(as_tuple=True)[0], :]", "x=(6, 3), m=(6, 4):long"),
    Case("m.nonzero()", "m=(4, 5, 2):bool"),
    Case("torch.nonzero(m)", "m=(4, 5):long"),
    Case("torch.argwhere(m)", "m=(3, 5):bool"),
    Case("x[torch.where(c == 1)[0]] * w[torch.where(c == 1)[0], torch.where(c == 1)[1], None]",
         "x=(6, 3), c=(6, 2):long, w=(6, 2)", unknown=True),  # two calls: two counts shapelint cannot equate
]


@pytest.mark.torch
@pytest.mark.parametrize("case", NONZERO, ids=[f"{c.expr} | {c.inputs}" for c in NONZERO])
def test_nonzero_count_is_one_opaque_size(case):
    source = _source(case)
    expected = _torch_output(source)
    output, errors = _static(source)
    assert errors == [] and expected is not None
    if case.unknown:
        assert output is None or not all(isinstance(d, int) for d in output)
        return
    assert output is not None and len(output) == len(expected)
    unknown = [i for i, d in enumerate(output) if not isinstance(d, int)]
    assert len(unknown) == 1, output
    assert [d for i, d in enumerate(output) if i not in unknown] == [d for i, d in enumerate(expected) if i not in unknown]


def test_indices_of_one_call_share_their_count():
    """`token, slot = torch.where(chosen == i)`: both index tensors have the same length, so the
    gathered rows and their weights broadcast (a Mixtral router) instead of going unknown."""
    case = Case("x[t] * w[t, s][:, None]", "x=(6, 3), c=(6, 2):long, w=(6, 2)")
    source = _source(case).replace("        return x[t]", "        t, s = torch.where(c == 1)\n        return x[t]")
    output, errors = _static(source)
    expected = _torch_output(source)
    assert errors == [] and expected is not None
    assert output is not None and output[1:] == expected[1:] and not isinstance(output[0], int)
