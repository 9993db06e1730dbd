"""Output formats, checked against their specifications, not against shapelint's own output.

- json / json-lines: docs/contract.md's fields; positions checked against the fixture's text.
- github: the workflow-command escaping GitHub documents, decoded by an independent
  unescaper written here.
- sarif: the SARIF 2.1.0 fields code scanning reads.
- rule / --list-rules / --stdin-filename / --statistics / -o.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import run_cli
from markdown_links import anchors_of_file, file_url_target
from shapelint.core.findings import Finding
from shapelint.frontends import report
from torch_oracle import run_model

# The tutorial bug: Linear expects 18*32*32 features, the pool leaves 18*16*16.
BROKEN = (
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
    "class SimpleCNN(nn.Module):  # shapelint: input=(4, 3, 32, 32)\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 18, kernel_size=3, padding=1)\n"
    "        self.pool = nn.MaxPool2d(2, 2)\n"
    "        self.fc1 = nn.Linear(18 * 32 * 32, 64)\n"
    "\n"
    "    def forward(self, x):\n"
    "        x = self.pool(F.relu(self.conv1(x)))\n"
    "        x = torch.flatten(x, 1)\n"
    "        return self.fc1(x)\n"
)
BAD_LINE, BAD_TEXT = 11, "18 * 32 * 32"


@pytest.mark.torch
def test_the_model_these_formats_report_really_fails_in_torch():
    assert run_model(BROKEN, "SimpleCNN", [4, 3, 32, 32]).verdict == "crash"


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    d = tmp_path_factory.mktemp("fmt")
    p = d / "model.py"
    p.write_text(BROKEN)
    return p


def _span_text(path, d):
    """The source text a diagnostic's range covers, read from the file itself."""
    lines = open(path, encoding="utf-8").read().split("\n")
    assert d["line"] == d["end_line"]
    return lines[d["line"] - 1][d["column"] - 1 : d["end_column"] - 1]


def test_json_has_contract_fields_positions_fix_and_rule_url(broken):
    r = run_cli("--format", "json", str(broken))
    assert r.returncode == 1, r.stderr
    (d,) = json.loads(r.stdout)
    for key, typ in [("path", str), ("line", int), ("column", int), ("code", str), ("severity", str), ("message", str),
                     ("end_line", int), ("end_column", int), ("name", str), ("url", str)]:
        assert isinstance(d[key], typ), key
    assert d["severity"] in ("error", "warning", "info")
    assert re.fullmatch(r"SHP\d{3}", d["code"])
    assert d["line"] == BAD_LINE and _span_text(broken, d) == BAD_TEXT
    (edit,) = d["fix"]["edits"]
    assert eval(edit["content"]) == 18 * 16 * 16  # the number that fixes it, by arithmetic
    assert _documented_heading(d["url"]) == ("rules.md", "shp002-in-features-mismatch")


def test_json_lines_is_one_json_object_per_diagnostic(broken, tmp_path):
    other = tmp_path / "two.py"
    other.write_text(BROKEN.replace("SimpleCNN", "Other"))
    r = run_cli("--format", "json-lines", str(broken), str(other))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    full = json.loads(run_cli("--format", "json", str(broken), str(other)).stdout)
    assert [json.loads(line) for line in lines] == full


def test_concise_is_path_line_col_code_message(broken):
    r = run_cli(str(broken))  # concise is the default
    assert r.returncode == 1
    first = r.stdout.splitlines()[0]
    m = re.fullmatch(r"(.+):(\d+):(\d+): (SHP\d{3}) (.+)", first)
    assert m and m.group(1) == str(broken) and int(m.group(2)) == BAD_LINE
    assert BAD_TEXT not in r.stdout.replace(first, "")  # no source excerpt in concise


def test_full_shows_source_caret_and_fix_and_text_is_an_alias(broken):
    full = run_cli("--format", "full", str(broken))
    text = run_cli("--format", "text", str(broken))
    assert full.stdout == text.stdout and full.returncode == text.returncode == 1
    lines = full.stdout.splitlines()
    src_i = next(i for i, line in enumerate(lines) if line.endswith("nn.Linear(18 * 32 * 32, 64)"))
    src, caret = lines[src_i], lines[src_i + 1]
    start = caret.index("^")
    assert src[start : start + caret.count("^")] == BAD_TEXT
    assert any("fix:" in line for line in lines)


# ------------------------------------------------------------------ github


def gh_unescape(s):
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)], s)


def parse_workflow_command(line):
    m = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert m, line
    props = {}
    for part in m.group(2).split(","):  # escaped values hold no raw comma
        k, v = part.split("=", 1)
        props[k] = gh_unescape(v)
    return m.group(1), props, gh_unescape(m.group(3))


def test_github_escapes_percent_colon_comma_and_newlines():
    f = Finding("SHP002", "error", (), path="dir,x/a:b%.py", line=3, column=5, end_line=3, end_column=9,
                message="100% off: a, b\nsecond line\r")
    info = Finding("SHP200", "info", (), path="m.py", line=1, column=1, end_line=1, end_column=2, message="note")
    out = report.github([f, info]).splitlines()
    assert len(out) == 2  # the newline inside the message did not split the command
    kind, props, msg = parse_workflow_command(out[0])
    assert kind == "error"
    assert props == {"file": "dir,x/a:b%.py", "line": "3", "col": "5", "endLine": "3", "endColumn": "9", "title": "SHP002"}
    assert msg == "100% off: a, b\nsecond line\r"
    assert "%25" in out[0] and "%0A" in out[0] and "%0D" in out[0] and "%3A" in out[0].split("::")[1]
    # the message part escapes only %, CR and LF (":" and "," stay readable)
    assert out[0].split("::", 2)[2].startswith("100%25 off: a, b%0A")
    assert parse_workflow_command(out[1])[0] == "notice"


def test_github_end_to_end_with_odd_file_name(tmp_path):
    p = tmp_path / "a,b:c.py"
    p.write_text(BROKEN)
    r = run_cli("--format", "github", str(p))
    assert r.returncode == 1
    (line,) = r.stdout.splitlines()
    kind, props, msg = parse_workflow_command(line)
    assert kind == "error" and props["file"] == str(p) and props["title"] == "SHP002"
    assert int(props["line"]) == BAD_LINE and "4608" in msg


# ------------------------------------------------------------------ sarif


def test_sarif_fields_and_repo_relative_uri(tmp_path):
    repo = tmp_path / "repo"
    sub = repo / "models"
    sub.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (sub / "net.py").write_text(BROKEN)
    r = run_cli("--format", "sarif", "net.py", cwd=str(sub))  # run from a subdirectory of the repo
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"] and "2.1.0" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "shapelint"
    info, _ = file_url_target(driver["informationUri"])
    assert os.path.isfile(info), driver["informationUri"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids)) and "SHP002" in ids
    for rule in driver["rules"]:
        for k in ("shortDescription", "fullDescription", "help"):
            assert isinstance(rule[k]["text"], str) and rule[k]["text"], (rule["id"], k)
        assert rule["name"]
        assert _documented_heading(rule["helpUri"]) == ("rules.md", f"{rule['id']}-{rule['name']}".lower())
    (res,) = run["results"]
    assert res["ruleId"] == "SHP002" and res["level"] in ("error", "warning", "note")
    assert driver["rules"][res["ruleIndex"]]["id"] == "SHP002"
    assert "4608" in res["message"]["text"]
    (loc,) = res["locations"]
    phys = loc["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "models/net.py"  # relative to the git root, not the cwd
    reg = phys["region"]
    line = BROKEN.split("\n")[reg["startLine"] - 1]
    assert reg["startLine"] == reg["endLine"] == BAD_LINE
    assert line[reg["startColumn"] - 1 : reg["endColumn"] - 1] == BAD_TEXT  # 1-based, end exclusive


def test_sarif_with_no_findings_is_still_a_valid_log(tmp_path):
    p = tmp_path / "ok.py"
    p.write_text(BROKEN.replace("18 * 32 * 32", "18 * 16 * 16"))
    r = run_cli("--format", "sarif", str(p), cwd=str(tmp_path))
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["runs"][0]["results"] == []


# ------------------------------------------------------------------ more of the CLI


def test_output_file_gets_the_report_and_stdout_stays_empty(broken, tmp_path):
    out = tmp_path / "report.json"
    r = run_cli("--format", "json", "-o", str(out), str(broken))
    assert r.returncode == 1 and r.stdout == ""
    assert json.loads(out.read_text())[0]["code"] == "SHP002"


def test_stdin_filename_reads_standard_input_and_reports_that_name(tmp_path):
    r = run_cli("--format", "json", "--stdin-filename", "pkg/editor_buffer.py", "-", input=BROKEN, cwd=str(tmp_path))
    assert r.returncode == 1, r.stderr
    (d,) = json.loads(r.stdout)
    assert d["path"] == "pkg/editor_buffer.py" and d["line"] == BAD_LINE


def test_statistics_counts_findings_per_code(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(BROKEN)
    b.write_text(BROKEN.replace("nn.Conv2d(3, 18", "nn.Conv2d(5, 18"))  # adds a channel mismatch (SHP001)
    r = run_cli("--statistics", str(a), str(b))
    assert r.returncode == 1
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    counts = {code: int(n) for n, code, _name in rows}
    assert counts == {"SHP002": 2, "SHP001": 1}


def test_rule_subcommand_explains_what_why_example_fix():
    from shapelint.core.rules import REGISTRY

    r = run_cli("rule", "SHP004")
    assert r.returncode == 0, r.stderr
    rule = REGISTRY["SHP004"]
    for part in (rule.name, rule.summary, rule.why, rule.fix, rule.INVALID[0].strip().splitlines()[-1]):
        assert part in r.stdout
    assert run_cli("rule", "batch-folded").stdout == r.stdout  # by name too
    bad = run_cli("rule", "SHP999")
    assert bad.returncode == 2 and "SHP999" in bad.stderr and "Traceback" not in bad.stderr


def test_list_rules_lists_every_code():
    from shapelint.core.rules import REGISTRY

    r = run_cli("--list-rules")
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.splitlines()] == sorted(REGISTRY)


def test_a_file_named_like_a_subcommand_is_still_linted(tmp_path):
    (tmp_path / "rule").write_text(BROKEN)
    r = run_cli("rule", cwd=str(tmp_path))
    assert r.returncode == 1 and "SHP002" in r.stdout


def test_exit_zero_and_usage_errors(broken):
    assert run_cli("--exit-zero", str(broken)).returncode == 0
    r = run_cli("--format", "nope", str(broken))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli("--select", "XYZ9", str(broken))
    assert r.returncode == 2 and "XYZ9" in r.stderr and "Traceback" not in r.stderr


def _documented_heading(url):
    """(file name, anchor) of an absolute file URL whose file exists and has that heading."""
    path, anchor = file_url_target(url)
    assert os.path.isfile(path), url
    assert anchor in anchors_of_file(path), url
    return os.path.basename(path), anchor


def test_rule_urls_point_at_headings_of_the_rules_doc():
    from shapelint.core.rules import all_rules

    codes = [r.code for r in all_rules()]
    assert "SHP001" in codes and "SHP305" in codes
    for code in codes:
        name, anchor = _documented_heading(report.rule_url(code))
        assert name == "rules.md" and anchor.startswith(code.lower() + "-"), code


def test_no_format_and_no_fix_imports_torch(tmp_path):
    """Promise 1: the static path works where importing torch fails."""
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('shapelint imported torch')\n")
    p = tmp_path / "m.py"
    p.write_text(BROKEN)
    env = dict(os.environ, PYTHONPATH=str(fake))
    for fmt in ("concise", "full", "json", "json-lines", "github", "sarif"):
        r = run_cli("--format", fmt, str(p), env=env)
        assert r.returncode == 1 and "imported torch" not in r.stderr, (fmt, r.stderr)
    r = run_cli("--explain", "--format", "json", str(p), env=env)
    assert r.returncode == 1 and json.loads(r.stdout)["models"], r.stderr
    r = run_cli("--fix", str(p), env=env)
    assert r.returncode == 0, r.stderr
