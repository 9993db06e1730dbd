"""Every fixture model, linted statically and run with real torch: the two must agree.

Fixtures are discovered (fixtures/*.py). A target is a class whose line carries
`# shapelint: input=(...)`, or a module-level variable whose line carries
`# oracle: input=(...)`; `oracle=int` on that line feeds integer input (Embedding).
Lines marked `# defect` are where the fixture's author put the bug: an independent
marker, written by hand, not shapelint's output.

For each target:
(a) shapelint reports an error exactly when torch crashes or changes the batch;
(b) when torch runs, every named submodule torch's hooks saw has, in shapelint's
    explain rows, the same output shape for each call, in order (all statically known);
(c) when torch fails, shapelint's errors are on `# defect` lines.
"""

import glob
import os
import re

import pytest

from shapelint.engine.check import check_source
from shape_compare import compare
from torch_oracle import declared_inputs, run_model

pytestmark = pytest.mark.torch  # every test compares with real torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "*.py")))
_VARIABLE = re.compile(r"^(\w+)\s*=.*#\s*oracle:\s*input\s*=\s*\(([^)]*)\)", re.M)


def targets_of(source):
    """[(target, dims, kind, int_input)] declared in a fixture."""
    out = [(name, dims, "class", False) for name, dims in declared_inputs(source).items()]
    for m in _VARIABLE.finditer(source):
        out.append((m.group(1), [int(d) for d in m.group(2).split(",") if d.strip()], "variable", False))
    return [(t, d, k, _int_marked(source, t)) for t, d, k, _ in out]


def _int_marked(source, target):
    return any(re.match(rf"\s*(class\s+)?{target}\b.*oracle=int", ln) for ln in source.splitlines())


def defect_lines(source):
    return {i for i, ln in enumerate(source.splitlines(), 1) if re.search(r"#.*\bdefect\b", ln)}


CASES = []
for _path in FIXTURES:
    with open(_path, encoding="utf-8") as _f:
        _src = _f.read()
    for _t, _dims, _kind, _int in targets_of(_src):
        CASES.append((os.path.basename(_path), _t, _dims, _kind, _int))

_CACHE = {}


def lint(name, input_shapes):
    key = (name, tuple(sorted((k, tuple(v)) for k, v in input_shapes.items())))
    if key not in _CACHE:
        path = os.path.join(ROOT, "fixtures", name)
        with open(path, encoding="utf-8") as f:
            _CACHE[key] = check_source(path, f.read(), input_shapes=input_shapes, explain=True)
    return _CACHE[key]


def _variable_inputs(source):
    return {t: d for t, d, k, _ in targets_of(source) if k == "variable"}


def test_fixtures_exist_with_both_outcomes():
    assert len(FIXTURES) >= 10
    assert any(n.endswith("_bad.py") for n, *_ in CASES) and any(not n.endswith("_bad.py") for n, *_ in CASES)


@pytest.mark.parametrize("name,target,dims,kind,int_input", CASES, ids=[f"{c[0]}::{c[1]}" for c in CASES])
def test_fixture_matches_torch(name, target, dims, kind, int_input):
    path = os.path.join(ROOT, "fixtures", name)
    with open(path, encoding="utf-8") as f:
        source = f.read()
    outcome = run_model(source, target, dims, filename=path, int_input=int_input)
    result = lint(name, _variable_inputs(source))
    errors = [f for f in result.findings if f.severity == "error"]
    defects = defect_lines(source)
    torch_fails = outcome.verdict != "ok"

    # a bad fixture says so in its name, and the fixture's author marked the defect
    assert torch_fails == name.endswith("_bad.py"), (outcome.verdict, outcome.error)
    assert torch_fails == bool(defects), "mark the defect line of a _bad fixture (and only there)"

    if torch_fails:
        # (a) + (c): an error, on the line the author marked
        assert errors, f"torch: {outcome.verdict} {outcome.error}; shapelint reports no error"
        assert {f.line for f in errors} <= defects, [(f.line, f.code, f.message) for f in errors]
        return

    # (a) no error anywhere in a file whose models all run
    assert errors == [], [(f.line, f.code, f.message) for f in errors]
    # (b) every named submodule torch ran has shapelint's shapes, call by call
    (model,) = [m for m in result.models if m.name == target]
    assert model.input == dims
    static = {}
    for row in model.layers:
        if row.module is not None:
            static.setdefault(row.module, []).append(row.out)
    for module, shapes in outcome.shapes.items():
        assert static.get(module) == shapes, (module, static.get(module), shapes)
    assert outcome.shapes, "torch saw no named submodule: the fixture checks nothing"
    if outcome.eval is not None:  # the fixture reads `.training`: in eval mode, nothing known is wrong
        for module, shapes in outcome.eval.shapes.items():
            assert not compare(static.get(module, []), shapes).wrong, (module, static.get(module), shapes)
    # the model's own output: equal to torch's when known (an unmodelled tail may leave it unknown)
    if outcome.output is not None and model.output is not None and all(isinstance(d, int) for d in model.output):
        assert model.output == outcome.output


def test_fixtures_exercise_every_layer_in_the_table():
    """Every LAYERS entry runs (with a known output) in some fixture that torch also runs."""
    from shapelint.torch.modules import LAYERS

    seen = set()
    for name, target, dims, kind, _int in CASES:
        if name.endswith("_bad.py"):
            continue
        with open(os.path.join(ROOT, "fixtures", name), encoding="utf-8") as f:
            source = f.read()
        for m in lint(name, _variable_inputs(source)).models:
            if m.name == target:
                seen |= {r.op for r in m.layers if r.module is not None and r.out is not None}
    assert set(LAYERS) <= seen, sorted(set(LAYERS) - seen)
