"""A closure sees the names of the function that made it as they are when it runs, and a
`nonlocal` write inside an undecided branch belongs to that branch only. Before, a nested
function or lambda held the enclosing names' dict as it was when it was made: in a branch it
read the values from before the branch (a stale width) and its `nonlocal` writes landed under
both paths. Each model here runs in torch at two batch sizes, which take the two paths.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: input=(B, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        width = 2
        get = lambda: width

        def widen():
            nonlocal width
            width = 5

        def read():
            return width
'''

# (forward tail, the output shape both batch sizes give in torch or None where they differ)
CASES = {
    "nonlocal write on one path": ("""
        if x.shape[0] > 1:
            widen()
        return self.fc(x)[:, :width]
""", None),
    "lambda reads the branch's own name": ("""
        if x.shape[0] > 1:
            width = 3
            y = self.fc(x)[:, :get()]
        else:
            y = self.fc(x)[:, :2]
        return y
""", None),
    "nested def reads the branch's own name": ("""
        if x.shape[0] > 1:
            width = 4
            y = self.fc(x)[:, :read()]
        else:
            y = self.fc(x)[:, :2]
        return y
""", None),
    "both paths widen": ("""
        if x.shape[0] > 1:
            widen()
            y = self.fc(x)
        else:
            widen()
            y = self.fc(x) * 2
        return y[:, :width]
""", ["B", 5]),
    "both paths agree through the closure": ("""
        if x.shape[0] > 1:
            width = 3
            y = self.fc(x)[:, :get()]
        else:
            y = self.fc(x)[:, :3]
        return y
""", ["B", 3]),
    "no branch: the write stands": ("""
        widen()
        return self.fc(x)[:, :get()]
""", ["B", 5]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_closures_see_the_scope_of_the_path_they_run_on(name):
    import torch

    tail, want = CASES[name]
    src = HEAD + tail
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], name
    (report,) = [m for m in result.models if m.name == "Net"]
    got = {b: list(load(src, "m.py").Net()(torch.zeros(b, 4)).shape) for b in (1, 3)}
    if want is None:
        assert got[1][1] != got[3][1]  # the two paths give different widths in torch
        assert report.output is None, name
    else:
        assert [got[1][1], got[3][1]] == [want[1]] * 2
        assert report.output == want, name
