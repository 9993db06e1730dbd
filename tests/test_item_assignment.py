"""`x[key] = value` on a tensor, against torch: the value is expanded to the shape of the part
`x[key]` selects (leading size-1 dims dropped first) and torch raises where it cannot. Before,
shapelint checked no item assignment: a key/value cache written with the wrong head count
(`cache_k[:bsz, start : start + seqlen] = xk`) was found only later, at the matmul torch never
reached, or not at all. The tensor's shape never changes; an index tensor key is not checked.
"""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import load

pytestmark = pytest.mark.torch

SNIPPET = '''
import torch
import torch.nn as nn


class Net(nn.Module):  # shapelint: x=(2, 3)
    def __init__(self):
        super().__init__()
        self.register_buffer("cache", torch.zeros(4, 8, 2, 3), persistent=False)

    def forward(self, x):
        b = x.shape[0]
        start = 1
        self.cache[KEY] = torch.ones(VALUE)
        return self.cache.sum() + x
'''

CASES = [
    (":b, start:start + 3", "2, 3, 2, 3"), (":b, start:start + 3", "2, 3, 4, 3"), (":b, start:start + 3", "1, 3, 2, 3"),
    (":b, start:start + 3", "3"), (":b, start:start + 3", "1, 2, 3, 2, 3"), (":b, start:start + 3", "2, 2, 3, 2, 3"),
    ("0", "8, 2, 3"), ("0", "8, 2, 4"), (":, :, 0", "4, 8, 3"), (":, :, 0", "4, 8, 2"), ("..., 1", "4, 8, 2"),
    ("..., 1", "8, 1"), ("torch.tensor([0, 1])", "2, 8, 2, 5"), (":b", "b, 8, 2, 3"), (":b", "b + 1, 8, 2, 3"),
]


def _torch_raises(src) -> bool:
    import torch

    try:
        load(src, "m.py").Net()(torch.zeros(2, 3))
    except RuntimeError:
        return True
    return False


@pytest.mark.parametrize("key,value", CASES)
def test_item_assignment_error_exactly_where_torch_raises(key, value):
    src = SNIPPET.replace("KEY", key).replace("VALUE", value)
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    if key.startswith("torch.tensor"):
        assert not errors  # advanced indexing is not checked
        return
    assert bool(errors) == _torch_raises(src), (key, value, [f.message for f in errors])
    assert all(f.line == 14 and f.code == "SHP006" for f in errors)
