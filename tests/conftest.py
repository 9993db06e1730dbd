import os
import subprocess
import sys

import importlib.util

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
HAVE_TORCH = importlib.util.find_spec("torch") is not None
# Every test runs shapelint without its cache (and every CLI, pre-commit and editor process
# it starts inherits this): a test never sees another test's entries. tests/test_cache.py
# turns it on where it is the subject.
os.environ["SHAPELINT_NO_CACHE"] = "1"


def pytest_collection_modifyitems(config, items):
    """Tests that need real torch carry the `torch` marker; without torch they skip, not fail."""
    if HAVE_TORCH:
        return
    skip = pytest.mark.skip(reason="needs torch (pip install torch); the static tests run without it")
    for item in items:
        if item.get_closest_marker("torch") is not None:
            item.add_marker(skip)


def run_cli(*args, input=None, cwd=None, env=None):
    """Run the real CLI in a subprocess, as CI and editors do (this checkout's code)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "shapelint", *args],
        capture_output=True, text=True, input=input, cwd=cwd or ROOT, env=env, timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli
