"""`--trace` checks the input the static check checks, and its findings pass the same filter.

Oracle: real torch. The model runs at 16x16 and fails at 32x32, so whichever declared
input a front end picks is visible: torch's verdict on the traced input, and the
static finding (or its absence), must agree with the precedence the static check
uses (command line, then the class-line comment, then pyproject.toml).
"""

import json
import os

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from conftest import ROOT, run_cli  # noqa: E402
from torch_oracle import run_model  # noqa: E402

MODEL = """import torch
import torch.nn as nn


class Net(nn.Module):{comment}
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))
"""
SMALL, LARGE = [2, 3, 16, 16], [4, 3, 32, 32]

# (class-line comment, pyproject dims, --input-shape dims) -> the input that must win
PRECEDENCE = {
    "comment beats pyproject": (SMALL, LARGE, None, SMALL),
    "comment beats pyproject (failing size)": (LARGE, SMALL, None, LARGE),
    "pyproject alone": (None, SMALL, None, SMALL),
    "command line beats both": (LARGE, LARGE, [3, 3, 16, 16], [3, 3, 16, 16]),
}


def _project(tmp_path, comment, pyproject):
    text = MODEL.format(comment=f"  # shapelint: input=({', '.join(map(str, comment))})" if comment else "")
    (tmp_path / "net.py").write_text(text)
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(f"[tool.shapelint.input-shapes]\nNet = {pyproject}\n")
    return text


def test_the_model_runs_only_at_16():
    src = MODEL.format(comment="")
    assert run_model(src, "Net", SMALL).verdict == "ok"
    assert run_model(src, "Net", LARGE).verdict == "crash"


@pytest.mark.parametrize("case", sorted(PRECEDENCE))
def test_static_and_trace_check_the_same_declared_input(tmp_path, case):
    comment, pyproject, cli, winner = PRECEDENCE[case]
    text = _project(tmp_path, comment, pyproject)
    args = ["--input-shape", "Net=" + ",".join(map(str, cli))] if cli else []
    proc = run_cli("--trace", "--explain", "--format", "json", *args, "net.py", cwd=str(tmp_path))
    data = json.loads(proc.stdout)
    (model,) = data["models"]
    assert model["input"] == winner  # the static check
    assert model["trace"]["input"] == winner  # what the trace child was given
    codes = sorted(d["code"] for d in data["diagnostics"] if d["severity"] == "error")
    torch_fails = run_model(text, "Net", winner).verdict == "crash"
    assert codes == (["SHP002", "SHP300"] if torch_fails else []), data["diagnostics"]
    assert proc.returncode == (1 if torch_fails else 0)


CRASH = os.path.join(ROOT, "fixtures", "trace", "crash_in_block.py")
CRASH_LINE = "        return F.relu(self.conv(x))"


@pytest.mark.parametrize("how", ["noqa", "ignore", "per-file-ignores"])
def test_trace_findings_pass_the_same_filter_as_static_ones(tmp_path, how):
    text = open(CRASH, encoding="utf-8").read()
    assert run_model(text, "Net", [2, 3, 16, 16], filename=CRASH).verdict == "crash"
    (tmp_path / "control.py").write_text(text)
    control = run_cli("--trace", "--isolated", "--format", "json", "control.py", cwd=str(tmp_path))
    (traced,) = [d for d in json.loads(control.stdout) if d["code"] == "SHP300"]
    assert text.split("\n")[traced["line"] - 1] == CRASH_LINE  # the finding the filter must remove
    if how == "noqa":
        text = text.replace(CRASH_LINE, CRASH_LINE + "  # noqa: SHP300")
    elif how == "ignore":
        (tmp_path / "pyproject.toml").write_text('[tool.shapelint]\nignore = ["SHP300"]\n')
    else:
        (tmp_path / "pyproject.toml").write_text('[tool.shapelint.per-file-ignores]\n"net.py" = ["SHP3"]\n')
    (tmp_path / "net.py").write_text(text)
    proc = run_cli("--trace", "--format", "json", "net.py", cwd=str(tmp_path))
    codes = [d["code"] for d in json.loads(proc.stdout)]
    assert "SHP300" not in codes and "SHP001" in codes  # the static finding stays
