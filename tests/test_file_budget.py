"""The per-file budget (issue 17.3, promise 6): a file over it is not analysed and says so in
an SHP201 note, quickly and in little memory; a file under it is checked as usual.

The limits (core/source.py) sit far above real source (a whole site-packages with torch: at
most 28k lines, 1.4 MB, a 73k-character line) and below what libcst's parser can hold.
"""

import json

import pytest

from conftest import run_cli
from shapelint.core import source

MODEL = (
    "import torch.nn as nn\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv = nn.Conv2d(4, 8, 3)  # 3 channels arrive\n\n"
    "    def forward(self, x):\n        return self.conv(x)\n"
)

OVER = {
    "characters": MODEL + "#" * (source.MAX_FILE_CHARS + 1) + "\n",
    "lines": MODEL + "pass\n" * (source.MAX_FILE_LINES + 1),
    "line_length": MODEL + "S = [" + "1, " * (source.MAX_LINE_CHARS // 3 + 1) + "]\n",
    "brackets": MODEL + "".join(f"y{i} = ({'(' * 50}{i}{')' * 50})\n" for i in range(source.MAX_BRACKETS // 51 + 1)),
    "elifs": MODEL + "x = 0\nif x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, source.MAX_ELIFS + 2)),
}


@pytest.mark.parametrize("case", sorted(OVER))
def test_a_file_over_the_budget_gets_a_note_and_no_analysis(tmp_path, case):
    p = tmp_path / "big.py"
    p.write_text(OVER[case])
    r = run_cli("--isolated", "--no-cache", "--format", "json", str(p))
    assert r.returncode == 0, r.stderr  # a note, not an error: the file was not checked
    (d,) = json.loads(r.stdout)
    assert d["code"] == "SHP201" and d["severity"] == "info" and d["line"] == 1
    assert "per-file budget" in d["message"] and "more than" in d["message"]


def test_a_file_under_the_budget_is_checked(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(MODEL + "S = '" + "a" * (source.MAX_LINE_CHARS - 100) + "'\n")
    r = run_cli("--isolated", "--no-cache", str(p))
    assert r.returncode == 1 and "SHP001" in r.stdout


def test_an_integer_literal_over_pythons_digit_limit_is_unknown_not_an_internal_error(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(MODEL.replace("nn.Conv2d(4, 8, 3)", "nn.Conv2d(4, 8 if N else 8, 3)") + "N = " + "9" * 5000 + "\n")
    r = run_cli("--isolated", "--no-cache", str(p))
    assert "internal error" not in (r.stdout + r.stderr)
    assert r.returncode == 1 and "SHP001" in r.stdout  # the rest of the file is still checked


def test_explain_of_a_module_too_nested_for_libcsts_position_map_keeps_its_lines(tmp_path):
    """1,000 adjacent string literals: libcst's codegen recurses once per string, so the
    whole-module position map (--explain, the editor) raised a traceback; each finding and
    row now gets its line from its own statement's map."""
    p = tmp_path / "m.py"
    p.write_text(MODEL.replace("        self.conv = nn.Conv2d(4, 8, 3)  # 3 channels arrive\n",
                               "        self.conv = nn.Conv2d(4, 8, 3)  # 3 channels arrive\n"
                               "        self.name = " + " ".join(["'a'"] * 1000) + "\n"))
    r = run_cli("--isolated", "--no-cache", "--explain", "--format", "json", str(p))
    assert "Traceback" not in r.stderr, r.stderr[-500:]
    data = json.loads(r.stdout)
    (d,) = [d for d in data["diagnostics"] if d["code"] == "SHP001"]
    assert d["line"] == 7
    (m,) = data["models"]
    assert [row["line"] for row in m["layers"] if row["module"] == "conv"] == [7]
