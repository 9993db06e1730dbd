"""Size budgets (issue 15.1): hostile sizes become unknown quickly and in little memory, and the
same operations on ordinary sizes still give Python's exact value.

Each case computes a string or list and then a layer width from its length: under budget the
width is Python's own (checked by running the snippet in Python), over budget the layer is
unknown. Time is CPU time of the check (time.process_time), memory the peak Python allocation
(tracemalloc); both far below what the unbounded operations would take (seconds, gigabytes).
"""

import time
import tracemalloc

import pytest

from shapelint.engine.check import check_source

HOSTILE = {
    "concat_doubling": 'S = "a" * 100000\nfor i in range(40):\n    S = S + S',
    "iadd_doubling": "S = [0] * 100000\nfor i in range(40):\n    S += S",
    "extend_doubling": "S = [0] * 1000\nfor i in range(40):\n    S.extend(S)",
    "tuple_doubling": "S = (0,) * 100000\nfor i in range(40):\n    S = S + S",
    "join_doubling": 'S = "a" * 100000\nfor i in range(40):\n    S = "".join([S, S])',
    "replace_doubling": 'S = "a" * 1000\nfor i in range(40):\n    S = S.replace("a", "aa")',
    "fstring_doubling": 'S = "a" * 1000\nfor i in range(40):\n    S = f"{S}{S}"',
    "percent_doubling": 'S = "a" * 1000\nfor i in range(40):\n    S = "%s%s" % (S, S)',
    "format_doubling": 'S = "a" * 1000\nfor i in range(40):\n    S = "{}{}".format(S, S)',
    "format_width": 'S = "{:1000000000}".format(0)',
    "format_fill": 'S = "{:>1000000000}".format("a")',
    "fstring_width": 'S = f"{0:1000000000}"',
    "percent_width": 'S = "%1000000000d" % 0',
    "percent_star": 'S = "%*d" % (10**9, 0)',
    "percent_precision": 'S = "%.1000000000f" % 1.0',
}
ORDINARY = {
    "concat": 'S = "ab" + "cde"',
    "doubling": 'S = "a"\nfor i in range(5):\n    S = S + S',
    "list_iadd": "S = [1, 2]\nS += S\nS += [3]",
    "extend": "S = [0] * 3\nS.extend(S)",
    "join": 'S = "-".join(["ab", "c", "de"])',
    "replace": 'S = "abcab".replace("ab", "xyz")',
    "fstring": 'W = 6\nS = f"{3:>{W}}" if False else f"{3:>6}|{1.5:.3f}"',
    "percent": 'S = "%5d|%-4s|%.2f" % (3, "ab", 1.0)',
    "format": 'S = "{:8}|{:<3}".format(1, "x")',
}


def _model(snippet: str) -> str:
    body = "\n".join("        " + line for line in snippet.splitlines())
    return ("import torch.nn as nn\n\n"
            "class Net(nn.Module):  # shapelint: input=(2, 4)\n"
            "    def __init__(self):\n        super().__init__()\n"
            f"{body}\n"
            "        self.fc = nn.Linear(4, len(S) % 97 + 1)\n\n"
            "    def forward(self, x):\n        return self.fc(x)\n")


def _check(snippet):
    tracemalloc.start()
    start = time.process_time()
    result = check_source("m.py", _model(snippet), explain=True)
    cpu = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, cpu, peak


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sizes_are_unknown_fast_and_small(name):
    result, cpu, peak = _check(HOSTILE[name])
    assert cpu < 2.0, f"{cpu:.1f} s of CPU"
    assert peak < 200, f"{peak:.0f} MB"
    assert not [f for f in result.findings if f.severity == "error"]
    (model,) = result.models
    assert model.output is None or not all(isinstance(d, int) for d in model.output), model.output


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_sizes_are_python_s(name):
    scope = {}
    exec(ORDINARY[name], scope)  # the snippet is ours: Python's own answer
    width = len(scope["S"]) % 97 + 1
    result, _, _ = _check(ORDINARY[name])
    (model,) = result.models
    assert list(model.output)[-1] == width, (model.output, width)
