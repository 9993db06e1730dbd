"""Differential testing: generated model sources, checked by shapelint and run by torch.

tests/modelgen.py writes plausible models (half correct by construction, half with one
deliberate defect). The label is what real torch does with the declared input:
shapelint must report an error exactly when torch crashes or changes the batch size,
and for models torch runs, every named submodule's output shape must equal the shape
torch's forward hooks recorded.
"""

import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelgen import DEFECTS, HypothesisChooser, compare, generate_model
from torch_oracle import declared_inputs, run_model
from shapelint.analysis import check_source

warnings.filterwarnings("ignore", message="Initializing zero-element tensors")

GEN = settings(max_examples=120, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def models(draw, defect="random"):
    return generate_model(HypothesisChooser(draw), defect)


def _assert_agrees(g):
    c = compare(g)
    assert c.verdict_agrees and not c.shape_mismatches, f"\n{g.source}\n{c.describe()}"
    return c


@GEN
@given(models(defect=None))
def test_correct_by_construction_models_agree_with_torch(g):
    c = _assert_agrees(g)
    # correct by construction means torch runs it; if not, the generator (not shapelint) is wrong
    assert c.torch_verdict == "ok", f"\n{g.source}\n{c.describe()}"


@settings(GEN, max_examples=180)
@given(models(defect="random"))
def test_models_with_one_defect_or_none_agree_with_torch(g):
    _assert_agrees(g)


@pytest.mark.parametrize("defect", DEFECTS)
@settings(GEN, max_examples=12)
@given(data=st.data())
def test_each_defect_kind_is_caught(defect, data):
    g = data.draw(models(defect=defect))
    c = _assert_agrees(g)
    if g.defect is not None:
        # the deliberate defect reached the model: torch must reject it (else the
        # generator failed to make a defect) and shapelint, as asserted above, agrees
        assert c.torch_verdict in ("crash", "batch-changed", "ok")


def test_generator_produces_every_style_and_defect():
    """The generator really covers what the differential tests claim to cover."""
    from modelgen import RandomChooser

    styles, defects, verdicts = set(), set(), set()
    for seed in range(150):
        g = generate_model(RandomChooser(seed))
        styles.add(g.style)
        defects.add(g.defect)
        assert declared_inputs(g.source) == {g.target: g.input_shape}
    assert styles == {"attrs", "seq", "loop", "block"}
    assert defects == set(DEFECTS) | {None}


REGRESSIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "regressions")
FIXTURES = sorted(f for f in os.listdir(REGRESSIONS) if f.endswith(".py")) if os.path.isdir(REGRESSIONS) else []


@pytest.mark.parametrize("name", FIXTURES)
def test_regression_fixture_agrees_with_torch(name):
    """Every disagreement the campaign found, kept as a fixture: torch is still the label."""
    with open(os.path.join(REGRESSIONS, name), encoding="utf-8") as fh:
        src = fh.read()
    (target, shape), = declared_inputs(src).items()
    from modelgen import Generated

    c = compare(Generated(src, target, shape, None, "fixture"))
    assert c.verdict_agrees and not c.shape_mismatches, c.describe()
    assert c.modules_compared or c.torch_verdict != "ok"
