"""`assert` statements on values shapelint knows (issue 15.7).

Model code checks its configuration with asserts (`assert n_embd % n_head == 0`). Python
evaluates the test; a false one raises AssertionError where torch-based code fails at
construction or in forward. Here: a test that is certainly false is an SHP014 error at the
assert, naming the values it read and, for the divisibility idiom, the nearest values that
hold; the path then raises (nothing after it runs in Python). A test shapelint cannot decide
is skipped, as Python's `-O` would.

The hand-written guard `if cond: raise ValueError(...)` (BERT's head check) is the same
check: a condition that certainly holds is an SHP019 error at the `raise` (exec_guarded_if).
"""

from __future__ import annotations

import libcst as cst

from ..core import rules as R
from ..core.symbolic import Expr, is_known
from .exceptions import builtin_kind
from .frame import RaiseSignal
from .pyvalues import truth


def exec_assert(vm, stmt: cst.Assert, frame) -> None:
    verdict = truth(vm.eval(stmt.test, frame))
    if verdict is not False:
        return  # holds, or cannot be decided: Python goes on (or shapelint cannot say it stops)
    code = _code(stmt.test)
    values = _values(vm, stmt.test, frame)
    shown = ", ".join(f"{k}={v}" for k, v in values.items())
    vm.ctx.report(R.AssertFails.finding(stmt, test=code, values=f" ({shown})" if shown else "", hint=_hint(vm, stmt, frame)))
    raise RaiseSignal(builtin_kind("AssertionError"))


# what a configuration guard raises; NotImplementedError marks an abstract method, not a bad value
GUARD_ERRORS = ("ValueError", "AssertionError", "RuntimeError", "TypeError", "IndexError", "Exception")


def exec_guarded_if(vm, stmt: cst.If, frame) -> None:
    """The body of an `if` whose test holds; a body that starts by raising reports SHP019 first."""
    error = _guard_error(stmt)
    if error is not None:
        shown = ", ".join(f"{k}={v}" for k, v in _values(vm, stmt.test, frame).items())
        vm.ctx.report(R.GuardRaises.finding(stmt.body.body[0], test=_code(stmt.test), error=error,
                                            values=f" ({shown})" if shown else "", hint=_multiple_hint(vm, stmt.test, frame, "!=")))
    vm.exec_block(stmt.body.body, frame)


def _guard_error(stmt: cst.If):
    """`ValueError` for `if ...: raise ValueError(...)` (the raise first in the body), else None."""
    first = stmt.body.body[0] if stmt.body.body else None
    if not isinstance(first, cst.SimpleStatementLine) or not isinstance(first.body[0], cst.Raise):
        return None
    exc = first.body[0].exc
    exc = exc.func if isinstance(exc, cst.Call) else exc
    name = exc.value if isinstance(exc, cst.Name) else None
    return name if name in GUARD_ERRORS else None


def _code(node) -> str:
    return " ".join(cst.Module([]).code_for_node(node).split())


def _values(vm, test, frame) -> dict:
    """The names, `self.x` attributes and subscripts the test reads, with their plain values."""
    out = {}
    stack = [test]
    while stack and len(out) < 6:
        n = stack.pop()
        if isinstance(n, (cst.Name, cst.Attribute, cst.Subscript)):
            text = _code(n)
            if text in out or text in ("self", "True", "False", "None"):
                continue
            own = not isinstance(n, cst.Attribute) or (isinstance(n.value, cst.Name) and n.value.value == "self")
            v = vm.eval(n, frame) if own or isinstance(n, cst.Attribute) else None
            if isinstance(v, (int, float, str, bool)) or (isinstance(v, Expr) and is_known(v)):
                out[text] = repr(v) if isinstance(v, str) else v
                continue
        if isinstance(n, cst.CSTNode):
            stack.extend(reversed(list(n.children)))
    return out


def _hint(vm, stmt: cst.Assert, frame) -> str:
    """For `a % b == 0`: the multiples of b nearest a (the usual fix is the width)."""
    t = stmt.test
    msg = ""
    if stmt.msg is not None:
        m = vm.eval(stmt.msg, frame)
        if isinstance(m, str) and m:
            msg = f" ({m})"
    near = _multiple_hint(vm, t, frame, "==")
    return f"{msg}{near}" if near else (f"{msg}; make the assertion hold" if not msg else f"{msg}")


def _multiple_hint(vm, t, frame, op: str) -> str:
    """For `a % b == 0` (an assert) or `a % b != 0` (a guard): the multiples of b nearest a."""
    operator = cst.Equal if op == "==" else cst.NotEqual
    if isinstance(t, cst.Comparison) and len(t.comparisons) == 1 and isinstance(t.comparisons[0].operator, operator):
        left, right = t.left, t.comparisons[0].comparator
        if isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Modulo) and _is_zero(right):
            a, b = vm.eval(left.left, frame), vm.eval(left.right, frame)
            if isinstance(a, int) and isinstance(b, int) and b > 0:
                lo, hi = a - a % b, a - a % b + b
                near = f"{lo} or {hi}" if lo > 0 else f"{hi}"
                return f"; {_code(left.left)} must be a multiple of {b}: use {near}"
    return ""


def _is_zero(node) -> bool:
    return isinstance(node, cst.Integer) and node.evaluated_value == 0
