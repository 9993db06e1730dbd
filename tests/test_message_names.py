"""Messages name layers as users write them, once per defect (issue 16.5c, 16.5f).

- torch's named_modules() spells a Sequential's child `features.2`; the code that builds or
  calls it writes `features[2]` (and a module-level Sequential `model`'s child `model[3]`):
  messages use the written form, the JSON `module` field and `--explain` keep torch's;
- blocks built by one line (a comprehension over a config) share one finding at that line.
Oracle: the written name, evaluated on the torch model, is the module named_modules() names.
"""

import json
import textwrap

import pytest

from conftest import run_cli
from shapelint.core.values import written_name
from shapelint.engine.check import check_source
from torch_oracle import load, run_model

NESTED = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Sequential(nn.ReLU(), nn.Conv2d(8, 8, 3)))
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 4)) for _ in range(2)])
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            return self.head(self.features(x).mean((2, 3)))


    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 2))
    """)


@pytest.mark.torch
def test_the_written_name_is_the_module_torch_names():
    mod = load(NESTED)
    for root, label in ((mod.Net(), "self"), (mod.model, "model")):
        for name, sub in root.named_modules():
            if name:
                written = written_name(name, label)
                code = written if written.startswith(label + "[") else f"{label}.{written}"  # `features[1]` is self.features[1]
                assert eval(code, {label: root}) is sub, name  # noqa: S307 - our own text


def test_written_names_index_sequential_and_list_children():
    assert written_name("features.2") == "features[2]"
    assert written_name("features.1.conv") == "features[1].conv"
    assert written_name("blocks.0.1") == "blocks[0][1]"
    assert written_name("3", "model") == "model[3]"
    assert written_name("stem.conv") == "stem.conv"


SEQ_BAD = textwrap.dedent("""\
    import torch.nn as nn

    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(256, 10),
    )
    """)


@pytest.mark.torch
def test_a_module_level_sequential_is_named_model_index(tmp_path):
    assert run_model(SEQ_BAD, "model", [2, 1, 28, 28]).verdict == "crash"  # (2x512 and 256x10)
    (tmp_path / "m.py").write_text(SEQ_BAD)
    proc = run_cli("--isolated", "--no-cache", "--format", "json", "m.py", cwd=str(tmp_path))
    (d,) = [d for d in json.loads(proc.stdout) if d["severity"] == "error"]
    assert d["message"].startswith("model[3] expects 256 input features"), d["message"]
    assert "(model[1] out_features=512" in d["message"]


CONFIG_BLOCKS = textwrap.dedent("""\
    import torch.nn as nn

    CFG = [(3, 16), (16, 32), (32, 32)]


    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, padding=1)
            self.bn = nn.BatchNorm2d(cout * 2)

        def forward(self, x):
            return self.bn(self.conv(x))


    class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(*[Block(a, b) for a, b in CFG])

        def forward(self, x):
            return self.blocks(x)
    """)


@pytest.mark.torch
def test_blocks_built_by_one_line_share_one_finding():
    assert run_model(CONFIG_BLOCKS, "Net", [2, 3, 8, 8]).verdict == "crash"  # BatchNorm2d(32) gets 16 channels
    errors = [f for f in check_source("m.py", CONFIG_BLOCKS).findings if f.severity == "error"]
    assert len(errors) == 1, [f.message for f in errors]
    (f,) = errors
    assert f.line == 10 and f.code == "SHP001"
    assert f.message.startswith("blocks[0].bn expects 32 input channels"), f.message
    assert "the same in blocks[1].bn, blocks[2].bn" in f.message
    assert f.edits == [] and f.fix is None  # 16, 32 and 32: no one number fixes every block
