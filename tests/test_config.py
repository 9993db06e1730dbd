"""[tool.shapelint] configuration and rule selection, with ruff's precedence.

The fixture holds three models, each with one defect that torch confirms; which codes
are reported then follows from the selection rules alone.
"""

import json
import textwrap

import pytest

from conftest import run_cli
from shapelint.core.config import ConfigError, load_config
from torch_oracle import run_model

HEAD = "import torch\nimport torch.nn as nn\n\n\n"
CHANNELS = (  # SHP001: conv2 expects 18 channels, conv1 makes 16
    "class Channels(nn.Module):  # shapelint: input=(2, 3, 16, 16)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 16, 3)\n        self.conv2 = nn.Conv2d(18, 8, 3)\n\n"
    "    def forward(self, x):\n        return self.conv2(self.conv1(x))\n\n\n"
)
FEATURES = (  # SHP002: Linear expects 100 features, gets 64
    "class Features(nn.Module):  # shapelint: input=(2, 64)\n"
    "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(100, 10)\n\n"
    "    def forward(self, x):\n        return self.fc(x)\n\n\n"
)
FOLDED = (  # SHP004: view(-1, 16) turns 2 samples of 64 values into 8 rows
    "class Folded(nn.Module):  # shapelint: input=(2, 4, 4, 4)\n"
    "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(16, 1)\n\n"
    "    def forward(self, x):\n        return self.fc(x.view(-1, 16))\n"
)
SOURCE = HEAD + CHANNELS + FEATURES + FOLDED


@pytest.mark.torch
def test_fixture_defects_are_real():
    assert run_model(SOURCE, "Channels", [2, 3, 16, 16]).verdict == "crash"
    assert run_model(SOURCE, "Features", [2, 64]).verdict == "crash"
    assert run_model(SOURCE, "Folded", [2, 4, 4, 4]).verdict == "batch-changed"


@pytest.fixture
def project(tmp_path):
    def make(config: str = "", files=None):
        (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n" + textwrap.dedent(config))
        for name, text in (files or {"model.py": SOURCE}).items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        return tmp_path

    return make


def codes(r):
    assert r.returncode in (0, 1), r.stderr
    return sorted({d["code"] for d in json.loads(r.stdout)})


def lint(root, *args):
    return run_cli("--format", "json", *args, "model.py", cwd=str(root))


def test_everything_is_selected_by_default(project):
    assert codes(lint(project())) == ["SHP001", "SHP002", "SHP004"]


def test_config_ignore_and_select(project):
    assert codes(lint(project('[tool.shapelint]\nignore = ["SHP001"]\n'))) == ["SHP002", "SHP004"]
    assert codes(lint(project('[tool.shapelint]\nselect = ["SHP002"]\n'))) == ["SHP002"]


def test_prefix_selects_a_group_and_the_more_specific_selector_wins(project):
    root = project('[tool.shapelint]\nselect = ["SHP00"]\nignore = ["SHP0"]\n')
    assert codes(lint(root)) == ["SHP001", "SHP002", "SHP004"]  # SHP00 is more specific than SHP0
    root = project('[tool.shapelint]\nselect = ["SHP0"]\nignore = ["SHP00"]\n')
    assert codes(lint(root)) == []
    root = project('[tool.shapelint]\nselect = ["ALL"]\nignore = ["SHP004"]\n')
    assert codes(lint(root)) == ["SHP001", "SHP002"]


def test_extend_select_adds_to_select(project):
    root = project('[tool.shapelint]\nselect = ["SHP001"]\nextend-select = ["SHP004"]\n')
    assert codes(lint(root)) == ["SHP001", "SHP004"]


def test_command_line_overrides_the_config(project):
    root = project('[tool.shapelint]\nselect = ["SHP001"]\n')
    assert codes(lint(root, "--select", "SHP002,SHP004")) == ["SHP002", "SHP004"]  # --select replaces
    assert codes(lint(root, "--extend-select", "SHP002")) == ["SHP001", "SHP002"]  # --extend-select adds
    root = project('[tool.shapelint]\nignore = ["SHP002"]\n')
    assert codes(lint(root, "--ignore", "SHP001")) == ["SHP004"]  # both ignores apply
    assert codes(lint(root, "--select", "SHP002")) == ["SHP002"]  # a new select starts afresh


def test_exit_status_follows_the_selection(project):
    root = project('[tool.shapelint]\nignore = ["SHP0"]\n')
    r = lint(root)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_per_file_ignores(project):
    root = project(
        '[tool.shapelint.per-file-ignores]\n"legacy/*.py" = ["SHP001", "SHP004"]\n',
        {"model.py": SOURCE, "legacy/old.py": SOURCE},
    )
    r = run_cli("--format", "json", "model.py", "legacy/old.py", cwd=str(root))
    by_file = {}
    for d in json.loads(r.stdout):
        by_file.setdefault(d["path"], set()).add(d["code"])
    assert by_file == {"model.py": {"SHP001", "SHP002", "SHP004"}, "legacy/old.py": {"SHP002"}}


def test_exclude_prunes_directory_walks_and_force_exclude_named_files(project):
    root = project('[tool.shapelint]\nexclude = ["generated"]\n', {"src/model.py": SOURCE, "generated/model.py": SOURCE})
    r = run_cli("--format", "json", ".", cwd=str(root))
    assert {d["path"] for d in json.loads(r.stdout)} == {"src/model.py"}
    r = run_cli("--format", "json", "--force-exclude", "generated/model.py", cwd=str(root))
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_isolated_ignores_config_and_config_flag_picks_a_file(project, tmp_path_factory):
    root = project('[tool.shapelint]\nselect = ["SHP002"]\n')
    assert codes(lint(root, "--isolated")) == ["SHP001", "SHP002", "SHP004"]
    other = tmp_path_factory.mktemp("cfg") / "pyproject.toml"
    other.write_text('[tool.shapelint]\nselect = ["SHP004"]\n')
    assert codes(lint(root, "--config", str(other))) == ["SHP004"]


@pytest.mark.torch
def test_input_shapes_from_config_decide_the_verdict(project):
    # with no comment, the declared input in pyproject.toml is what makes the mismatch certain
    src = HEAD + FEATURES.replace("  # shapelint: input=(2, 64)", "")
    root = project('[tool.shapelint.input-shapes]\nFeatures = [2, 64]\n', {"model.py": src})
    assert run_model(src, "Features", [2, 64]).verdict == "crash"
    assert "SHP002" in codes(lint(root))


@pytest.mark.parametrize(
    "config,needle",
    [
        ('[tool.shapelint]\nselct = ["SHP001"]\n', "selct"),
        ('[tool.shapelint]\nselect = "SHP001"\n', "select"),
        ('[tool.shapelint]\nignore = ["SHP9"]\n', "SHP9"),
        ('[tool.shapelint]\ntrace = "yes"\n', "trace"),
        ('[tool.shapelint]\ninit-args = 3\n', "init-args"),
        ('[tool.shapelint.per-file-ignores]\n"*.py" = "SHP001"\n', "per-file-ignores"),
        ('[tool.shapelint\n', "TOML"),
    ],
)
def test_bad_config_is_a_clear_usage_error(project, config, needle):
    r = lint(project(config))
    assert r.returncode == 2
    assert needle in r.stderr and "pyproject.toml" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_init_args_and_trace_are_stored(tmp_path):
    p = tmp_path / "pyproject.toml"
    p.write_text('[tool.shapelint]\ntrace = true\n[tool.shapelint.init-args.Net]\nnum_classes = 10\nwidth = 0.5\n')
    cfg = load_config(str(p))
    assert cfg.trace is True
    assert cfg.init_args == {"Net": {"num_classes": 10, "width": 0.5}}
    with pytest.raises(ConfigError):
        p.write_text('[tool.shapelint.init-args]\nNet = 3\n')
        load_config(str(p))


@pytest.mark.torch
def test_input_shape_flag_overrides_the_config(project):
    src = HEAD + FEATURES.replace("  # shapelint: input=(2, 64)", "")
    root = project('[tool.shapelint.input-shapes]\nFeatures = [2, 100]\n', {"model.py": src})
    assert run_model(src, "Features", [2, 100]).verdict == "ok"
    assert run_model(src, "Features", [2, 64]).verdict == "crash"
    assert codes(lint(root)) == []
    assert codes(lint(root, "--input-shape", "Features=2,64")) == ["SHP002"]
