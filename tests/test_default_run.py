"""The default run (issue 16): every fixture and example with nothing declared.

scripts/default_run.py strips every declared input and checks fixtures/ and examples/; a
correct file (torch runs it: tests/test_fixtures_vs_torch.py) must then have no error at all,
since an error with nothing declared claims to hold for every input.
"""

import os
import subprocess
import sys

from conftest import ROOT


def test_no_correct_fixture_has_an_error_with_nothing_declared():
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "default_run.py")], capture_output=True,
                          text=True, env=env, timeout=600)
    assert "FALSE ALARM" not in proc.stdout, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "internal errors: 0" in proc.stdout
    assert "in correct files (false alarms)" in proc.stdout


def test_stripping_removes_declarations_and_keeps_other_comments():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    from default_run import strip_declarations

    text = ("class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
            "model = Net()  # shapelint: idx=(2, 16):long, targets=(2, 16):long\n"
            "x = 1  # defect: every input\n")
    out = strip_declarations(text)
    assert "input=" not in out and "idx=" not in out
    assert "# defect: every input" in out
