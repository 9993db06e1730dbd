"""`while` loops in __init__ run exactly on known values; an endless or undecided loop is
havocked (unknown shapes), and costs well under a second."""

import time

import pytest

from shapelint.engine.check import check_source

HEAD = "import torch\nimport torch.nn as nn\n\n"


def _model(src, explain=True):
    result = check_source("m.py", src, explain=explain)
    assert result.internal_error is None, result.internal_error
    return result


def _rows(result):
    return {r.module: (tuple(r.out) if r.out is not None else None) for m in result.models for r in m.layers}


SHRINK = HEAD + (
    "class Net(nn.Module):  # shapelint: input=(2, 3, 32, 32)\n"
    "    def __init__(self, size=32, width=4):\n        super().__init__()\n"
    "        layers, in_ch = [], 3\n"
    "        while size > {stop}:\n"
    "            layers.append(nn.Conv2d(in_ch, width, 4, 2, 1))\n"
    "            in_ch, width, size = width, width * 2, size // 2\n"
    "        else:\n"
    "            layers.append(nn.ReLU())\n"
    "        self.features = nn.Sequential(*layers)\n"
    "        self.fc = nn.Linear(in_ch * 4 * 4, 1)\n\n"
    "    def forward(self, x):\n        return self.fc(self.features(x).flatten(1))\n"
)


def test_while_builder_runs_exactly():
    ok = _model(SHRINK.format(stop=4))
    assert not [f for f in ok.findings if f.severity == "error"]
    rows = _rows(ok)
    assert rows["features.2"] == (2, 16, 4, 4) and rows["features.3"] == (2, 16, 4, 4)  # else: ran once
    bad = _model(SHRINK.format(stop=2))
    assert [f.code for f in bad.findings if f.severity == "error"] == ["SHP002"]


BREAK_CONTINUE = HEAD + (
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        convs, c, i = [], 3, 0\n"
    "        while True:\n"
    "            i += 1\n"
    "            if i % 2:\n"
    "                continue\n"
    "            convs.append(nn.Conv2d(c, c * 2, 1))\n"
    "            c *= 2\n"
    "            if c >= 24:\n"
    "                break\n"
    "        else:\n"
    "            convs.append(nn.Conv2d(c, 1, 1))\n"
    "        self.convs = nn.Sequential(*convs)\n\n"
    "    def forward(self, x):\n        return self.convs(x)\n"
)


def test_break_continue_and_else_as_python():
    result = _model(BREAK_CONTINUE)
    rows = _rows(result)
    assert rows["convs"] == (2, 24, 8, 8) and "convs.3" not in rows  # break skips the else


ENDLESS = {
    "while_true": "        n = 0\n        while True:\n            n += 1\n",
    "huge_count": "        n = 0\n        while n < 10 ** 12:\n            n += 1\n",
    "huge_range": "        n = 0\n        for i in range(10 ** 12):\n            n += 1\n",
}


@pytest.mark.parametrize("name", sorted(ENDLESS))
def test_endless_loops_end_fast_with_unknown_shapes(name):
    src = HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self):\n        super().__init__()\n"
        + ENDLESS[name] +
        "        self.conv = nn.Conv2d(3, n, 1)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    )
    start = time.process_time()
    result = _model(src)
    assert time.process_time() - start < 2.0
    assert not [f for f in result.findings if f.severity == "error"]
    assert _rows(result).get("conv") is None  # n is unknown: so is the conv's output


def test_undecided_loop_undoes_its_iterations():
    src = HEAD + (
        "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
        "    def __init__(self, depth=None):\n        super().__init__()\n"
        "        self.layers = layers = []\n"
        "        c, i = 3, 0\n"
        "        while i < 2 or i < depth:\n"
        "            layers.append(nn.Conv2d(c, 8, 1))\n"
        "            c, i = 8, i + 1\n"
        "        self.body = nn.Sequential(*layers)\n"
        "        self.head = nn.Conv2d(c, 2, 1)\n\n"
        "    def forward(self, x):\n        return self.head(self.body(x))\n"
    )
    result = _model(src)
    assert not [f for f in result.findings if f.severity == "error"]
    assert _rows(result).get("head") is None
