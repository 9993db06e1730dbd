"""Bounded fuzzing: check_source never raises, whatever the text, and the CLI never
prints a traceback, exits 0 or 1, and always prints JSON that parses.

Inputs are arbitrary text, arbitrary bytes, and model sources from tests/modelgen.py
mutated the way an editor buffer is (a span deleted, duplicated, or replaced by junk).
"""

import json
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from modelgen import HypothesisChooser, RandomChooser, generate_model
from shapelint.engine.check import check_source

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

PY_TOKENS = ["import torch.nn as nn\n", "nn.Conv2d(", "nn.Linear(", ")", "(", "[", "]", ",", ":", "\n", "    ",
             "x", "self.", "def forward(self, x):\n", "class Net(nn.Module):\n", "return ", "=", "-1", "0",
             "10**100", "x.view(", "torch.cat(", "for i in range(3):\n", "if x:\n", "lambda", "*", "**", "'", '"',
             "#", "\\", "\t", "super().__init__()\n", "nn.Sequential(", "x.size(0)", "None", "...", "@", ";"]


def _check(path, data):
    res = check_source(path, data, explain=True)  # must not raise
    for f in res.findings:
        assert f.line >= 1 and f.column >= 1 and f.code.startswith("SHP") and f.message
        json.dumps(f.to_json())
    return res


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    _check("fuzz.py", "import torch\n" + text)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    _check("fuzz.py", b"import torch.nn as nn\n" + data)


@FUZZ
@given(st.lists(st.sampled_from(PY_TOKENS), max_size=60))
def test_python_token_soup_never_raises(tokens):
    _check("soup.py", "import torch.nn as nn\n" + "".join(tokens))


@st.composite
def mutated_models(draw):
    g = generate_model(HypothesisChooser(draw))
    src = g.source
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(src)))
        j = draw(st.integers(i, min(len(src), i + 40)))
        how = draw(st.sampled_from(["delete", "duplicate", "junk", "truncate"]))
        if how == "delete":
            src = src[:i] + src[j:]
        elif how == "duplicate":
            src = src[:j] + src[i:j] + src[j:]
        elif how == "truncate":
            src = src[:i]
        else:
            src = src[:i] + draw(st.sampled_from(PY_TOKENS + ["0", "-3", "2.5", "'a'", "None"])) + src[j:]
    return src


@settings(FUZZ, max_examples=200)
@given(mutated_models())
def test_mutated_model_sources_never_raise(src):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check("mutated.py", src)


def _mutants(n):
    out = []
    for seed in range(n):
        g = generate_model(RandomChooser(seed))
        src = g.source
        cut = (len(src) * (seed + 1)) // (n + 1)
        out.append(src[:cut] + ["(", ")", "\n    x", " = ", "[", ""][seed % 6] + src[cut + 7:])
    return out


def test_cli_json_always_parses_on_mutants(tmp_path):
    paths = []
    for i, src in enumerate(_mutants(12)):
        p = tmp_path / f"mutant_{i}.py"
        p.write_text(src)
        paths.append(str(p))
    for args in (["--format", "json"], ["--explain", "--format", "json"], ["--format", "text"]):
        r = run_cli(*args, *paths)
        assert "Traceback" not in r.stdout + r.stderr, r.stderr
        assert r.returncode in (0, 1), (r.returncode, r.stderr)
        if "json" in args:
            out = json.loads(r.stdout)
            if "--explain" in args:
                assert isinstance(out["models"], list)
            else:
                assert all({"path", "line", "column", "code", "severity", "message"} <= set(d) for d in out)
