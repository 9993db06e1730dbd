"""Forward hooks and pre-hooks as nn.Module.__call__ runs them, against torch. Before, hooks were
ignored: a hook that cuts a layer's output (`lambda m, i, o: o[:, :3]`) left the engine stating the
layer's own (6-wide) output where torch gives 3 (a wrong shape). A hook returning None leaves the
output; `handle.remove()` takes it off; hooks the engine does not follow make the calls unknown.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = '''
import torch
import torch.nn as nn


def keep_half(module, inputs, output):
    return output[:, : output.shape[1] // 2]


def double_input(module, inputs):
    return torch.cat([inputs[0], inputs[0]], dim=1)


class Net(nn.Module):  # shapelint: input=(2, 4)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.wide = nn.Linear(8, 5)
        self.features = []
'''

CASES = {
    "a hook replaces the output": '''
        self.fc.register_forward_hook(lambda m, i, o: o[:, :3])

    def forward(self, x):
        return self.fc(x)
''',
    "a hook that returns None keeps it": '''
        self.fc.register_forward_hook(lambda m, i, o: self.features.append(o))

    def forward(self, x):
        return self.fc(x)
''',
    "hooks run in order, each on the last result": '''
        self.fc.register_forward_hook(keep_half)
        self.fc.register_forward_hook(lambda m, i, o: torch.cat([o, o, o, o], dim=1))

    def forward(self, x):
        return self.fc(x)
''',
    "prepend runs first": '''
        self.fc.register_forward_hook(lambda m, i, o: torch.cat([o, o, o, o], dim=1))
        self.fc.register_forward_hook(keep_half, prepend=True)

    def forward(self, x):
        return self.fc(x)
''',
    "a pre-hook replaces the input": '''
        self.wide.register_forward_pre_hook(double_input)

    def forward(self, x):
        return self.wide(x)
''',
    "a removed hook is gone": '''
        h = self.fc.register_forward_hook(keep_half)
        h.remove()

    def forward(self, x):
        return self.fc(x)
''',
    "a hook on a user module": '''
        self.block = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        self.block.register_forward_hook(keep_half)

    def forward(self, x):
        return self.block(x) * 2
''',
    "a hook registered in forward": '''

    def forward(self, x):
        h = self.fc.register_forward_hook(keep_half)
        y = self.fc(x)
        h.remove()
        return torch.cat([y, self.fc(x)], dim=1)
''',
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_output_is_the_one_torch_gives(name):
    import torch

    src = HEAD + CASES[name]
    want = list(load(src, "m.py").Net()(torch.zeros(2, 4)).shape)
    result = check_source("m.py", src)
    assert not [f for f in result.findings if f.severity == "error"], name
    (report,) = [m for m in result.models if m.name == "Net"]
    assert report.output == want, name


UNFOLLOWED = HEAD + '''
        self.fc.register_forward_hook(lambda m, a, k, o: o[:, :3], with_kwargs=True)

    def forward(self, x):
        return self.fc(x)
'''


def test_a_hook_with_options_not_followed_makes_the_call_unknown():
    import torch

    assert list(load(UNFOLLOWED, "m.py").Net()(torch.zeros(2, 4)).shape) == [2, 3]
    (report,) = [m for m in check_source("m.py", UNFOLLOWED).models if m.name == "Net"]
    assert report.output is None
