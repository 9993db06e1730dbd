"""The input-size solver's answers, model by model: an error only with a proof.

Regressions from issue 15 run through the CLI (`python -m shapelint`, this checkout)
and are checked against real torch; the decision procedure itself is checked against
integer arithmetic written out in each test.
"""

import json
import re

import pytest
import torch
from conftest import run_cli
from torch_oracle import load

from shapelint.engine.constraints import MAYBE, SAT, UNSAT, ConstraintSet
from shapelint.core.symbolic import Expr, add, floordiv, mul

H, W, L = Expr.symbol("H"), Expr.symbol("W"), Expr.symbol("L")


def lint(tmp_path, source: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(source)
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads(proc.stdout)
    return proc.returncode, [f for f in findings if f["severity"] == "error"], [f for f in findings if f["code"] == "SHP200"]


def runs(net, *shape) -> bool:
    try:
        with torch.no_grad():
            net(torch.zeros(*shape))
        return True
    except RuntimeError:
        return False


# ---------------------------------------------------------------------------- issue 15's two heads

TWO_HEADS = """import torch
import torch.nn as nn


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 1, 1)
        self.pool1 = nn.AvgPool2d(64)
        self.fc1 = nn.Linear(36, 10)
        self.pool2 = nn.AvgPool2d((512, 256))
        self.fc2 = nn.Linear(1, 10)

    def forward(self, x):
        x = self.conv(x)
        a = self.fc1(torch.flatten(self.pool1(x), 1))
        b = self.fc2(torch.flatten(self.pool2(x), 1))
        return a + b
"""


def test_two_heads_that_run_at_600x300_get_no_error_and_a_note_with_sizes_that_run(tmp_path):
    net = load(TWO_HEADS).TwoHeads()
    assert runs(net, 2, 3, 600, 300)  # 9 * 4 == 36 features and 1 * 1 == 1
    rc, errors, notes = lint(tmp_path, TWO_HEADS)
    assert (rc, errors) == (0, []), errors  # was SHP002 "fc2 expects 1 input features but receives (H//512)*(W//256)"
    (note,) = notes
    sizes = re.findall(r"(\d+)x(\d+)", note["message"])
    assert sizes and "fc1" in note["message"] and "fc2" in note["message"], note["message"]
    for h, w in sizes:
        assert runs(net, 1, 3, int(h), int(w)), (h, w)
    # "no square size": a square side needs (s//64)**2 == 36 (s in 384..447) and s//512 == 1 (s >= 512)
    assert "no square size" in note["message"], note["message"]
    assert [s for s in range(1, 2048) if (s // 64) ** 2 == 36 and (s // 512) * (s // 256) == 1] == []
    for s in (384, 447, 512, 600):
        assert not runs(net, 1, 3, s, s), s


def test_two_heads_that_fit_no_size_stay_an_error(tmp_path):
    # AvgPool2d(512) needs H, W in 512..1023 for one feature, where (H//64) * (W//64) >= 64 > 36
    source = TWO_HEADS.replace("nn.AvgPool2d((512, 256))", "nn.AvgPool2d(512)")
    rc, errors, _ = lint(tmp_path, source)
    assert rc == 1 and [e["code"] for e in errors] == ["SHP002"], errors
    assert [(h, w) for h in range(1, 3000) for w in (h, 512, 700, 1023) if (h // 64) * (w // 64) == 36 and (h // 512) * (w // 512) == 1] == []
    net = load(source).TwoHeads()
    for h, w in ((600, 300), (512, 512), (384, 384), (1023, 1023), (576, 256)):
        assert not runs(net, 1, 3, h, w), (h, w)


# ---------------------------------------------------------------------------- beyond the old search boxes

TALL_POOL = """import torch
import torch.nn as nn


class Tall(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pool = nn.MaxPool2d((4096, 2))
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))
"""

LONG_POOL = """import torch
import torch.nn as nn


class Long(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 9, stride=4)
        self.pool = nn.AvgPool1d(8192)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))
"""


def test_an_image_taller_than_2048_is_no_error(tmp_path):
    rc, errors, notes = lint(tmp_path, TALL_POOL)
    assert (rc, errors) == (0, []), errors  # the old search stopped at 2048 and said SHP002
    (note,) = notes
    net = load(TALL_POOL).Tall()
    for h, w in re.findall(r"(\d+)x(\d+)", note["message"]):
        assert runs(net, 1, 3, int(h), int(w)), (h, w)
    assert runs(net, 1, 3, 4096, 2) and runs(net, 1, 3, 8191, 3)
    assert not runs(net, 1, 3, 4095, 2) and not runs(net, 1, 3, 4096, 4)


def test_a_signal_longer_than_16384_is_no_error_and_the_note_names_its_exact_lengths(tmp_path):
    rc, errors, notes = lint(tmp_path, LONG_POOL)
    assert (rc, errors) == (0, []), errors  # the old search stopped at 16384 and said SHP002
    (note,) = notes
    m = re.search(r"L in (\d+)\.\.(\d+)", note["message"])
    assert m, note["message"]
    lo, hi = int(m.group(1)), int(m.group(2))
    # torch: Conv1d(k=9, s=4) gives (L - 9)//4 + 1 sides, AvgPool1d(8192) one window each 8192
    assert [v for v in range(30000, 70000) if ((v - 9) // 4 + 1) // 8192 == 1] == list(range(lo, hi + 1))
    net = load(LONG_POOL).Long()
    assert runs(net, 1, 1, lo) and runs(net, 1, 1, hi)
    assert not runs(net, 1, 1, lo - 1) and not runs(net, 1, 1, hi + 1)


# ---------------------------------------------------------------------------- the decision procedure


def test_no_size_beyond_any_box_escapes_the_proof():
    # (H//64) * (W//64) == 36 needs one pooled side <= 36, hence a side < 37 * 64; with
    # H//4096 == 1 both sides are >= 4096 and the product >= 64 * 64: no size at all
    cs = ConstraintSet()
    assert cs.require_equal(mul(floordiv(H, 64), floordiv(W, 64)), 36).verdict == SAT
    assert cs.require_equal(mul(floordiv(H, 4096), floordiv(W, 4096)), 1).verdict == UNSAT


def test_a_product_that_needs_large_sizes_is_satisfiable():
    # 4 * (H//4096) * (W//2) == 8: H in 4096..8191 and W in 4..5, or H in 8192..12287 and W in 2..3
    sol = ConstraintSet().require_equal(mul(mul(4, floordiv(H, 4096)), floordiv(W, 2)), 8)
    assert sol.verdict == SAT
    assert sol.boxes[0] == ((4096, 4), (8191, 5))  # every size in it: (H//4096, W//2) == (1, 2)
    assert all(4 * (h // 4096) * (w // 2) == 8 for h, w in sol.rows)
    # squares: s >= 4096 makes s//2 >= 2048, far more than 2
    assert sol.describe() == "inputs such as 4096x4 (no square size)", sol.describe()


def test_a_content_factor_proves_no_size_fits():
    # 18 * (H//2) * (W//2) is a multiple of 18, and 1000 is not
    assert ConstraintSet().require_equal(mul(mul(18, floordiv(H, 2)), floordiv(W, 2)), 1000).verdict == UNSAT


def test_an_equation_the_solver_cannot_prove_is_no_error():
    # L - 2*(L//2) is L mod 2, never 2: true, but neither monotone nor a product, so unproven
    cs = ConstraintSet()
    assert cs.require_equal(add(L, mul(floordiv(L, 2), -2)), 2).verdict == MAYBE
    assert all(v - 2 * (v // 2) != 2 for v in range(1, 10000))


def test_a_non_monotone_equation_still_finds_its_sizes():
    # H//2 == 2*(H//4) (a pool then an upsample meeting the skip): H % 4 in (0, 1)
    sol = ConstraintSet().require_equal(floordiv(H, 2), mul(floordiv(H, 4), 2))
    assert sol.verdict == SAT
    assert all(h % 4 in (0, 1) for h, in sol.rows) and (4,) in sol.rows and (5,) in sol.rows
    assert sol.describe().startswith("H in {1, 4..5, 8..9, 12..13")


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_unpadded_conv_products_are_solved_exactly(pad):
    # 16 * (H//2 - 6 + pad) * (W//2 - 6 + pad) == 16 * 25: sides with H//2 - 6 + pad in {1, 5, 25}
    a, b = add(floordiv(H, 2), pad - 6), add(floordiv(W, 2), pad - 6)
    cs = ConstraintSet()
    cs.require_positive(a)
    cs.require_positive(b)
    sol = cs.require_equal(mul(mul(16, a), b), 400)
    assert sol.verdict == SAT and sol.complete
    expected = {(h, w) for h in range(1, 200) for w in range(1, 200) if h // 2 - 6 + pad >= 1 and w // 2 - 6 + pad >= 1 and (h // 2 - 6 + pad) * (w // 2 - 6 + pad) == 25}
    got = {pt for pt in sol.rows if max(pt) < 200}
    assert got == expected
    side = 2 * (11 - pad)  # H//2 - 6 + pad == 5
    assert sol.describe().startswith(f"sides {side}..{side + 1} ({side}x{side} to {side + 1}x{side + 1})"), sol.describe()


def test_a_size_a_layer_forces_is_substituted_before_the_proof():
    # C == 32 (a Linear's in_features), then N * 64 == 12 * N * (C//4) (a qkv reshape): N's
    # coefficient 64 - 12*(C//4) changes sign with C, so only C = 32 settles it: 64 != 96
    C, N = Expr.symbol("C"), Expr.symbol("N")
    cs = ConstraintSet()
    assert cs.require_equal(C, 32).verdict == SAT
    assert cs.require_equal(mul(N, 64), mul(mul(12, floordiv(C, 4)), N)).verdict == UNSAT
    assert not any(c == 32 and n * 64 == 12 * (c // 4) * n for c in range(1, 200) for n in range(1, 200))
    assert cs.forced() == {"C": 32}


def test_a_forced_size_that_still_fits_is_no_error():
    # C == 48, then N * 144 == 12 * N * (C//4): 12 * 12 == 144 for every N
    C, N = Expr.symbol("C"), Expr.symbol("N")
    cs = ConstraintSet()
    assert cs.require_equal(C, 48).verdict == SAT
    assert cs.require_equal(mul(N, 144), mul(mul(12, floordiv(C, 4)), N)).verdict != UNSAT
    assert all(n * 144 == 12 * (48 // 4) * n for n in range(1, 200))


def test_forced_sizes_that_contradict_each_other_are_unsatisfiable():
    # 2*C == 64 forces C = 32; C//4 == 9 needs C in 36..39
    C = Expr.symbol("C")
    cs = ConstraintSet()
    assert cs.require_equal(mul(C, 2), 64).verdict == SAT
    assert cs.require_equal(floordiv(C, 4), 9).verdict == UNSAT
    assert not any(2 * c == 64 and c // 4 == 9 for c in range(1, 1000))


def test_an_attention_whose_rank_is_read_from_the_code_is_an_error_with_nothing_declared(tmp_path):
    # `B, N, C = x.shape` gives the rank; qkv forces C = 32, and (B, N, 64) cannot be split into
    # (B, N, 3, 4, 8) for any B or N: torch raises for every input of that rank
    source = """import torch.nn as nn


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(32, 64)

    def forward(self, x):
        B, N, C = x.shape
        return self.qkv(x).reshape(B, N, 3, 4, C // 4)
"""
    code, errors, _ = lint(tmp_path, source)
    assert code == 1 and [(e["code"], e["line"]) for e in errors] == [("SHP003", 11)], errors
    assert "need 96" in errors[0]["message"] and [r["line"] for r in errors[0]["related"]] == [7]
    net = load(source).Attention()
    assert not any(runs(net, b, n, c) for b in (1, 2, 3) for n in (1, 5, 7) for c in (16, 32, 48))


BRANCH_WIDTHS = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(32, 8)
        self.b = nn.Linear(64, 8)

    def forward(self, x):
        B, N, C = x.shape
        if x.sum() > 0:
            y = self.a(x)
        else:
            y = self.b(x)
        return AFTER, y
"""


@pytest.mark.parametrize("after", ["x.view(B, N, 2, 32)", "self.b(x)"])
def test_what_one_side_of_an_undecided_branch_requires_does_not_hold_after_it(tmp_path, after):
    # the `if` side needs C == 32, the `else` side C == 64; a negative input of width 64 takes
    # the else side and runs, so what follows may need C == 64 without an error
    import torch

    source = BRANCH_WIDTHS.replace("AFTER", after)
    code, errors, _ = lint(tmp_path, source)
    assert code == 0 and errors == [], errors
    net = load(source).Net()
    with torch.no_grad():
        net(-torch.ones(2, 5, 64))
