"""`@property` (and functools.cached_property) as Python runs them, against torch.

Reading `obj.name` where obj's class defines `name` as a property runs the getter on obj at
that moment (HF configs' `head_dim`, timm's `num_features`); `obj.name = v` runs the
`@name.setter` def; without one Python raises AttributeError, so the write is never taken as a
plain attribute. Each snippet is written here from those rules; torch builds and runs it.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

HEAD = "import functools\n\nimport torch\nimport torch.nn as nn\n\n\n"

CONFIG_PROPERTY = HEAD + '''
class Config:
    def __init__(self, dim=16, heads=4):
        self.dim = dim
        self.heads = heads

    @property
    def head_dim(self):
        return self.dim // self.heads

    @functools.cached_property
    def hidden(self):
        return self.dim * 3


class Net(nn.Module):  # shapelint: input=(2, 5, 16)
    def __init__(self, cfg=None):
        super().__init__()
        cfg = cfg or Config()
        self.q = nn.Linear(cfg.dim, cfg.heads * cfg.head_dim)
        self.up = nn.Linear(cfg.dim, cfg.hidden)
        self.down = nn.Linear(cfg.hidden, cfg.dim)

    def forward(self, x):
        return self.down(self.up(self.q(x)))
'''

# the getter reads the state of the moment; a setter writes through
SETTER_AND_LIVE_STATE = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 8)
    def __init__(self):
        super().__init__()
        self._width = 4
        self.blocks = nn.ModuleList()
        self.width = 6
        for _ in range(self.depth + 2):
            self.blocks.append(nn.Linear(8, 8))
        self.head = nn.Linear(8, self.width * self.depth)

    @property
    def width(self):
        return self._width + 1

    @width.setter
    def width(self, v):
        self._width = 2 * v

    @property
    def depth(self):
        return len(self.blocks)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        assert x.shape[-1] == 8 and self.depth == 2
        return self.head(x)
'''

# a property with no setter: torch's nn.Module.__setattr__ ends in object.__setattr__, which raises
NO_SETTER = HEAD + '''
class Net(nn.Module):  # shapelint: input=(2, 8)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.out_features = 3
        self.head = nn.Linear(8, self.out_features)

    @property
    def out_features(self):
        return self.fc.out_features

    def forward(self, x):
        return self.head(self.fc(x))
'''


@pytest.mark.parametrize("src,shape", [(CONFIG_PROPERTY, (2, 5, 16)), (SETTER_AND_LIVE_STATE, (2, 8))],
                         ids=["config_property", "setter_and_live_state"])
def test_property_reads_and_writes_equal_torchs(src, shape):
    import torch

    model = load(src, "m.py").Net()
    want = list(model(torch.zeros(*shape)).shape)
    result = check_source("m.py", src, explain=True)
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    assert report.output == want
    assert report.summary["total"]["params"] == sum(p.numel() for p in model.parameters())


def test_the_setter_ran_in_torch():
    model = load(SETTER_AND_LIVE_STATE, "m.py").Net()
    assert model.width == 13 and model.depth == 2 and model.head.out_features == 26


def test_a_write_to_a_property_without_setter_is_not_taken_as_an_attribute():
    with pytest.raises(AttributeError):
        load(NO_SETTER, "m.py").Net()
    result = check_source("m.py", NO_SETTER)
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Net"]
    assert report.output != [2, 3]  # the write never happened in Python: 3 would be a guess
