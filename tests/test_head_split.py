"""SHP007 on a hand-written attention-head split, `x.view(B, T, n_head, C // n_head)`, against torch.

torch raises at the view exactly when n_head does not divide C (C // n_head rounds down);
shapelint reports SHP007 then, naming the width, the head count and the widths and head
counts torch accepts (found here by running torch's view on every candidate), and
nothing when the width is not known.
"""

import re

import pytest

from shapelint.engine.check import check_source

HEAD = "import torch\nimport torch.nn as nn\n\n\n"


def _source(width, heads, method="view", declared=True):
    decl = f"  # shapelint: input=(2, 5, {width})" if declared else ""
    return HEAD + (
        f"class Attention(nn.Module):{decl}\n"
        f"    def __init__(self, n_head={heads}):\n        super().__init__()\n"
        f"        self.n_head = n_head\n        self.qkv = nn.Linear({width}, {3 * width})\n\n"
        "    def forward(self, x):\n"
        "        B, T, C = x.shape\n"
        "        q, k, v = self.qkv(x).chunk(3, dim=-1)\n"
        f"        q = q.{method}(B, T, self.n_head, C // self.n_head).transpose(1, 2)\n"
        "        return q\n"
    )


def _torch_view_ok(width, heads):
    import torch

    try:
        torch.zeros(2, 5, width).view(2, 5, heads, width // heads)
        return True
    except RuntimeError:
        return False


GRID = [(36, 8), (32, 8), (30, 4), (24, 6), (10, 3), (7, 2), (48, 5), (12, 12)]


@pytest.mark.torch
@pytest.mark.parametrize("method", ["view", "reshape"])
@pytest.mark.parametrize("width,heads", GRID)
def test_head_split_flagged_exactly_when_torch_raises(width, heads, method):
    findings = [f for f in check_source("attn.py", _source(width, heads, method)).findings if f.severity == "error"]
    if _torch_view_ok(width, heads):
        assert findings == []
        return
    assert [f.code for f in findings] == ["SHP007"], [f.message for f in findings]
    msg = findings[0].message
    assert f"the width ({width})" in msg and f"the head count ({heads})" in msg
    # the widths it proposes are the nearest below and above that torch's view accepts
    ok_widths = [w for w in range(1, 3 * width) if _torch_view_ok(w, heads)]
    below = max(w for w in ok_widths if w < width)
    above = min(w for w in ok_widths if w > width)
    assert f"use a width of {below} or {above}" in msg, msg
    # the head counts it proposes divide the width: torch's view accepts them
    counts = [int(n) for n in re.search(r"or ([\d or]+) heads$", msg).group(1).split(" or ")]
    assert counts and all(_torch_view_ok(width, h) for h in counts)


@pytest.mark.torch
@pytest.mark.parametrize("width,heads", GRID)
def test_with_nothing_declared_the_width_qkv_forces_is_checked(width, heads):
    # `B, T, C = x.shape` into Linear(width, ...): any other C raises at the Linear, so C is the width
    import torch

    findings = [f for f in check_source("attn.py", _source(width, heads, declared=False)).findings if f.severity == "error"]
    if _torch_view_ok(width, heads):
        assert findings == []
        return
    assert [f.code for f in findings] == ["SHP007"], [f.message for f in findings]
    assert f"the width ({width})" in findings[0].message and f"the head count ({heads})" in findings[0].message
    for wrong in (width - 1, width + 1):  # the Linear itself rejects every other width
        with pytest.raises(RuntimeError):
            nn_linear = torch.nn.Linear(width, 3 * width)
            nn_linear(torch.zeros(2, 5, wrong))


def test_no_finding_when_the_width_is_unknown():
    src = _source(36, 8, declared=False).replace("self.qkv(x).chunk(3, dim=-1)", "x, x, x")
    assert "self.qkv(x)" not in src  # nothing fixes C: a width 8 divides (C = 32) runs
    assert [f for f in check_source("attn.py", src).findings if f.severity == "error"] == []


@pytest.mark.torch
def test_a_view_that_is_not_a_head_split_stays_shp003():
    import torch

    src = _source(36, 8).replace("q.view(B, T, self.n_head, C // self.n_head)", "q.view(B, T, 6, 7)")
    with pytest.raises(RuntimeError):
        torch.zeros(2, 5, 36).view(2, 5, 6, 7)
    assert [f.code for f in check_source("attn.py", src).findings if f.severity == "error"] == ["SHP003"]


def test_found_without_a_declaration_when_every_input_fails():
    # no declared input, but `B, T, C = x.shape` fixes the rank and qkv fixes C = 36: torch raises for any B, T
    src = HEAD + (
        "class Attention(nn.Module):\n"
        "    def __init__(self, n_head=8):\n        super().__init__()\n"
        "        self.n_head = n_head\n        self.qkv = nn.Linear(36, 108)\n\n"
        "    def forward(self, x):\n"
        "        B, T, C = x.shape\n"
        "        q, k, v = self.qkv(x).chunk(3, dim=-1)\n"
        "        return q.view(B, T, self.n_head, 36 // self.n_head)\n")
    assert [f.code for f in check_source("attn.py", src).findings if f.severity == "error"] == ["SHP007"]


def _heads(view: str) -> str:
    return HEAD + (
        "class Heads(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(36, 36)\n\n"
        f"    def forward(self, x):\n        y = self.fc(x)\n        return {view}\n")


def _fails_at_ranks(src, shapes):
    import torch
    from torch_oracle import load

    model = load(src, "heads.py").Heads()
    failed = []
    for shape in shapes:
        try:
            model(torch.zeros(*shape))
        except RuntimeError:
            failed.append(shape)
    return failed


@pytest.mark.torch
def test_silent_when_the_rank_was_only_guessed():
    # the first Linear only guesses a 2-D input: (B, 36) cannot be (B, -1, 8, 9), but (B, 2, 36) can
    src = _heads("y.view(y.size(0), -1, 8, 9)")
    assert _fails_at_ranks(src, [(2, 36)]) == [(2, 36)] and _fails_at_ranks(src, [(2, 2, 36)]) == []
    assert [f for f in check_source("heads.py", src).findings if f.severity == "error"] == []


@pytest.mark.torch
def test_a_guessed_rank_finding_stands_when_every_rank_fails():
    # 36 values per position never fill (rows, 8, 4) = 32 per row, whatever the leading dims (engine/rank_confirm.py)
    src = _heads("y.view(y.size(0), 8, 36 // 8)")
    shapes = [(36,), (2, 36), (2, 3, 36), (2, 3, 4, 36)]
    assert _fails_at_ranks(src, shapes) == shapes
    assert [f.code for f in check_source("heads.py", src).findings if f.severity == "error"] == ["SHP007"]
