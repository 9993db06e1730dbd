"""One finding per defect for views that cannot hold their values (issue 16.5, SHP003).

An attention block that views q, k and v with the same wrong sizes (`view(B, N, self.heads,
self.head_dim)` with 8 heads of 5 for a width of 36, or `view(B, T, self.n_head, -1)` with 8 heads
that do not divide 36, or `rearrange(q, "b n (h d) -> b h n d", h=self.heads)`) has one defect:
torch (einops) raises at the first one, and one change fixes all three. shapelint reports one SHP003 at the first view, naming the others ("also at lines ...")
with each as a related location. The `-1` view is an error for every input: 36*B*T values never
split into rows of 8*B*T (a ratio of 4.5), so it is found with nothing declared too.
"""

import json
import textwrap

import pytest
from conftest import run_cli

LITERAL = textwrap.dedent("""\
    import torch.nn as nn
    import torch.nn.functional as F


    class Attention(nn.Module):
        def __init__(self, dim=36, heads=8):
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.heads = heads
            self.head_dim = 5

        def forward(self, x):
            B, N, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = q.view(B, N, self.heads, self.head_dim).transpose(1, 2)
            k = k.view(B, N, self.heads, self.head_dim).transpose(1, 2)
            v = v.view(B, N, self.heads, self.head_dim).transpose(1, 2)
            return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, N, C)
    """)
LITERAL_GOOD = LITERAL.replace("heads=8", "heads=6").replace("self.head_dim = 5", "self.head_dim = 6")
HOLE = LITERAL.replace("self.head_dim)", "-1)")
HOLE_GOOD = HOLE.replace("heads=8", "heads=6")
EINOPS = textwrap.dedent("""\
    import torch.nn as nn
    from einops import rearrange


    class Attention(nn.Module):
        def __init__(self, dim=36, heads=8):
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.heads = heads

        def forward(self, x):
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = rearrange(q, "b n (h d) -> b h n d", h=self.heads)
            k = rearrange(k, "b n (h d) -> b h n d", h=self.heads)
            v = rearrange(v, "b n (h d) -> b h n d", h=self.heads)
            return (q @ k.transpose(-2, -1)).softmax(-1) @ v
    """)


def _lines(source, call="{t} = {t}.view("):
    return [next(i for i, ln in enumerate(source.splitlines(), 1) if call.format(t=t) in ln) for t in "qkv"]


def _errors(tmp_path, name, source, *args):
    path = tmp_path / name
    path.write_text(source)
    proc = run_cli("--isolated", "--format", "json", *args, str(path))
    assert proc.returncode in (0, 1), proc.stderr
    return [d for d in json.loads(proc.stdout) if d["severity"] == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("declared", [True, False])
def test_three_views_with_the_same_wrong_sizes_are_one_finding(tmp_path, declared):
    from torch_oracle import run_model

    q_line, k_line, v_line = _lines(LITERAL)
    outcome = run_model(LITERAL, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome  # torch raises at q's view only
    assert run_model(LITERAL_GOOD, "Attention", [2, 4, 36]).verdict == "ok"
    args = ("--input-shape", "Attention=2,4,36") if declared else ()
    errors = _errors(tmp_path, "literal.py", LITERAL, *args)
    assert [(e["code"], e["line"]) for e in errors] == [("SHP003", q_line)], [e["message"] for e in errors]  # it was 3
    (e,) = errors
    # by arithmetic: 8 heads of 5 are 40 values per position, the width holds 36
    assert "multiply to 40, but (36) holds 36 values" in e["message"], e["message"]
    assert e["message"].endswith(f"(also at lines {k_line} and {v_line})"), e["message"]
    assert {k_line, v_line} <= {r["line"] for r in e["related"]}
    assert _errors(tmp_path, "literal_good.py", LITERAL_GOOD, *args) == []


@pytest.mark.torch
@pytest.mark.parametrize("declared", [True, False])
def test_a_minus_one_that_never_divides_is_one_finding_for_every_input(tmp_path, declared):
    from torch_oracle import run_model

    q_line, k_line, v_line = _lines(HOLE)
    for shape in ([2, 4, 36], [3, 7, 36], [1, 1, 36]):  # 36 // 8 is 4.5 at every batch and length
        outcome = run_model(HOLE, "Attention", shape)
        assert (outcome.verdict, outcome.line) == ("crash", q_line), (shape, outcome)
    assert run_model(HOLE_GOOD, "Attention", [2, 4, 36]).verdict == "ok"
    args = ("--input-shape", "Attention=2,4,36") if declared else ()
    errors = _errors(tmp_path, "hole.py", HOLE, *args)
    assert [(e["code"], e["line"]) for e in errors] == [("SHP003", q_line)], [e["message"] for e in errors]  # it was none
    (e,) = errors
    # by arithmetic: 2*4*36 = 288 values, rows of 2*4*8 = 64
    expected = "288 is not divisible by 64" if declared else "36*B*N is not divisible by 8*B*N"
    assert expected in e["message"], e["message"]
    assert e["message"].endswith(f"(also at lines {k_line} and {v_line})"), e["message"]
    assert _errors(tmp_path, "hole_good.py", HOLE_GOOD, *args) == []


@pytest.mark.torch
def test_three_rearranges_with_the_same_wrong_heads_are_one_finding(tmp_path):
    from torch_oracle import run_model

    q_line, k_line, v_line = _lines(EINOPS, "{t} = rearrange({t},")
    outcome = run_model(EINOPS, "Attention", [2, 4, 36])
    assert (outcome.verdict, outcome.line) == ("crash", q_line), outcome  # einops: 36 does not split into 8 heads
    good = EINOPS.replace("heads=8", "heads=6")
    assert run_model(good, "Attention", [2, 4, 36]).verdict == "ok"
    errors = _errors(tmp_path, "einops_heads.py", EINOPS, "--input-shape", "Attention=2,4,36")
    assert [(e["code"], e["line"]) for e in errors] == [("SHP006", q_line)], [e["message"] for e in errors]  # it was 3
    (e,) = errors
    assert e["message"].endswith(f"(also at lines {k_line} and {v_line})"), e["message"]
    assert {k_line, v_line} <= {r["line"] for r in e["related"]}
    assert _errors(tmp_path, "einops_good.py", good, "--input-shape", "Attention=2,4,36") == []
