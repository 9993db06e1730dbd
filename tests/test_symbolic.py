"""Symbolic sizes must compute exactly what integer arithmetic computes.

The oracle is Python's own integer arithmetic: random expression trees are built once
symbolically and once on concrete values, and must agree for every input size.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from shapelint.engine.constraints import SAT, UNSAT, ConstraintSet
from shapelint.core.symbolic import Expr, add, ceildiv, evaluate, exact_div, floordiv, mul

H, W = Expr.symbol("H"), Expr.symbol("W")

ops = st.lists(
    st.tuples(st.sampled_from(["add", "mul", "floordiv", "ceildiv", "conv", "addW"]), st.integers(-4, 7), st.integers(1, 5)),
    min_size=1,
    max_size=8,
)


def apply(expr, h, w, steps):
    concrete = h
    for op, c, d in steps:
        if op == "add":
            expr, concrete = add(expr, c), concrete + c
        elif op == "mul":
            expr, concrete = mul(expr, d), concrete * d
        elif op == "floordiv":
            expr, concrete = floordiv(expr, d), concrete // d
        elif op == "ceildiv":
            expr, concrete = ceildiv(expr, d), -(-concrete // d)
        elif op == "conv":  # torch's conv/pool formula with padding c, kernel d+1, stride d
            k, s, p = d + 1, d, abs(c)
            expr, concrete = add(floordiv(add(expr, 2 * p - k), s), 1), (concrete + 2 * p - k) // s + 1
        else:
            expr, concrete = add(expr, W), concrete + w
    return expr, concrete


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ops, st.integers(1, 300), st.integers(1, 300))
def test_symbolic_equals_integer_arithmetic(steps, h, w):
    expr, concrete = apply(H, h, w, steps)
    assert evaluate(expr, {"H": h, "W": w}) == concrete


def test_equal_sizes_compare_equal_and_collapse_to_int():
    same_padding = add(floordiv(add(H, 2 * 1 - 3), 1), 1)
    assert same_padding == H
    assert floordiv(floordiv(H, 2), 2) == floordiv(H, 4)
    assert add(H, -H) == 0 and isinstance(add(H, -H), int)


def test_exact_division_only_when_certain():
    assert exact_div(mul(H, 6), 3) == mul(H, 2)
    assert exact_div(mul(H, 6), 4) is None
    assert exact_div(mul(mul(Expr.symbol("B"), 18), H), Expr.symbol("B")) == mul(H, 18)


def test_flatten_constraint_names_the_input_size():
    pooled = mul(mul(18, floordiv(H, 2)), floordiv(W, 2))
    cs = ConstraintSet()
    sol = cs.require_equal(pooled, 18 * 16 * 16)
    assert sol.verdict == SAT
    # squares: 18 * (s//2)**2 == 4608 exactly for s in 32..33
    assert [s for s in range(1, 200) if 18 * (s // 2) ** 2 == 4608] == [32, 33]
    assert sol.describe().startswith("sides 32..33 (32x32 to 33x33)"), sol.describe()
    assert all(18 * (h // 2) * (w // 2) == 4608 for h, w in sol.rows)
    assert ConstraintSet().require_equal(pooled, 4609).verdict == UNSAT  # 4609 is not a multiple of 18
