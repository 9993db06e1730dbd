"""The receptive field and jump columns of the --explain summary (one per named module) against
torch: measured as tests/test_receptive_field.py measures them (gradient support, or which outputs
a one-hot input changes), on every call of the module. Unknown (null) is allowed, a wrong field
never; a module whose calls have different fields has none."""

import os

import pytest

from conftest import ROOT, run_cli
from shapelint.engine.check import check_source
from test_receptive_field import (FIXTURES, GRADIENT_ONLY, HEAD, _every_window_pool, _fixture_model, _fixture_rows,
                                  _prepare, _run_recorded, by_gradient, by_influence, measured_field, torch_fields)

pytestmark = pytest.mark.torch


def _summary(src, name="Net", path="rf.py"):
    (report,) = [m for m in check_source(path, src, explain=True).models if m.name == name]
    return report.summary


def _field(row):
    rf = row["receptive_field"]
    return None if rf is None else tuple(zip(rf["size"], rf["jump"]))


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_module_row_has_torchs_field_on_every_call(name):
    want = torch_fields(name, by_gradient if name in GRADIENT_ONLY else by_influence)
    rows = _summary(FIXTURES[name])["modules"]
    compared = 0
    for row in rows:
        fields = set(want.get(row["module"], []))
        if _field(row) is None:
            assert len(fields) != 1, (row["module"], fields)  # torch gives one field: shapelint knows these nets
            continue
        compared += 1
        assert fields == {_field(row)}, (row["module"], _field(row), fields)
    assert compared >= 3


SHARED = HEAD + '''
class Net(nn.Module):  # shapelint: input=(1, 2, 40, 40)
    def __init__(self):
        super().__init__()
        self.first = nn.Conv2d(2, 2, 3, padding=1)
        self.shared = nn.Conv2d(2, 2, 3, padding=1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        x = self.shared(self.first(x))
        return self.shared(self.pool(x))  # the same layer: (5, 1) at its first call, (10, 2) at its second
'''


def test_a_module_whose_calls_have_different_fields_has_none():
    model = _prepare(SHARED)
    x, seen = _run_recorded(model, [1, 2, 40, 40])
    torch_says = {measured_field(out, x, 2) for out in seen["shared"]}
    assert len(torch_says) == 2  # why the row must not pick one
    rows = {r["module"]: r for r in _summary(SHARED)["modules"]}
    assert _field(rows["shared"]) is None
    assert _field(rows["first"]) == measured_field(seen["first"][0], x, 2)


def test_the_text_summary_shows_rf_columns_only_for_a_conv_stack(tmp_path):
    cnn = run_cli("--explain", os.path.join(ROOT, "examples", "simple_cnn.py")).stdout
    head = [ln.split() for ln in cnn.splitlines() if ln.strip().startswith("module  kind")]
    assert head and head[0][-2:] == ["rf", "jump"]
    mlp = tmp_path / "mlp.py"
    mlp.write_text(HEAD + "class M(nn.Module):  # shapelint: input=(2, 8)\n    def __init__(self):\n        super().__init__()\n"
                   "        self.fc = nn.Linear(8, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n")
    out = run_cli("--explain", str(mlp)).stdout
    head = [ln.split() for ln in out.splitlines() if ln.strip().startswith("module  kind")]
    assert head and "rf" not in head[0]


MEASURED_PER_MODEL = 6


def test_every_known_module_field_over_the_fixtures_equals_torchs(monkeypatch):
    """Over the conv architectures of fixtures/: each summary row with a field, on every call of its
    module that torch can measure (a field as wide as the input is cut off by its border: not measured)."""
    import torch.nn.functional as F

    for n in (1, 2, 3):
        monkeypatch.setattr(F, f"max_pool{n}d", _every_window_pool(getattr(F, f"max_pool{n}d"), n))
    models = compared = 0
    wrong = []
    for rel, src, report, dims in _fixture_rows():
        try:
            model = _fixture_model(src, rel, report.name)
        except Exception:
            continue  # torch cannot build it: nothing to compare
        x, seen = _run_recorded(model, dims)
        if x is None or report.summary is None:
            continue
        models += 1
        kinds = set()
        for row in report.summary["modules"]:
            field = _field(row)
            outs = seen.get(row["module"], [])
            if field is None or not outs or (field, row["kind"]) in kinds or len(kinds) >= MEASURED_PER_MODEL:
                continue
            if any(size >= s for (size, _jump), s in zip(field, x.shape[-len(field):])):
                continue
            kinds.add((field, row["kind"]))
            for out in outs:
                if getattr(out, "requires_grad", False) and out.dim() > len(field) and min(out.shape[-len(field):]) >= 3:
                    measured = measured_field(out, x, len(field))
                    if measured is not None:
                        compared += 1
                        if measured != field:
                            wrong.append((rel, report.name, row["module"], field, measured))
    print(f"\nsummary receptive fields vs torch: {models} fixture models, {compared} module calls compared")
    assert wrong == [], "\n".join(map(str, wrong[:40]))
    assert compared >= 40
