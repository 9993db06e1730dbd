"""Python's own errors on a tensor's sizes, against torch.

A torch.Size has one item per dimension: `x.shape[2]` of a 2-D tensor raises IndexError, and
`B, T, C = x.shape` of a 4-D one raises ValueError. shapelint reports both where the rank is
known (SHP012 at the subscript, SHP009 at the unpacking) and nothing where Python would not
raise: a guarded branch, a `try`, a starred target, a negative index in range. Each model is
written here and run with torch on the declared input; shapelint's verdict and line are torch's.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import torch\nimport torch.nn as nn\n\n\n"


def _model(body: str, shape=(2, 3, 8)) -> str:
    decl = ", ".join(map(str, shape))
    return HEAD + (
        f"class M(nn.Module):  # shapelint: input=({decl})\n"
        "    def __init__(self):\n        super().__init__()\n"
        f"        self.fc = nn.Linear({shape[-1]}, 4)\n\n"
        "    def forward(self, x):\n"
        + "".join(f"        {line}\n" for line in body.split(";"))
        + "        return self.fc(x)\n"
    )


# (forward lines, the rule torch's error is, or None when torch runs)
CASES = {
    "index_past_the_rank": ("n = x.shape[3]", "SHP012"),
    "size_call_index": ("n = x.size()[-4]", "SHP012"),
    "negative_index_in_range": ("n = x.shape[-3]", None),
    "too_many_values": ("B, C = x.shape", "SHP009"),
    "not_enough_values": ("B, C, H, W = x.size()", "SHP009"),
    "unpack_right": ("B, T, C = x.shape", None),
    "starred": ("*_, C = x.shape", None),
    "list_target": ("[B, T, C] = x.shape", None),
    "list_target_wrong": ("[B, T] = x.shape", "SHP009"),
    "guarded": ("if x.dim() == 4:;    B, C, H, W = x.shape;    n = x.shape[3]", None),
    "len_guarded": ("if len(x.shape) > 3:;    n = x.shape[3]", None),
    "caught": ("try:;    n = x.shape[3];except IndexError:;    n = 0", None),
    "after_view": ("y = x.view(2, -1);B, T, C = y.shape", "SHP009"),
    "a_plain_tuple": ("t = (1, 2);n = t[1]", None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_size_errors_are_torchs(name):
    body, code = CASES[name]
    src = _model(body)
    outcome = run_model(src, "M", [2, 3, 8])
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    assert (outcome.verdict == "ok") == (code is None), outcome.error
    if code is None:
        assert not errors
        return
    assert [f.code for f in errors] == [code]
    assert errors[0].line == outcome.line  # where Python raises
    raised = "IndexError" if code == "SHP012" else "ValueError"
    assert outcome.error.startswith(raised)


def test_the_message_gives_both_ranks_and_pythons_error():
    (f,) = check_source("m.py", _model("B, C = x.shape")).findings
    assert "2-D" in f.message and "3-D (2, 3, 8)" in f.message and "too many values to unpack (expected 2)" in f.message
    (g,) = check_source("m.py", _model("n = x.shape[3]")).findings
    assert "3" in g.message and "(2, 3, 8)" in g.message


def test_nothing_declared_an_unpack_of_a_guessed_rank_is_not_an_error():
    src = _model("B, C = x.shape").replace("  # shapelint: input=(2, 3, 8)", "")
    assert not [f for f in check_source("m.py", src).findings if f.severity == "error"]
