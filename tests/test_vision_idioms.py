"""Vision idioms of public repositories that shapelint follows exactly, against real torch.

Each model named in FULLY_KNOWN (fixtures in fixtures/real/, written here in the styles of HRNet,
YOLO, SSD, StyleGAN and the others named in their docstrings) must have, for every named submodule
torch runs, a known `--explain` shape equal to torch's, call by call. tests/test_real_models.py
already checks these files for soundness (never a wrong shape); this pins what is *known*, so a
construct that silently falls back to unknown fails here.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import ROOT, run_cli
from fixture_targets import run_in_torch, targets_in
from shape_compare import compare, rows_by_module

pytestmark = pytest.mark.torch

REAL = os.path.join(ROOT, "fixtures", "real")
# file: the targets whose every submodule shape is known and torch's; the construct each pins
FULLY_KNOWN = {
    "attention_se_cbam.py": ["SEResNet", "CBAMResNet"],  # y.expand_as(x), torch.max(x, 1)[0], F.avg_pool2d over x.size(2)
    "cifar_option_a.py": ["cifar_resnet8", "cifar_resnet14b"],  # LambdaLayer F.pad(x[:, :, ::2, ::2]), block.expansion
    "deeplab_aspp.py": ["DeepLabV3", "DeepLabV3Plus"],  # children()[:-2], interpolate(size=x.shape[-2:])
    "hrnet_fuse.py": ["TinyHRNet"],  # None entries of a ModuleList (fuse_layers[i][i], transition[0] is None)
    "ssd_multibox.py": ["SSD"],  # kernel_size=(1, 3)[flag] (a bool index), L2Norm's weight expand_as(x)
    "stylegan_stn.py": ["StyledBlock", "STN", "UnfoldAttention"],  # F.conv2d(groups=batch), affine_grid, grid_sample
    "sr_pixelshuffle.py": ["ESPCN", "EDSR", "MobileNetV1"],  # PixelShuffle, Upsampler(nn.Sequential), groups=in_planes
    "video_c3d.py": ["C3D", "R2Plus1DNet", "Video2DPlusTemporal"],  # Conv3d/MaxPool3d tuples, (B*T) folds
    "yolo_cfg.py": ["DetectionModel"],  # eval("Conv"), eval("nc"), NameError caught; `m is C3`, `m in (Conv, ...)`
}


def _explain(path, targets):
    args = [a for t in targets if t.kind == "variable" for a in ("--input-shape", f"{t.name}={','.join(map(str, t.dims))}")]
    proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json", *args, path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {m["class"]: m for m in json.loads(proc.stdout)["models"]}


CASES = [(f, name) for f, names in sorted(FULLY_KNOWN.items()) for name in names]


@pytest.mark.parametrize("name, target", [(f"{f}::{n}", n) for f, n in CASES])
def test_every_submodule_shape_is_torchs(name, target):
    path = os.path.join(REAL, name.split("::")[0])
    targets = targets_in(path)
    t = next(t for t in targets if t.name == target)
    real = run_in_torch(t)
    assert real.verdict == "ok", real.error
    rows, conditional = rows_by_module(_explain(path, targets)[target])
    missing = sorted(set(real.shapes) - set(rows))
    assert not missing, f"no shape for {missing}"
    for module, calls in real.shapes.items():
        v = compare(rows[module], calls, module in conditional)
        assert v.equal, f"{module}: shapelint {rows[module]}, torch {calls}"


def test_a_padded_size_is_named_at_the_pad_that_made_it():
    """The option-A shortcut's channels come from F.pad at the defect line, not from the model input;
    torch fails there (fixtures/real/cifar_option_a_bad.py: 16 + 4 + 4 channels added to 32)."""
    path = os.path.join(REAL, "cifar_option_a_bad.py")
    (t,) = targets_in(path)
    assert run_in_torch(t).verdict != "ok"
    proc = run_cli("--isolated", "--exit-zero", "--format", "json", "--input-shape", "cifar_bad_pad=2,3,32,32", path)
    (d,) = [d for d in json.loads(proc.stdout) if d["severity"] == "error"]
    pad_line = next(i for i, ln in enumerate(open(path, encoding="utf-8"), 1) if "F.pad(" in ln)
    assert f"24 on the right (F.pad at line {pad_line})" in d["message"], d["message"]
    assert pad_line in [r["line"] for r in d["related"]]
