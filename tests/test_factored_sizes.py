"""Symbolic sizes are shown as the product the user wrote (issue 16.5): a flatten of
(16, H//4 - 2, W//4 - 2) reads `16*(H//4 - 2)*(W//4 - 2)`, not the expanded polynomial.

Oracle: the text evaluated by Python (its own // and *) equals the polynomial's value, and the
factors are the ones written out here by hand.
"""

import textwrap

from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from shapelint.core.symbolic import Expr, evaluate, floordiv, product

H, W, B = Expr.symbol("H"), Expr.symbol("W"), Expr.symbol("B")


def test_a_flatten_of_pooled_sizes_reads_as_a_product():
    assert str(product([16, floordiv(H, 4) - 2, floordiv(W, 4) - 2])) == "16*(H//4 - 2)*(W//4 - 2)"
    assert str(product([B, 16, H - 2, W - 2])) == "16*B*(H - 2)*(W - 2)"


def test_sums_and_single_factors_stay_as_they_are():
    assert str(H - 2) == "H - 2"
    assert str(H * W + 1) == "H*W + 1"
    assert str(3 * H * W) == "3*H*W"


@settings(max_examples=60, deadline=None)
@example(c=1, a=0, b=1, d=2, h=1, w=1)  # (H//2)*((W + 1)//2 + 1) once printed as ...*H//2
@given(st.integers(1, 9), st.integers(-5, 5), st.integers(-5, 5), st.integers(1, 4), st.integers(1, 200), st.integers(1, 200))
def test_the_text_evaluates_to_the_polynomial(c, a, b, d, h, w):
    size = product([c, floordiv(H, d) + a, floordiv(W + 1, d) + b])
    text = str(size)
    got = eval(text, {"__builtins__": {}}, {"H": h, "W": w})  # noqa: S307 - shapelint's own arithmetic text
    assert got == evaluate(size, {"H": h, "W": w}) == c * (h // d + a) * ((w + 1) // d + b)


def test_a_finding_shows_the_incoming_size_factored(tmp_path):
    # torch: no H, W makes 16*((H + 2)//4 - 3)*((W + 2)//4 - 3) equal 100 (16 does not divide 100)
    (tmp_path / "net.py").write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 8, 3)
                self.pool = nn.MaxPool2d(4)
                self.conv2 = nn.Conv2d(8, 16, 3)
                self.fc = nn.Linear(100, 10)

            def forward(self, x):
                x = self.conv2(self.pool(self.conv1(x)))
                return self.fc(torch.flatten(x, 1))
        """))
    proc = run_cli("--isolated", "--no-cache", "net.py", cwd=str(tmp_path))
    assert "receives 16*((H + 2)//4 - 3)*((W + 2)//4 - 3)" in proc.stdout, proc.stdout
