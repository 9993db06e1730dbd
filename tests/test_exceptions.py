"""Exceptions as Python raises and catches them, each deciding a Linear's width that torch then
runs: a raise carries its class (and its bases: a `ConfigError(ValueError)` is caught by
`except ValueError`, a KeyError by `except LookupError`), the first `except` clause naming one
of them runs, a clause naming none lets it go on up (before, a try with one handler ran it for
any raise: an inner `except KeyError` caught a ValueError and gave the wrong width), a bare
`raise` re-raises, and an exception raised inside a called function reaches the caller's try.
Inside a try body a certain KeyError (a missing key of a dict held whole), IndexError or
`int("x")` ValueError raises as in Python (before: an unknown width). Where a path the engine
leaves out may have raised inside a try, what the try writes is unknown, never the other path's.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import torch
import torch.nn as nn

TABLE = {"a": 3, ("b", 1): 4}


class ConfigError(ValueError):
    pass


class Fatal(Exception):
    pass


def lookup(name):
    if name not in TABLE:
        raise ConfigError(name)
    return TABLE[name]


def nested():
    try:
        try:
            raise ValueError("x")
        except KeyError:
            return 4
    except ValueError:
        return 8


def by_class(name):
    try:
        return lookup(name)
    except KeyError:
        return 5
    except ValueError:
        return 6


def index_or(seq, i, default):
    try:
        v = seq[i]
    except IndexError as e:
        v = default
    finally:
        seq.append(1)
    return v + len(seq)


def reraised():
    try:
        try:
            return TABLE["zz"]
        except KeyError:
            raise
    except LookupError:
        return 11


def converted(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return 7


def chained():
    try:
        try:
            raise Fatal()
        except Fatal:
            raise KeyError("k")
    except Exception as e:
        return 12


def no_match_goes_up():
    try:
        try:
            raise Fatal()
        except (KeyError, ValueError):
            return 1
    except Fatal:
        return 13


def else_and_finally():
    out = []
    try:
        out.append(2)
    except KeyError:
        out.append(100)
    else:
        out.append(3)
    finally:
        out.append(4)
    return sum(out)


def assert_caught(v):
    try:
        assert v > 3, "small"
        return v
    except AssertionError:
        return 14


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, EXPR)

    def forward(self, x):
        return self.fc(x)
'''

DECIDED = [
    "nested()", "by_class('a')", "by_class('q')", "index_or([1], 5, 9)", "index_or([1, 2], -1, 9)", "reraised()",
    "converted('12')", "converted('x1')", "chained()", "no_match_goes_up()", "else_and_finally()",
    "assert_caught(2)", "assert_caught(5)", "TABLE.get('zz', 2)", "by_class(('b', 1))",
]


def _check(expr, snippet=SNIPPET):
    src = snippet.replace("EXPR", expr)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], expr
    (report,) = [m for m in result.models if m.name == "Net"]
    return src, report


@pytest.mark.parametrize("expr", DECIDED)
def test_the_width_is_the_one_python_computes(expr):
    import torch

    src, report = _check(expr)
    want = list(load(src, "m.py").Net()(torch.zeros(2, 4)).shape)
    assert report.output == want, expr


MAYBE_RAISED = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(B, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        y = self.fc(x)
        try:
            if x.shape[0] > 1:
                raise RuntimeError("a batch of more than one")
            y = y[:, :2]
        except RuntimeError:
            pass
        return y
'''


@pytest.mark.parametrize("batch", [1, 3])
def test_a_try_that_may_have_raised_leaves_its_writes_unknown(batch):
    """torch gives (1, 2) for a batch of 1 and (3, 6) for 3: one statement of either is wrong."""
    import torch

    result = check_source("m.py", MAYBE_RAISED)
    (report,) = [m for m in result.models if m.name == "Net"]
    want = list(load(MAYBE_RAISED, "m.py").Net()(torch.zeros(batch, 4)).shape)
    assert want == ([1, 2] if batch == 1 else [3, 6])
    assert report.output is None
    assert not [f for f in result.findings if f.severity == "error"]
