"""The pre-commit hook, run by the real `pre-commit try-repo` against this checkout.

try-repo clones the checkout (its committed hook definition) into a fresh virtual
environment with only the base dependencies (libcst, click; no torch), then runs the
hook on the files given. The configuration docs/usage.md shows is run by the real
`pre-commit run` as written, with only `repo` pointed at this checkout.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from torch_oracle import run_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BROKEN = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class Net(nn.Module):  # shapelint: input=(2, 3, 8, 8)\n"
    "    def __init__(self):\n        super().__init__()\n"
    "        self.conv1 = nn.Conv2d(3, 16, 3)\n        self.conv2 = nn.Conv2d(18, 8, 3)\n\n"
    "    def forward(self, x):\n        return self.conv2(self.conv1(x))\n"
)
GOOD = BROKEN.replace("nn.Conv2d(18, 8, 3)", "nn.Conv2d(16, 8, 3)")


def _pre_commit():
    exe = shutil.which("pre-commit")
    if exe:
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("precommit")
    repo = base / "user-repo"
    repo.mkdir()
    env = dict(os.environ, PRE_COMMIT_HOME=str(base / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    env.pop("PYTHONPATH", None)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    return repo, env


def try_repo(repo, env, filename):
    return subprocess.run(
        [*_pre_commit(), "try-repo", ROOT, "shapelint", "--files", filename],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.torch
def test_hook_fails_on_a_broken_model_and_shows_the_diagnostic(repo):
    path, env = repo
    assert run_model(BROKEN, "Net", [2, 3, 8, 8]).verdict == "crash"
    (path / "model.py").write_text(BROKEN)
    subprocess.run(["git", "add", "model.py"], cwd=path, check=True, env=env)
    r = try_repo(path, env, "model.py")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "model.py:9:" in out and "SHP001" in out and "Failed" in out


@pytest.mark.torch
def test_hook_passes_on_a_good_model(repo):
    path, env = repo
    assert run_model(GOOD, "Net", [2, 3, 8, 8]).verdict == "ok"
    (path / "good.py").write_text(GOOD)
    subprocess.run(["git", "add", "good.py"], cwd=path, check=True, env=env)
    r = try_repo(path, env, "good.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout


def _notebook(code: str) -> str:
    import json

    nbformat = pytest.importorskip("nbformat")
    nb = {"cells": [{"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# A model"]},
                    {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ["%matplotlib inline\n"] + code.splitlines(True)}],
          "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))
    return json.dumps(nb, indent=1) + "\n"


@pytest.mark.torch
def test_hook_checks_a_notebook(repo):
    """pre-commit selects .ipynb files by the `jupyter` type and shapelint checks their cells."""
    path, env = repo
    (path / "model.ipynb").write_text(_notebook(BROKEN))
    (path / "good.ipynb").write_text(_notebook(GOOD))
    subprocess.run(["git", "add", "model.ipynb", "good.ipynb"], cwd=path, check=True, env=env)
    r = try_repo(path, env, "model.ipynb")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "model.ipynb:cell 2:10:" in out and "SHP001" in out and "Failed" in out  # line 9 + the magic line
    r = try_repo(path, env, "good.ipynb")
    assert r.returncode == 0 and "Passed" in r.stdout, r.stdout + r.stderr


def test_hook_installs_base_dependencies_only():
    """pre-commit installs the package with [project].dependencies: libcst and click, no torch."""
    import tomllib

    yaml = pytest.importorskip("yaml")

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    names = sorted(d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in deps)
    assert names == ["click", "libcst"]
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml")) as fh:
        (hook,) = yaml.safe_load(fh)
    assert hook["id"] == "shapelint" and hook["language"] == "python"
    assert hook["types_or"] == ["python", "jupyter"] and hook["require_serial"] is True
    assert "additional_dependencies" not in hook


def documented_config():
    """The `.pre-commit-config.yaml` block of docs/usage.md, parsed."""
    yaml = pytest.importorskip("yaml")
    with open(os.path.join(ROOT, "docs", "usage.md"), encoding="utf-8") as fh:
        text = fh.read()
    (block,) = re.findall(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", text, re.S)
    return yaml.safe_load(block)


def test_the_documented_configuration_runs_as_written(tmp_path):
    yaml = pytest.importorskip("yaml")
    config = documented_config()
    (entry,) = config["repos"]
    assert [h["id"] for h in entry["hooks"]] == ["shapelint"]
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True)
    if shallow.stdout.strip() == "true":
        pytest.skip("a shallow clone may not hold the documented revision")
    # pre-commit fetches exactly this revision: a tag of this repository, or a full commit hash
    rev = entry["rev"]
    is_tag = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{rev}"], cwd=ROOT,
                            capture_output=True).returncode == 0
    assert is_tag or re.fullmatch(r"[0-9a-f]{40}", rev), rev
    hooks = subprocess.run(["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert hooks.returncode == 0, f"the documented rev {rev} is not a commit of this repository with a hook: {hooks.stderr}"
    assert "shapelint" in [h["id"] for h in yaml.safe_load(hooks.stdout)]

    entry["repo"] = ROOT  # the one change: where the user's clone of shapelint is
    user = tmp_path / "user-repo"
    user.mkdir()
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    env.pop("PYTHONPATH", None)
    subprocess.run(["git", "init", "-q"], cwd=user, check=True, env=env)
    (user / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (user / "model.py").write_text(BROKEN)
    subprocess.run(["git", "add", "."], cwd=user, check=True, env=env)
    r = subprocess.run([*_pre_commit(), "run", "--files", "model.py"], cwd=user, env=env,
                       capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "model.py:9:" in out and "SHP001" in out and "Failed" in out
