"""Where the input shape comes from: the class-line comment, pyproject.toml, --input-shape.

The oracle is torch: the same model runs at 32x32 and fails at 28x28, so whichever
source wins decides whether shapelint must report the error.
"""

import json

import pytest

from conftest import run_cli
from torch_oracle import run_model

MODEL = """import torch
import torch.nn as nn


class Net(nn.Module):{comment}
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 16 * 16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))
"""


def _errors(proc):
    return [d for d in json.loads(proc.stdout) if d["severity"] == "error"]


@pytest.mark.torch
def test_oracle_model_runs_only_at_32():
    src = MODEL.format(comment="")
    assert run_model(src, "Net", [2, 3, 32, 32]).verdict == "ok"
    assert run_model(src, "Net", [2, 3, 28, 28]).verdict == "crash"


def test_comment_declares_the_input(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(MODEL.format(comment="  # shapelint: input=(2, 3, 28, 28)"))
    good = tmp_path / "good.py"
    good.write_text(MODEL.format(comment="  # shapelint: input=(B, 3, 32, 32)"))
    assert [d["code"] for d in _errors(run_cli("--format", "json", str(bad)))] == ["SHP002"]
    assert _errors(run_cli("--format", "json", str(good))) == []


def test_pyproject_declares_the_input_with_symbols(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.shapelint.input-shapes]\nNet = ["N", 3, 28, 28]\n')
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=""))
    proc = run_cli("--format", "json", str(model))
    assert proc.returncode == 1
    assert [d["code"] for d in _errors(proc)] == ["SHP002"]


def test_precedence_cli_then_comment_then_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint.input-shapes]\nNet = [2, 3, 28, 28]\n")
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment="  # shapelint: input=(2, 3, 32, 32)"))
    assert _errors(run_cli("--format", "json", str(model))) == []  # the comment beats pyproject
    over = run_cli("--format", "json", "--input-shape", "Net=2,3,28,28", str(model))
    assert [d["code"] for d in _errors(over)] == ["SHP002"]  # the command line beats both


def test_without_any_declaration_the_accepted_size_is_named(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=""))
    proc = run_cli("--format", "json", str(model))
    assert proc.returncode == 0
    (note,) = [d for d in json.loads(proc.stdout) if d["code"] == "SHP200"]
    assert note["severity"] == "info" and "32x32" in note["message"]


def test_bad_input_shape_option_is_a_usage_error(tmp_path):
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=""))
    proc = run_cli("--input-shape", "Net=2,x-1", str(model))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--input-shape" in proc.stderr


def test_bad_pyproject_is_a_usage_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.shapelint.input-shapes]\nNet = 5\n")
    model = tmp_path / "m.py"
    model.write_text(MODEL.format(comment=""))
    proc = run_cli(str(model))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "input-shapes" in proc.stderr
