"""The model-free fast path (engine/model_free.py) skips only files the full engine finds nothing in.

Each file it would skip is run through the full engine (the fast path turned off) and must
give no model and no finding; each way real code builds or reaches a model at import must
go to the full engine.
"""

import glob
import os
import sys

import pytest

from shapelint.engine import check as check_module
from shapelint.engine.check import check_source
from shapelint.engine.model_free import cannot_hold_findings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from bench_growth import synthetic  # noqa: E402

FILES = sorted(
    p for pattern in ("fixtures/**/*.py", "examples/**/*.py")
    for p in glob.glob(os.path.join(ROOT, pattern), recursive=True)
)


def _full(path, text):
    """check_source with the fast path off."""
    saved = check_module.cannot_hold_findings
    check_module.cannot_hold_findings = lambda *_: False
    try:
        return check_source(path, text, explain=True)
    finally:
        check_module.cannot_hold_findings = saved


UTILITY = '''import math
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List

import torch

TABLE = {"name": "entry", "sizes": [1, 2, 3]}
if os.environ.get("DEBUG"):
    TABLE["scale"] = 2
PATTERN = re.compile(r"item_(\\d+)")
SIZES = [2 ** k for k in range(4)]


@dataclass
class Record:
    name: str = "x"
    tags: List[str] = field(default_factory=list)

    def scaled(self, t: torch.Tensor) -> torch.Tensor:
        return t * 2


class Missing(KeyError):
    pass


def normalize(t: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    return (t - t.mean()) / (t.std() + eps)


try:
    import numpy as np_missing  # noqa: F401
except ImportError:
    np_missing = None
'''

# module-level code that builds, reaches or checks something: the full engine must see it
NEEDS_ENGINE = {
    "module_level_sequential": "import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(4, 8), nn.Linear(16, 2))\n",
    "class_with_torch_base": "import torch\n\n\nclass Net(torch.nn.Module):\n    pass\n",
    "class_with_aliased_base": "import torch.nn as nn\nBase = nn.Module\n\n\nclass Net(Base):\n    pass\n",
    "class_with_sibling_base": "from .blocks import Block\n\n\nclass Net(Block):\n    pass\n",
    "base_from_a_call": "import torch\n\n\ndef base():\n    return object\n\n\nclass Net(base()):\n    pass\n",
    "local_builder_called": "import torch.nn as nn\n\n\ndef build():\n    return nn.Linear(3, 4)\n\n\nnet = build()\n",
    "local_class_instantiated": "import torch\n\n\nclass Holder:\n    def __init__(self):\n        self.w = torch.zeros(3)\n\n\nh = Holder()\n",
    "decorator_from_torch": "import torch\n\n\n@torch.jit.script\ndef f(x):\n    return x\n",
    "default_value_builds_a_layer": "import torch.nn as nn\n\n\ndef head(layer=nn.Linear(3, 4)):\n    return layer\n",
    "class_body_builds_a_layer": "import torch.nn as nn\n\n\nclass Cfg:\n    layer = nn.Linear(3, 4)\n",
    "module_level_assert": "import torch\nWIDTH = 30\nassert WIDTH % 4 == 0\n",
    "softmax_in_a_plain_function": "import torch.nn.functional as F\n\n\ndef probs(x):\n    return F.softmax(x)\n",
    "star_import": "from torch.nn import *\nimport os\n",
    "importlib": "import importlib\nnn = importlib.import_module('torch.nn')\n",
    "sys_modules": "import sys\nnn = sys.modules['torch.nn']\n",
    "getattr_builtin": "import os\nLayer = getattr(os, 'sep')\nimport torch\n",
    "lambda_at_module_level": "import torch\nmake = lambda: torch.zeros(3)\n",
    "unknown_name": "import torch\nx = undefined_thing(3)\n",
    "syntax_error": "import torch\ndef f(:\n",
}


def test_a_utility_file_takes_the_fast_path_and_the_full_engine_agrees():
    assert cannot_hold_findings(UTILITY, None)
    r = _full(None, UTILITY)
    assert r.models == [] and r.findings == []
    assert check_source(None, UTILITY).findings == []


def test_the_benchmark_utility_file_takes_the_fast_path():
    text = synthetic(2000, model=False)
    assert cannot_hold_findings(text, None)
    assert not cannot_hold_findings(synthetic(2000, model=True), None)


@pytest.mark.parametrize("case", sorted(NEEDS_ENGINE))
def test_code_that_runs_or_checks_at_import_goes_to_the_engine(case):
    assert not cannot_hold_findings(NEEDS_ENGINE[case], None)


def test_the_engine_finds_what_the_fast_path_would_have_hidden():
    """The cases above are real: the full engine finds a model or a finding in them."""
    for case in ("module_level_sequential", "class_with_torch_base", "class_with_aliased_base",
                 "local_builder_called", "module_level_assert", "softmax_in_a_plain_function"):
        r = check_source(None, NEEDS_ENGINE[case])
        assert r.models or r.findings, case


def test_a_sibling_file_shadowing_a_stdlib_name_is_not_the_stdlib(tmp_path):
    (tmp_path / "random.py").write_text("import torch.nn as nn\nlayer = nn.Linear(3, 4)\n")
    text = "import random\nL = random.layer\n"
    assert cannot_hold_findings(text, None)
    assert not cannot_hold_findings(text, str(tmp_path / "m.py"))


def test_every_file_it_would_skip_has_nothing_in_the_full_engine():
    """Over fixtures/ and examples/ (the package __init__ files take the fast path there;
    scripts/model_free_audit.py does the same over any tree: 432 of torch's own files)."""
    skipped, wrong = [], []
    for path in FILES:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
        if cannot_hold_findings(text, path):
            skipped.append(os.path.relpath(path, ROOT))
            r = _full(path, text)
            if r.models or r.findings:
                wrong.append(skipped[-1])
    assert len(skipped) >= 4 and wrong == []
