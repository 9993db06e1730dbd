"""Differential testing: generated model sources, checked by shapelint and run by torch.

tests/modelgen.py writes plausible models (half correct by construction, half with one
deliberate defect). The label is what real torch does with the declared input:
shapelint must report an error exactly when torch crashes or changes the batch size,
and for models torch runs, every named submodule's output shape must equal the shape
torch's forward hooks recorded.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelgen import DEFECTS, HypothesisChooser, compare, generate_model
from torch_oracle import declared_inputs, run_model
from shapelint.engine.check import check_source

# a collapsed spatial size can make Linear(0, n): torch warns, and then rejects the model
pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")]

GEN = settings(max_examples=100, deadline=None, derandomize=True, database=None,
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


@settings(GEN, max_examples=150)
@given(models(defect="random"))
def test_models_with_one_defect_or_none_agree_with_torch(g):
    _assert_agrees(g)


@pytest.mark.parametrize("defect", DEFECTS)
@settings(GEN, max_examples=8)
@given(data=st.data())
def test_each_defect_kind_agrees_with_torch(defect, data):
    _assert_agrees(data.draw(models(defect=defect)))


@pytest.mark.parametrize("defect", DEFECTS)
def test_deliberate_defects_really_break_torch(defect):
    """The generator's defects are real: torch rejects most models that carry one
    (some, e.g. a residual branch with 1 channel, legally broadcast; torch decides)."""
    from modelgen import RandomChooser

    carried = rejected = 0
    for seed in range(20):
        g = generate_model(RandomChooser(1000 + seed), defect)
        if g.defect is None:
            continue
        carried += 1
        rejected += run_model(g.source, g.target, g.input_shape).verdict != "ok"
    assert carried >= 12 and rejected >= 0.8 * carried, (carried, rejected)


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
