"""In-place changes to lists, dicts and layer containers, against real torch (issue 10.1).

fixtures/real/container_edits.py holds one model per family of edits. For the `Edit*` models,
whose edits shapelint models exactly, every named submodule's `--explain` shape must be known and
equal to torch's, call by call. For the `Opaque*` models, whose containers are changed by code
shapelint does not follow (a library function, a sort key, setattr with names it cannot know),
the layers sized from the container must be unknown: the old contents would be a guess.
(tests/test_real_models.py also checks the file for soundness, like every fixture there.)
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import ROOT, run_cli
from fixture_targets import run_in_torch, targets_in
from shape_compare import compare, rows_by_module

pytestmark = pytest.mark.torch

PATH = os.path.join(ROOT, "fixtures", "real", "container_edits.py")
TARGETS = {t.name: t for t in targets_in(PATH)}
# the layers sized from a container that code shapelint does not follow changed
OPAQUE_LAYERS = {"OpaqueShuffle": ["fc2"], "OpaqueBranch": ["fc"], "OpaqueSortKey": ["fc"], "OpaqueSetattrLoop": ["fc"]}


@pytest.fixture(scope="module")
def models():
    proc = run_cli("--isolated", "--exit-zero", "--explain", "--format", "json", PATH)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {m["class"]: m for m in json.loads(proc.stdout)["models"]}


def test_the_fixture_has_both_kinds():
    assert sum(n.startswith("Edit") for n in TARGETS) >= 7
    assert set(OPAQUE_LAYERS) == {n for n in TARGETS if n.startswith("Opaque")}


@pytest.mark.parametrize("name", sorted(n for n in TARGETS if n.startswith("Edit")))
def test_modelled_edits_give_torchs_shapes(models, name):
    real = run_in_torch(TARGETS[name])
    assert real.verdict == "ok", real.error
    rows, conditional = rows_by_module(models[name])
    assert set(rows) == set(real.shapes), (sorted(rows), sorted(real.shapes))
    for module, calls in real.shapes.items():
        v = compare(rows[module], calls, module in conditional)
        assert v.equal, f"{name}.{module}: shapelint {rows[module]}, torch {calls}"


@pytest.mark.parametrize("name", sorted(OPAQUE_LAYERS))
def test_unfollowed_edits_make_the_sizes_unknown(models, name):
    real = run_in_torch(TARGETS[name])
    assert real.verdict == "ok", real.error
    rows, _ = rows_by_module(models[name])
    for module in OPAQUE_LAYERS[name]:
        assert module in real.shapes
        assert all(out is None or not all(isinstance(d, int) for d in out) for out in rows.get(module, [])), \
            f"{name}.{module}: {rows.get(module)} is a guess; torch gave {real.shapes[module]}"
    for module, calls in real.shapes.items():  # and nothing known is wrong
        if module in rows:
            assert not compare(rows[module], calls).wrong, (module, rows[module], calls)
