"""A repository's own modules imported absolutely or by `*`, as Python resolves them when the
package imports itself: `from mypkg.layers import Mlp` inside mypkg/models/vit.py (timm's
`from timm.layers import ...`), YOLOv5's `from models.common import *` and
`from utils.general import make_divisible` inside models/yolo.py. Before, both left every layer
built from them unknown. A star import takes the module's `__all__` (else every name without a
leading underscore); one that cannot be read leaves the names unknown. Each package is imported
and run by real torch.
"""

import importlib
import sys

import pytest

from shapelint.engine.check import check_source

pytestmark = pytest.mark.torch

LAYERS = '''
import collections.abc
import torch.nn as nn
from itertools import repeat

__all__ = ["Mlp", "to_2tuple"]


def _ntuple(n):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    return parse


to_2tuple = _ntuple(2)
_hidden_width = 99


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))
'''

VIT = '''
import torch
import torch.nn as nn
from mypkg.layers import Mlp, to_2tuple
from mypkg.layers.core import *
import mypkg.layers.core as core


class Tiny(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self, img_size=32, patch=8, dim=64):
        super().__init__()
        img = to_2tuple(img_size)
        self.proj = nn.Conv2d(3, dim, patch, patch)
        self.mlp = Mlp(dim, dim * 4)
        self.head = core.Mlp(dim, out_features=img[0] // patch)

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)
        return self.head(self.mlp(x)).mean(1)
'''

COMMON = '''
import math
import torch
import torch.nn as nn


def autopad(k, p=None):
    return k // 2 if p is None else p


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p), bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))
'''

YOLO = '''
from models.common import *
from utils.general import make_divisible


class Tiny(nn.Module):  # shapelint: input=(1, 3, 64, 64)
    def __init__(self, width=0.25):
        super().__init__()
        c = make_divisible(64 * width, 8)
        self.stem = Conv(3, c, 6, 2, 2)
        self.down = Conv(c, 2 * c, 3, 2)

    def forward(self, x):
        return torch.cat([self.down(self.stem(x))] * 2, 1)
'''

GENERAL = "import math\n\n\ndef make_divisible(x, divisor):\n    return math.ceil(x / divisor) * divisor\n"


def _write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _torch_output(root, module, shape):
    import torch

    sys.path.insert(0, str(root))
    try:
        for name in [m for m in sys.modules if m.split(".")[0] in ("mypkg", "models", "utils")]:
            del sys.modules[name]
        mod = importlib.import_module(module)
        return list(mod.Tiny()(torch.zeros(*shape)).shape)
    finally:
        sys.path.remove(str(root))


def _static_output(path):
    result = check_source(str(path), path.read_bytes())
    assert not [f for f in result.findings if f.severity == "error"]
    (report,) = [m for m in result.models if m.name == "Tiny"]
    return report.output


def test_the_package_imports_itself_absolutely(tmp_path):
    _write(tmp_path, {"mypkg/__init__.py": "", "mypkg/models/__init__.py": "", "mypkg/layers/__init__.py": "from .core import *\n",
                      "mypkg/layers/core.py": LAYERS, "mypkg/models/vit.py": VIT})
    want = _torch_output(tmp_path, "mypkg.models.vit", (2, 3, 32, 32))
    assert want == [2, 4]
    assert _static_output(tmp_path / "mypkg/models/vit.py") == want


def test_a_repository_with_top_level_packages_and_a_star_import(tmp_path):
    _write(tmp_path, {"models/__init__.py": "", "utils/__init__.py": "", "models/common.py": COMMON,
                      "utils/general.py": GENERAL, "models/yolo.py": YOLO})
    want = _torch_output(tmp_path, "models.yolo", (1, 3, 64, 64))
    assert want == [1, 64, 16, 16]
    assert _static_output(tmp_path / "models/yolo.py") == want


def test_a_star_import_binds_only_what_the_module_exports(tmp_path):
    """`__all__` leaves `_hidden_width` and `repeat` out: a model reading them is unknown (Python: NameError)."""
    _write(tmp_path, {"mypkg/__init__.py": "", "mypkg/layers/__init__.py": "", "mypkg/layers/core.py": LAYERS,
                      "mypkg/net.py": "import torch.nn as nn\nfrom mypkg.layers.core import *\n\n\n"
                                      "class Tiny(nn.Module):  # shapelint: input=(2, 4)\n    def __init__(self):\n"
                                      "        super().__init__()\n        self.fc = Mlp(4, out_features=len(list(repeat(1, 3))))\n\n"
                                      "    def forward(self, x):\n        return self.fc(x)\n"})
    with pytest.raises(NameError):
        _torch_output(tmp_path, "mypkg.net", (2, 4))
    assert _static_output(tmp_path / "mypkg/net.py") is None


def test_a_file_outside_any_package_does_not_look_upwards(tmp_path):
    """No __init__.py beside the file: only its own directory is searched (as `python file.py` would)."""
    _write(tmp_path, {"models/common.py": COMMON, "utils/general.py": GENERAL, "scripts/yolo.py": YOLO})
    path = tmp_path / "scripts/yolo.py"
    result = check_source(str(path), path.read_bytes())
    assert not [f for f in result.findings if f.severity == "error"]
    assert [m.output for m in result.models if m.name == "Tiny"] in ([], [None])  # nn itself is not known there
