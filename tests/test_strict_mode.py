"""Strict mode (issue 10.1): no construct the engine does not model goes unnoticed in the suite.

`SHAPELINT_STRICT=1` makes the first unmodelled construct raise; `SHAPELINT_STRICT_LOG` lists
them all. Over every fixture and example, the constructs seen must be exactly the known gaps of
tests/strict_known_gaps.txt: a new one (a fixture using Python the engine silently skips, or a
change that makes the engine skip what it followed before) fails here, and so does a gap that
is gone, so that the list stays the true to-do list.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from conftest import ROOT

GAPS = os.path.join(ROOT, "tests", "strict_known_gaps.txt")

UNMODELLED = (
    "import torch.nn as nn\n"
    "import mystery\n\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, mystery.width())\n\n"
    "    def forward(self, x):\n"
    "        return self.fc(x)\n"
)


def _shapelint(args, env_extra, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAPELINT_STRICT")}
    env.update(PYTHONPATH=ROOT, **env_extra)
    return subprocess.run([sys.executable, "-m", "shapelint", "--isolated", "--no-cache", "--exit-zero", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_strict_mode_raises_on_an_unmodelled_construct(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(UNMODELLED)
    plain = _shapelint([str(path)], {})
    assert plain.returncode == 0 and "Unmodelled" not in plain.stderr  # users see an unknown, no error
    strict = _shapelint([str(path)], {"SHAPELINT_STRICT": "1"})
    assert strict.returncode != 0
    assert "Unmodelled" in strict.stderr and "mystery.width" in strict.stderr


def _seen_over_the_corpus():
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "strict.log")
        proc = _shapelint(["fixtures", "examples"], {"SHAPELINT_STRICT_LOG": log})
        assert proc.returncode == 0, proc.stderr[-2000:]
        with open(log, encoding="utf-8") as f:
            return {"\t".join(line.rstrip("\n").split("\t")[:2]) for line in f if line.strip()}


def _known():
    with open(GAPS, encoding="utf-8") as f:
        return {line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")}


def test_unmodelled_constructs_over_the_fixtures_are_the_known_gaps():
    seen, known = _seen_over_the_corpus(), _known()
    new, gone = sorted(seen - known), sorted(known - seen)
    assert not new, "constructs the engine skips that are not known gaps (model them, or add them " \
                    "to tests/strict_known_gaps.txt: python scripts/strict_gaps.py):\n" + "\n".join(new)
    assert not gone, "known gaps no longer seen (remove them from tests/strict_known_gaps.txt):\n" + "\n".join(gone)
