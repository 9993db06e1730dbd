"""`a or b` / `a and b` with an operand shapelint cannot know: the result is that operand or the
other, so its value is unknown even where its truth is not. Before, `unknown or 4` gave 4 (Python
gives the unknown value when it is true: `int(os.environ.get("WIDTH", "8")) or 4` is 8), a wrong
width. The truth still decides a branch: `if unknown or True:` takes the body."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import os

import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        width = int(os.environ.get("SHAPELINT_TEST_WIDTH", "8"))
        BODY
        self.fc = nn.Linear(4, w)

    def forward(self, x):
        return self.fc(x)
'''

UNKNOWN_VALUE = ["w = width or 4", "w = (width and 5) or 6", "w = [width][0] or 2"]
KNOWN = [  # the truth decides: the width itself is a literal
    ("w = 3\n        if width or True:\n            w = 5", 5),
    ("w = 3\n        if width and False:\n            w = 5", 3),
    ("w = 3\n        flag = width and 0\n        if not flag:\n            w = 7", 7),
    ("w = 4 or width", 4),
    ("w = 0 and width or 6", 6),
    ("w = width and 0 or 3", 3),  # falsy either way, so the `or` gives 3
]


@pytest.mark.parametrize("body", UNKNOWN_VALUE)
def test_the_value_of_an_unknown_operand_is_not_the_other_one(body):
    import torch

    src = SNIPPET.replace("BODY", body)
    torch_width = load(src, "m.py").Net()(torch.zeros(2, 4)).shape[1]
    (report,) = [m for m in check_source("m.py", src).models if m.name == "Net"]
    assert report.output is None, (body, torch_width)


@pytest.mark.parametrize("body,width", KNOWN)
def test_a_known_truth_still_decides(body, width):
    import torch

    src = SNIPPET.replace("BODY", body)
    assert load(src, "m.py").Net()(torch.zeros(2, 4)).shape[1] == width
    (report,) = [m for m in check_source("m.py", src).models if m.name == "Net"]
    assert report.output == [2, width]
