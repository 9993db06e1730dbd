"""shapelint reads model source; it never runs it.

The fixture below would, if imported, write a marker file, run a shell command that
writes another marker, and exit the process. Running shapelint on it must leave no
marker, exit normally with the shape error it contains, and never import torch.
"""

import json
import os
import sys

from conftest import run_cli

FIXTURE = '''\
import os
import sys
import torch.nn as nn

open({marker!r}, "w").write("the module body ran")
os.system("echo ran > " + {shell_marker!r})
__import__("subprocess").run(["touch", {sub_marker!r}])
if True:
    raise SystemExit(3)


def helper():
    open({marker!r}, "w").write("a function body ran")
    return 16


class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)
    def __init__(self):
        super().__init__()
        os.system("touch " + {shell_marker!r})
        self.conv1 = nn.Conv2d(3, helper(), 3)
        self.conv2 = nn.Conv2d(8, 4, 3)

    def forward(self, x):
        open({marker!r}, "w").write("forward ran")
        return self.conv2(self.conv1(x))
'''


def _fixture(tmp_path):
    markers = [str(tmp_path / n) for n in ("marker.txt", "shell_marker.txt", "sub_marker.txt")]
    src = FIXTURE.format(marker=markers[0], shell_marker=markers[1], sub_marker=markers[2])
    path = tmp_path / "evil_model.py"
    path.write_text(src)
    return str(path), markers, src


def test_cli_never_runs_the_file_but_still_finds_its_shape_error(tmp_path):
    path, markers, src = _fixture(tmp_path)
    r = run_cli("--format", "json", path)
    assert r.returncode == 1, r.stderr  # not 3: the SystemExit never ran
    assert [m for m in markers if os.path.exists(m)] == []
    diags = json.loads(r.stdout)
    conv2_line = next(i for i, line in enumerate(src.splitlines(), 1) if "self.conv2 =" in line)
    assert [(d["code"], d["line"]) for d in diags] == [("SHP001", conv2_line)]
    assert "16" in diags[0]["message"] and "8" in diags[0]["message"]


def test_explain_never_runs_the_file_either(tmp_path):
    path, markers, _ = _fixture(tmp_path)
    r = run_cli("--explain", "--format", "json", path)
    assert "Traceback" not in r.stderr
    assert [m for m in markers if os.path.exists(m)] == []
    assert any(m["class"] == "Net" for m in json.loads(r.stdout)["models"])


def test_static_check_does_not_import_torch(tmp_path):
    path, markers, _ = _fixture(tmp_path)
    code = (
        "import sys\n"
        "from shapelint.engine.check import check_source\n"
        f"res = check_source({path!r}, open({path!r}, 'rb').read(), explain=True)\n"
        "assert [f.code for f in res.findings] == ['SHP001'], res.findings\n"
        "print('torch' in sys.modules)\n"
    )
    import subprocess

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    assert [m for m in markers if os.path.exists(m)] == []
