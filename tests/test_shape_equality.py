"""`assert x.shape == (...)` and friends: Python's equality on shapes, decided only when certain.

A shape holds symbols (a size nobody declared, a slice of a symbolic length) and shapelint's
own placeholders (the shape of an input whose rank is not yet known). Python's `==` on those
objects is structural or identity, not the user's numbers, so a comparison is decided element
by element and stays undecided where one element is: never a false SHP014 on a model torch
runs. Each model below is run with torch on the declared input; shapelint's verdict is torch's,
and with nothing declared a model that torch runs has no error at all.
"""

import re

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(asserts: str, decl: str, body: str = "        return self.fc(x)\n", fc="nn.Linear(8, 4)") -> str:
    return HEAD + (
        f"class M(nn.Module):{decl}\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.fc = {fc}\n"
        "        self.register_buffer('table', torch.zeros(16, 8))\n\n"
        "    def forward(self, x):\n"
        + "".join(f"        {a}\n" for a in asserts.split(";")) + body
    )


# (asserts, does torch pass them on a (2, 8) input)
CASES = {
    "tuple_equal": ("assert x.shape == (2, 8)", True),
    "tuple_unequal": ("assert x.shape == (2, 9)", False),
    "not_equal_holds": ("assert x.shape != (2, 9)", True),
    "size_call": ("assert x.size() == (2, 8)", True),
    "tail_slice": ("assert x.shape[1:] == (8,)", True),
    "tail_slice_wrong": ("assert x.shape[1:] == (9,)", False),
    "list_of_shape": ("assert list(x.shape) == [2, 8]", True),
    "tuple_vs_list_is_unequal": ("assert x.shape != [2, 8]", True),
    "length_differs": ("assert x.shape != (2, 8, 1)", True),
    "against_a_buffer_slice": ("t = self.table[:x.shape[0]];assert t.shape == (x.shape[0], x.shape[-1])", True),
    "against_a_buffer_row": ("assert self.table.shape[1:] == x.shape[1:]", True),
    "strided_slice": ("y = x[:, ::3];assert y.shape == (2, 3)", True),
    "strided_slice_wrong": ("y = x[:, ::3];assert y.shape == (2, 2)", False),
}


def _verdicts(src):
    return [f for f in check_source("m.py", src).findings if f.severity == "error"]


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_declared_input_verdict_is_torchs(name):
    asserts, passes = CASES[name]
    src = _model(asserts, "  # shapelint: input=(2, 8)")
    outcome = run_model(src, "M", [2, 8])
    assert (outcome.verdict == "ok") == passes, outcome.error
    errors = _verdicts(src)
    if passes:
        assert errors == [], [(f.line, f.code, f.message) for f in errors]
    else:
        assert "AssertionError" in outcome.error
        assert [f.code for f in errors] == ["SHP014"], [(f.code, f.message) for f in errors]
        assert errors[0].line == outcome.line


@pytest.mark.parametrize("name", sorted(n for n, (_, ok) in CASES.items() if ok))
def test_nothing_declared_is_never_a_false_assertion_error(name):
    asserts, _ = CASES[name]
    errors = _verdicts(_model(asserts, ""))
    assert errors == [], [(f.line, f.code, f.message) for f in errors]


@pytest.mark.torch
@pytest.mark.parametrize("length,step", [(7, 2), (8, 2), (9, 3), (10, 4), (1, 5)])
def test_a_strided_slice_of_a_symbolic_length_is_ceil_length_over_step(length, step):
    """x[:, :, ::s] on an undeclared H is (H + s - 1)//s; the symbolic answer evaluated at a
    length equals the length torch gives (checked through a Linear that must match it)."""
    import torch

    want = torch.zeros(2, 3, length)[:, :, ::step].shape[-1]
    body = f"        return self.fc(x[:, :, ::{step}])\n"
    ok = _model("pass", "  # shapelint: input=(2, 3, %d)" % length, body, fc=f"nn.Linear({want}, 4)")
    bad = _model("pass", "  # shapelint: input=(2, 3, %d)" % length, body, fc=f"nn.Linear({want + 1}, 4)")
    assert run_model(ok, "M", [2, 3, length]).verdict == "ok"
    assert run_model(bad, "M", [2, 3, length]).verdict == "crash"
    assert _verdicts(ok) == []
    assert [f.code for f in _verdicts(bad)] == ["SHP002"]


SKIP = HEAD + (
    "class Down(nn.Module):\n"
    "    def __init__(self, cin, cout):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(cin, cout, 3, stride=2, padding=1)\n\n"
    "    def forward(self, x):\n"
    "        return self.conv(x) + x[:, :, ::2, ::2]\n\n"
    "net = Down(8, 8)\n"
)


@pytest.mark.torch
@pytest.mark.parametrize("channels,ok", [(8, True), (16, False)])
def test_option_a_shortcut_with_nothing_declared(channels, ok):
    """A stride-2 conv and a `::2` shortcut both give ceil(H/2) rows, for every H: the sum is
    checked symbolically (no note, no error), and a channel mismatch is an error whose message
    shows the spatial sizes equal, (H + 1)//2 on both sides."""
    import torch

    src = SKIP.replace("Down(8, 8)", f"Down(8, {channels})")
    ns = {}
    exec(compile(src, "m.py", "exec"), ns)
    for h in (5, 6, 7, 32):
        try:
            ns["net"](torch.zeros(1, 8, h, h + 1))
            ran = True
        except RuntimeError:
            ran = False
        assert ran == ok
    findings = check_source("m.py", src).findings
    if ok:
        assert findings == [], [(f.code, f.message) for f in findings]
    else:
        (f,) = findings
        assert f.code == "SHP006" and f.message.count("(H + 1)//2, (W + 1)//2)") == 2, f.message
