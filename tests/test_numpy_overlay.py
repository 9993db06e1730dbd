"""The numpy table of size arithmetic (shapelint/engine/numpy_overlay.py) against real numpy: each
answer has numpy's value and numpy's kind (int64 as an int, float64 as a float), or is unknown."""

import numpy as np
import pytest

from shapelint.core.values import Builtin, Unknown
from shapelint.engine import numpy_overlay as o

CASES = [
    ("prod", [(1, 28, 28)]), ("prod", [[]]), ("prod", [(2, 1.5)]), ("sum", [[]]), ("sum", [(1, 2.5)]), ("sum", [(3, 4)]),
    ("sqrt", [16]), ("sqrt", [2]), ("log2", [64]), ("log2", [48]), ("log", [10]), ("exp", [1.5]),
    ("floor", [7.5]), ("ceil", [2.25]), ("round", [2.5]), ("round", [3.5]), ("round", [3]), ("around", [-0.5]), ("rint", [4]),
    ("max", [[3, 9, 2]]), ("min", [(4.0, 2.0)]), ("power", [2.5, 2.0]), ("power", [2, 3]), ("divide", [7, 2]),
    ("multiply", [3, 4]), ("floor_divide", [7, 2]), ("add", [[1, 2], 3]), ("arange", [2, 9, 3]), ("diff", [[0, 2, 7]]),
    ("array", [(32, 16)]), ("int64", [7.9]), ("float64", [3]),
]


def _plain(v):
    return v.tolist() if hasattr(v, "tolist") else v


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}{a}" for n, a in CASES])
def test_numpy_function_matches_numpy(name, args):
    mine = o.call(name, args, {})
    assert not isinstance(mine, Unknown), mine
    want = _plain(getattr(np, name)(*args))
    got = list(mine.items) if isinstance(mine, o.NdArray) else mine
    assert got == want
    for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        assert isinstance(g, float) == isinstance(w, float), (g, w)


def test_array_arithmetic_astype_and_tolist_match_numpy():
    w = o.call("arange", [4], {}) * 1.5 + 8
    widths = o.method(o.call("round", [w / 3], {}) * 4, "astype", [Builtin("int")], {})
    want = (np.round((np.arange(4) * 1.5 + 8) / 3) * 4).astype(int).tolist()
    assert o.method(widths, "tolist", [], {}) == want
    assert o.method(o.call("array", [(3, 8, 8)], {}), "prod", [], {}) == np.array((3, 8, 8)).prod()
    assert o.call("array", [(32, 16)], {}).index(1) * 2 == (np.array((32, 16)) * 2)[1]


@pytest.mark.parametrize("name,args", [
    ("ceil", [7]),  # float64 before numpy 2, int64 since
    ("sqrt", [-1]),  # nan
    ("log2", [48.0 ** 0.5 * 0]),  # -inf
    ("prod", [[2 ** 40, 2 ** 40]]),  # int64 wraps around
    ("power", [2, -1]),  # numpy raises for negative integer powers of integers
    ("max", [[]]),  # numpy raises
    ("histogram", [[1, 2]]),  # not in the table
    ("arange", [0.0, 1.0, 0.1]),  # a float range's length depends on rounding
])
def test_what_numpy_would_answer_differently_or_not_at_all_is_unknown(name, args):
    v = o.call(name, args, {})
    assert v is o.NOT_IN_TABLE or isinstance(v, Unknown), v


def test_a_numpy_integer_is_not_taken_for_an_int_by_isinstance():
    assert not isinstance(np.prod((2, 3)), int)  # numpy's own answer
    assert isinstance(o.call("prod", [(2, 3)], {}), o.NpInt)
