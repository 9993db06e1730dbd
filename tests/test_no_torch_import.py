"""The static path never imports torch (product promise 1).

Run the real CLI where `import torch` raises, and check it still lints correctly; and
read `python -X importtime` to see that no torch module is imported at all.
"""

import json
import os
import sys

from conftest import ROOT, run_cli

FIXTURES = os.path.join(ROOT, "fixtures")


def _poisoned_env(tmp_path):
    poison = tmp_path / "poison" / "torch"
    poison.mkdir(parents=True)
    (poison / "__init__.py").write_text("raise ImportError('shapelint must not import torch')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tmp_path / "poison")
    return env


def test_poisoned_torch_really_fails_to_import(tmp_path):
    import subprocess

    env = _poisoned_env(tmp_path)
    r = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "must not import torch" in r.stderr


def test_cli_lints_without_torch(tmp_path):
    env = _poisoned_env(tmp_path)
    bad = os.path.join(FIXTURES, "seed_simple_cnn_flatten_bad.py")
    good = os.path.join(FIXTURES, "seed_simple_cnn.py")
    r = run_cli("--format", "json", bad, good, env=env)
    assert r.returncode == 1, r.stderr
    findings = json.loads(r.stdout)
    assert [(os.path.basename(f["path"]), f["line"], f["code"]) for f in findings] == [
        ("seed_simple_cnn_flatten_bad.py", 13, "SHP002")
    ]
    assert "4608" in findings[0]["message"]  # 18 * 16 * 16, computed without torch
    r = run_cli("--explain", "--format", "json", good, env=env)
    assert r.returncode == 0, r.stderr
    (model,) = json.loads(r.stdout)["models"]
    assert model["output"] == [4, 10]


def test_cli_does_not_import_torch(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT
    import subprocess

    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "shapelint", "--explain", os.path.join(FIXTURES, "functional_ops.py")],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    imported = [ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")]
    assert "shapelint.engine.check" in imported  # the import list is really there
    assert not [m for m in imported if m == "torch" or m.startswith("torch.")]


def test_package_modules_do_not_import_torch():
    # a future shapelint/trace.py may import torch lazily, inside a function; nothing else may
    import ast

    pkg = os.path.join(ROOT, "shapelint")
    names = sorted(
        os.path.join(d, f) for d, _dirs, files in os.walk(pkg) for f in files if f.endswith(".py")
    )
    assert len(names) > 20  # the whole package, subpackages included
    for name in names:
        tree = ast.parse(open(name, encoding="utf-8").read())
        for node in tree.body:  # module-level statements only
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:  # `from ..torch import` is shapelint's own
                mods = [node.module or ""]
            assert not [m for m in mods if m == "torch" or m.startswith("torch.")], name


def test_a_plain_lint_of_a_python_file_loads_no_notebook_picture_or_attention_code():
    """Cold start (promise 5): the notebook reader and `shapelint graph` load when asked for."""
    import subprocess

    from shapelint.core import notebook
    from shapelint.engine import check

    assert check.NOTEBOOK_SUFFIX == notebook.SUFFIX
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "shapelint", os.path.join(ROOT, "examples", "simple_cnn.py")],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")}
    assert "shapelint.engine.check" in imported  # the listing is real
    assert not {"shapelint.core.notebook", "shapelint.frontends.graph"} & imported
    # a CNN has no attention masks and no float powers: those tables (and decimal) load on first use
    assert not {"shapelint.torch.attention_masks", "fractions", "decimal"} & imported
