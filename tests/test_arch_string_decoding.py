"""Architecture strings decoded in __init__ ('ir_r2_k3_s2_e6_c24', EfficientNet-style): the str
methods (strip, rsplit, partition, isdigit, ...) and the `re` module on known strings give the
channel counts and strides Python gives, so the model's shapes are torch's; a value that is not a
known string leaves them unknown, never guessed. Each model is run with torch."""

import pytest

from shapelint.engine.check import check_source
from torch_oracle import run_model

pytestmark = pytest.mark.torch

HEAD = "import re\nimport torch\nimport torch.nn as nn\n\n"


def _model(decode, arch="'ir_k3_s2_c24'", forward="return self.conv(x)"):
    """A conv whose out channels / kernel / stride come from `decode` (which sets k, s, c)."""
    return HEAD + (
        "class M(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        f"    def __init__(self, arch={arch}):\n        super().__init__()\n"
        + "".join(f"        {line}\n" for line in decode)
        + "        self.conv = nn.Conv2d(3, c, k, s, padding=k // 2)\n\n"
        f"    def forward(self, x):\n        {forward}\n"
    )


def _lint(src):
    result = check_source("m.py", src, explain=True)
    (report,) = [m for m in result.models if m.name == "M"]
    errors = [f for f in check_source("m.py", src).findings if f.severity == "error"]
    return report, errors


DECODERS = {
    "re.split with a group": [
        "opts = {}",
        "for op in arch.split('_')[1:]:",
        "    key, value = re.split(r'(\\d.*)', op)[:2]",
        "    opts[key] = int(value)",
        "k, s, c = opts['k'], opts['s'], opts['c']",
    ],
    "re.match groups": [
        "m = re.match(r'(\\w+)_k(\\d)_s(\\d)_c(\\d+)', arch)",
        "k, s, c = (int(g) for g in m.groups()[1:])",
    ],
    "compiled findall and fullmatch": [
        "nums = re.compile(r'\\d+').findall(arch)",
        "assert re.fullmatch(r'[a-z0-9_]+', arch) is not None",
        "k, s, c = [int(n) for n in nums]",
    ],
    "re.sub then str.rsplit and partition": [
        "text = re.sub('[a-z]', '', arch).strip('_')",
        "k, s, c = (int(v) for v in text.rsplit('_', 2))",
        "head, sep, tail = arch.partition('_')",
        "assert head == 'ir' and sep == '_' and tail.startswith('k')",
    ],
    "isdigit filters and group by name": [
        "m = re.search(r'c(?P<chs>\\d+)', arch)",
        "c = int(m.group('chs'))",
        "k, s = [int(p[1:]) for p in arch.split('_') if p[1:].isdigit()][:2]",
    ],
}


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_a_decoded_architecture_has_torchs_shape(name):
    src = _model(DECODERS[name])
    outcome = run_model(src, "M", [2, 3, 16, 16])
    assert outcome.verdict == "ok", outcome.error
    report, errors = _lint(src)
    assert errors == []
    assert report.output == outcome.output == [2, 24, 8, 8]


def test_a_decoded_width_that_does_not_fit_the_next_layer_is_the_error_torch_raises():
    decode = DECODERS["re.split with a group"] + ["self.head = nn.Conv2d(16, 4, 1)"]
    src = _model(decode, forward="return self.head(self.conv(x))")
    assert run_model(src, "M", [2, 3, 16, 16]).verdict == "crash"
    assert [f.code for f in _lint(src)[1]] == ["SHP001"]


def test_a_pattern_that_does_not_match_leaves_no_guess():
    # re.match returns None: `m.groups()` raises in Python; the engine must not invent channels
    src = _model(DECODERS["re.match groups"], arch="'ir-k3-s2-c24'")
    assert run_model(src, "M", [2, 3, 16, 16]).verdict == "crash"
    report, errors = _lint(src)
    assert report.output is None


def test_a_string_from_outside_the_file_stays_unknown():
    src = HEAD + (
        "import os\n\n"
        "class M(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
        "    def __init__(self):\n        super().__init__()\n"
        "        c = int(re.split(r'(\\d+)', os.environ.get('ARCH', 'c24'))[1])\n"
        "        self.conv = nn.Conv2d(3, c, 3)\n\n"
        "    def forward(self, x):\n        return self.conv(x)\n"
    )
    report, errors = _lint(src)
    assert errors == [] and report.output is None
