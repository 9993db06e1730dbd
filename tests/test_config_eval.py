"""`eval` of config strings and the class comparisons of config parsers, against real Python and torch.

YOLO-style parsers write `m = eval(m) if isinstance(m, str) else m`, `args[j] = eval(a)` inside
`try: ... except NameError: pass`, and then dispatch with `m in (Conv, C3)`, `m is nn.BatchNorm2d`.
Each case below is a model whose channel count depends on what Python does there; torch runs it
(the oracle), and shapelint's output shape must be torch's, or unknown where it says it cannot know
(a star import may define any name).
"""

from __future__ import annotations

import json
import os
import tempfile
import textwrap

import pytest
from conftest import run_cli
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEADER = "import torch.nn as nn\n\n\nclass Conv(nn.Conv2d):\n    pass\n\n\n"
MODEL = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = build()

    def forward(self, x):
        return self.body(x)
"""

# name: the build() function; shapelint must know the output, and it must be torch's
CASES = {
    "eval of a class name of the file": """
        def build():
            m = eval("Conv")
            return m(3, 8, 3)
        """,
    "eval of a dotted torch name": """
        def build():
            return eval("nn.Conv2d")(3, 5, 1)
        """,
    "eval of a local and a literal": """
        def build():
            nc = 6
            return nn.Conv2d(3, eval("nc") + eval("(1, 2)")[1], 1)
        """,
    "eval of an undefined name raises NameError, caught": """
        def build():
            args = [7, "nearest"]
            for j, a in enumerate(args):
                try:
                    args[j] = eval(a) if isinstance(a, str) else a
                except NameError:
                    args[j] = 2 * len(a)
            return nn.Conv2d(3, args[0] + args[1], 1)
        """,
    "eval of an undefined name inside contextlib.suppress(NameError)": """
        import contextlib


        def build():
            args = [7, "nearest"]
            for j, a in enumerate(args):
                with contextlib.suppress(NameError):
                    args[j] = eval(a) if isinstance(a, str) else a
            return nn.Conv2d(3, args[0] + len(args[1]), 1)
        """,
    "suppress imported by name; a name that exists is not suppressed": """
        from contextlib import suppress

        nc = 5


        def build():
            c = 1
            with suppress(NameError):
                c = eval("nc")
                c += 100
            return nn.Conv2d(3, c, 1)
        """,
    "is between the file's classes and torch names": """
        def build():
            out = []
            for m in (Conv, nn.BatchNorm2d, nn.Upsample):
                if m is Conv:
                    out.append(1)
                elif m is nn.BatchNorm2d:
                    out.append(10)
                elif m is not nn.Upsample:
                    out.append(100)
            return nn.Conv2d(3, sum(out), 1)
        """,
    "in over a tuple of classes evaluated twice": """
        def build():
            m = nn.Upsample
            c = 4 if m in (Conv, nn.ConvTranspose2d, nn.Upsample) else 9
            c += 1 if eval("nn.Upsample") in [nn.Upsample] else 20
            return nn.Conv2d(3, c, 1)
        """,
}


def _both(build: str, prefix: str = ""):
    source = prefix + HEADER + textwrap.dedent(build) + MODEL
    real = run_model(source, "Net", [2, 3, 4, 4])
    assert real.verdict == "ok", real.error
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json", "--input-shape", "Net=2,3,4,4", path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    model = next(m for m in json.loads(proc.stdout)["models"] if m["class"] == "Net")
    assert not [d for d in json.loads(proc.stdout)["diagnostics"] if d["severity"] == "error"]
    return model["output"], real.output


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_eval_gives_torchs_shape(case):
    got, real = _both(CASES[case])
    assert got == list(real), f"shapelint {got}, torch {real}"


def test_eval_of_a_name_a_star_import_may_define_is_unknown():
    """`from math import *` defines `pi`, which shapelint does not list: eval("pi") must not raise."""
    build = """
        def build():
            try:
                c = int(eval("pi"))
            except NameError:
                c = 8
            return nn.Conv2d(3, c, 1)
        """
    got, real = _both(build, prefix="from math import *\n")
    assert list(real)[1] == 3
    assert got is None or any(not isinstance(d, int) for d in got), got
