"""Control flow as Python runs it, each against torch: an exception a called function raises
unwinds to the `try` around the call (before, the call's value became unknown and the body went
on: `try: f(); w = 2 except ValueError: w = 4` gave 2), and a handler runs only for what it
catches (`except ValueError` does not catch a KeyError; before, a try's one handler ran for
any raise). Builtin exception classes are matched by Python's hierarchy (`except LookupError`
catches KeyError); a class of the user's on either side keeps the old reading (the one
handler runs; of several, what any may change is unknown).
"""

import pytest

from python_soundness import compare, width_net

pytestmark = pytest.mark.torch

RAISES = "def f():\n    raise ValueError('no')"

DECIDED = {
    "raise_in_call_caught": width_net("try:\n    f()\n    w = 2\nexcept ValueError:\n    w = 4", RAISES),  # was 2
    "raise_two_calls_deep": width_net("try:\n    g()\n    w = 2\nexcept Exception:\n    w = 4",
                                      "def f():\n    raise KeyError('x')\ndef g():\n    f()\n    return 1"),
    "raise_in_method_caught": width_net("try:\n    w = C().get()\nexcept NotImplementedError:\n    w = 4",
                                        "class C:\n    def get(self):\n        raise NotImplementedError"),
    "else_skipped_after_raise": width_net("try:\n    f()\nexcept ValueError:\n    w = 4\nelse:\n    w = 2", RAISES),
    "finally_runs_then_handler": width_net("l = []\ntry:\n    try:\n        f()\n    finally:\n        l.append(1)\n"
                                           "except ValueError:\n    l.append(2)\nw = len(l) + 2", RAISES),
    "handler_must_match": width_net("w = 4\ntry:\n    try:\n        raise KeyError\n    except ValueError:\n        w = 2\n"
                                    "except KeyError:\n    pass"),  # was 2
    "base_class_handler": width_net("try:\n    raise KeyError\nexcept ValueError:\n    w = 2\nexcept LookupError:\n    w = 4"),
    "tuple_handler": width_net("try:\n    raise IndexError\nexcept (ValueError, IndexError):\n    w = 4"),
    # right before too
    "user_exception_class": width_net("try:\n    raise MyErr()\nexcept MyErr:\n    w = 4", "class MyErr(Exception):\n    pass"),
    "call_that_does_not_raise": width_net("try:\n    w = f(3)\nexcept ValueError:\n    w = 2",
                                          "def f(v):\n    if v < 0:\n        raise ValueError\n    return v + 1"),
    "try_else": width_net("try:\n    v = 1\nexcept ValueError:\n    v = 2\nelse:\n    v = 4\nw = v"),
    "finally_overrides_return": width_net("w = f()", "def f():\n    try:\n        return 2\n    finally:\n        return 4"),
    "for_else_no_break": width_net("for i in range(3):\n    pass\nelse:\n    i = 4\nw = i"),
    "for_else_break": width_net("for i in range(5):\n    if i == 2:\n        break\nelse:\n    i = 9\nw = i + 2"),
    "while_else": width_net("n = 0\nwhile n < 3:\n    n += 1\nelse:\n    n += 1\nw = n"),
    "nested_break": width_net("c = 0\nfor i in range(3):\n    for j in range(3):\n        if j == 1:\n            break\n        c += 1\nw = c + 1"),
    "break_in_try_finally": width_net("c = 0\nfor i in range(5):\n    try:\n        if i == 2:\n            break\n    finally:\n"
                                      "        c += 1\nw = c + 1"),
    "return_inside_with": width_net("w = f()", "import contextlib\ndef f():\n    with contextlib.nullcontext():\n        return 4\n    return 2"),
    "assert_side_effect": width_net("l = []\nassert l.append(1) is None\nw = len(l) + 3"),
    "walrus_in_comprehension": width_net("l = [y for v in range(4) if (y := v * 2) > 2]\nw = len(l) + l[0]"),
    "chained_comparison": width_net("a = 2\nw = 4 if 1 < a < 3 else 1"),
    "chained_comparison_side_effects": width_net("l = []\ndef f(v):\n    l.append(v)\n    return v\nr = f(1) < f(0) < f(3)\nw = len(l) + 2"),
    "or_of_zero": width_net("a = 0\nw = a or 4"),
    "and_of_zero": width_net("a = 0\nw = (a and 9) + 4"),
    "or_of_empty_list": width_net("a = []\nw = len(a or [1, 2, 3, 4])"),
    "or_of_zero_float": width_net("a = 0.0\nw = int(a or 4)"),
    "empty_containers_false": width_net("w = 4 if not {} and not () and not range(0) and not '' else 2"),
    "all_of_empty": width_net("w = 4 if all([]) and not any([]) else 2"),
    "early_return_in_loop": width_net("w = f()", "def f():\n    for i in range(10):\n        if i == 4:\n            return i\n    return 0"),
}


@pytest.mark.parametrize("name", list(DECIDED))
def test_python_decides_and_so_does_shapelint(name):
    compare(DECIDED[name], decided=True)
