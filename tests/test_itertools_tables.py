"""itertools in __init__ (LeViT's attention-bias offsets over `itertools.product(range(r), range(r))`,
`chain` of stage widths, `accumulate` of depths, `combinations`, `islice`, `zip_longest`,
`pairwise`): the tables Python builds, so the parameter and buffer shapes made from them are
torch's; an iterable shapelint does not know leaves them unknown. Each model runs in torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import itertools\nfrom itertools import product\nimport torch\nimport torch.nn as nn\n\n"


def _model(table_lines, dims=(2, 3)):
    """A model whose Linear width is `n`, computed by `table_lines` in __init__."""
    body = "".join(f"        {line}\n" for line in table_lines)
    return HEAD + (
        f"class M(nn.Module):  # shapelint: input={tuple(dims)}\n"
        "    def __init__(self):\n        super().__init__()\n" + body +
        "        self.fc = nn.Linear(3, n)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    )


TABLES = {
    "levit offsets": [
        "points = list(itertools.product(range(3), range(3)))",
        "offsets = {}",
        "for p1 in points:",
        "    for p2 in points:",
        "        off = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))",
        "        offsets.setdefault(off, len(offsets))",
        "n = len(offsets)",  # 9 distinct offsets
    ],
    "product repeat": ["n = len(list(product([1, 2], repeat=3)))"],
    "chain": ["n = sum(itertools.chain([1, 2], (3,), range(2)))"],
    "chain.from_iterable": ["n = len(list(itertools.chain.from_iterable([[1, 2], [3]])))"],
    "accumulate": ["n = list(itertools.accumulate([1, 2, 3], initial=1))[-1]"],
    "combinations": ["n = len(list(itertools.combinations(range(5), 2)))"],
    "permutations": ["n = len(list(itertools.permutations('abc')))"],
    "islice": ["n = sum(itertools.islice(range(10), 2, 8, 3))"],
    "zip_longest": ["n = sum(a + b for a, b in itertools.zip_longest([1, 2, 3], [4], fillvalue=0))"],
    "pairwise": ["n = sum(b - a for a, b in itertools.pairwise([1, 4, 9]))"],
}


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    return report, errors


@pytest.mark.parametrize("name", sorted(TABLES))
def test_a_width_built_with_itertools_has_torchs_shape(name):
    src = _model(TABLES[name])
    outcome = run_model(src, "M", [2, 3])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output


def test_a_buffer_indexed_by_a_product_table_has_torchs_shape():
    src = HEAD + (
        "class M(nn.Module):  # shapelint: input=(2, 2, 4, 4)\n"
        "    def __init__(self, r=2):\n        super().__init__()\n"
        "        pts = list(itertools.product(range(r), range(r)))\n"
        "        idxs = [abs(a[0] - b[0]) * r + abs(a[1] - b[1]) for a in pts for b in pts]\n"
        "        self.biases = nn.Parameter(torch.zeros(2, r * r))\n"
        "        self.register_buffer('idx', torch.LongTensor(idxs).view(len(pts), len(pts)))\n\n"
        "    def forward(self, x):\n        return x + self.biases[:, self.idx]\n"
    )
    outcome = run_model(src, "M", [2, 2, 4, 4])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == [] and report.output == outcome.output


def test_an_iterable_shapelint_does_not_know_stays_unknown():
    src = _model(["import os", "n = len(list(itertools.product(os.environ.get('A', 'ab'), range(2))))"])
    report, errors = _lint(src)
    assert errors == [] and report.output is None


def test_an_endless_repeat_stays_unknown():
    src = _model(["n = next(iter(itertools.repeat(4)))"])
    report, errors = _lint(src)
    assert errors == [] and report.output is None
