import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))


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
