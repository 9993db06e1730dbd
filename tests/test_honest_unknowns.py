"""Honest unknowns (issue 10.6): what `--show-unknown` / the JSON `unknown` list says about a model.

A class whose constructor needs arguments is "checked where it is used"; an instance built with
those arguments (`mlp = MLP(16, 32, 4)`) is a model of its own and must not be told it needs them.
A wholly unknown output is JSON null (docs/contract.md).
"""

import json
import os

from conftest import ROOT, run_cli

PATH = os.path.join(ROOT, "fixtures", "real", "instance_args_bad.py")


def _models():
    proc = run_cli("--isolated", "--no-cache", "--exit-zero", "--explain", "--show-unknown", "--format", "json", PATH)
    assert proc.returncode == 0, proc.stderr
    return {m["class"]: m for m in json.loads(proc.stdout)["models"]}


def test_a_class_needing_arguments_says_so_and_its_instance_does_not():
    models = _models()
    assert models["MLP"]["output"] is None
    assert any("needs constructor arguments (in_features, hidden, n_out)" in u["reason"] for u in models["MLP"]["unknown"])
    for instance in ("mlp", "encoder"):
        assert models[instance]["kind"] == "variable"
        assert not any("constructor arguments" in u["reason"] for u in models[instance]["unknown"]), models[instance]["unknown"]
        assert models[instance]["output"] is not None  # built with its arguments, its output is known
