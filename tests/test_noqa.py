"""Suppression comments: `# noqa: CODE`, bare `# noqa`, and file-level `# shapelint: noqa`.

The fixture's defect is confirmed by torch; each test then varies only the comment.
"""

import json

import pytest

from conftest import run_cli
from torch_oracle import run_model

MODEL = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 16, 3)\n"
    "        self.conv2 = nn.Conv2d(18, 8, 3){c2}\n"
    "        self.fc = nn.Linear(100, 10){fc}\n\n"
    "    def forward(self, x):{fwd}\n"
    "        x = self.conv2(self.conv1(x)).flatten(1)\n"
    "        return self.fc(x)\n"
)


def src(c2="", fc="", fwd="", top=""):
    return top + MODEL.format(c2=c2, fc=fc, fwd=fwd)


def reported(tmp_path, text, *args):
    p = tmp_path / "m.py"
    p.write_text(text)
    r = run_cli("--format", "json", *args, str(p))
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, sorted(d["code"] for d in json.loads(r.stdout))


@pytest.mark.torch
def test_fixture_is_broken_twice(tmp_path):
    assert run_model(src(), "Net", [2, 3, 8, 8]).verdict == "crash"
    fixed_conv = src().replace("nn.Conv2d(18,", "nn.Conv2d(16,")
    assert run_model(fixed_conv, "Net", [2, 3, 8, 8]).verdict == "crash"  # the Linear is wrong too
    assert reported(tmp_path, src()) == (1, ["SHP001", "SHP002"])


def test_noqa_with_the_code_silences_that_line(tmp_path):
    assert reported(tmp_path, src(c2="  # noqa: SHP001")) == (1, ["SHP002"])


def test_noqa_with_several_codes_and_lowercase(tmp_path):
    assert reported(tmp_path, src(c2="  # NOQA:SHP003, shp001")) == (1, ["SHP002"])


def test_noqa_for_another_code_does_not_silence(tmp_path):
    assert reported(tmp_path, src(c2="  # noqa: SHP002")) == (1, ["SHP001", "SHP002"])


def test_noqa_on_another_line_does_not_silence(tmp_path):
    assert reported(tmp_path, src(fwd="  # noqa")) == (1, ["SHP001", "SHP002"])


def test_bare_noqa_silences_every_code_on_the_line(tmp_path):
    assert reported(tmp_path, src(c2="  # noqa", fc="  # noqa")) == (0, [])


def test_file_level_noqa(tmp_path):
    assert reported(tmp_path, src(top="# shapelint: noqa\n")) == (0, [])


def test_file_level_noqa_with_codes(tmp_path):
    assert reported(tmp_path, src(top="# shapelint: noqa: SHP002\n")) == (1, ["SHP001"])


@pytest.mark.parametrize("other", ["# ruff: noqa\n", "# flake8: noqa\n"])
def test_other_tools_file_level_switches_do_not_silence_shapelint(tmp_path, other):
    assert reported(tmp_path, src(top=other)) == (1, ["SHP001", "SHP002"])


def test_the_word_noqa_elsewhere_in_a_comment_is_not_a_suppression(tmp_path):
    text = src().replace("import torch\n", "import torch\nDOC = 'x'  # see noqa docs\n", 1)
    assert reported(tmp_path, text) == (1, ["SHP001", "SHP002"])


def test_ruff_keeps_shp_noqa_codes_when_they_are_declared_external(tmp_path):
    """What docs/usage.md tells ruff users, checked with real ruff."""
    import shutil
    import subprocess

    ruff = shutil.which("ruff")
    if not ruff:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    text = src(fc="  # noqa: F401, SHP002")  # F401 is unused here: RUF100 --fix removes it
    results = {}
    for external in (False, True):
        p = tmp_path / f"ext{int(external)}" / "m.py"
        p.parent.mkdir()
        p.write_text(text)
        args = [ruff, "check", "--isolated", "--select", "RUF100,F401", "--fix", "-q", str(p)]
        if external:
            args[3:3] = ["--config", 'lint.external = ["SHP"]']
        subprocess.run(args, capture_output=True, text=True, timeout=60)
        results[external] = reported(p.parent, p.read_text())
    assert results[True] == (1, ["SHP001"])  # the SHP002 suppression survived ruff's fix
    assert results[False] == (1, ["SHP001", "SHP002"])  # without `external`, ruff deleted it
