"""What the install needs, declared where pip reads it; the quickstart CI runs.

scripts/check_fresh_install.py (run by scripts/test.sh, so by CI) does the real
installs; these tests pin what it relies on without touching the network.
"""

import ast
import glob
import importlib.metadata
import os
import platform
import re
import sys
import tomllib

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_fresh_install  # noqa: E402
import cpu_torch  # noqa: E402

# modules of this repository that tests import: shapelint itself, tests/*.py and
# scripts/*.py, and `classifier`, a model file test_trace.py writes and imports
LOCAL = {"shapelint", "classifier"} | {os.path.basename(p)[:-3] for folder in ("tests", "scripts")
                                      for p in glob.glob(os.path.join(ROOT, folder, "*.py"))}


def project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        return tomllib.load(fh)["project"]


def dist_name(requirement):
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_modules():
    """Top-level names of every absolute import statement in tests/*.py."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "tests", "*.py")):
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - LOCAL


def test_the_test_extra_lists_every_distribution_the_tests_import():
    extras = project()["optional-dependencies"]
    # torch is the trace extra's: scripts/test.sh installs the CPU build with [trace,test]
    declared = {dist_name(r) for r in project()["dependencies"] + extras["test"] + extras["trace"]}
    providers = importlib.metadata.packages_distributions()
    undeclared = {}
    for module in sorted(imported_modules()):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & declared:
            undeclared[module] = sorted(dists) or "not installed"
    assert not undeclared, f"imported by tests but not in pyproject's test extra: {undeclared}"


def test_numpy_is_declared_for_the_model_the_tests_run_with_torch():
    # test_static_semantics runs a model that calls torch.from_numpy: an import inside
    # a string, which the import scan above cannot see
    with open(os.path.join(ROOT, "tests", "test_static_semantics.py"), encoding="utf-8") as fh:
        assert "import numpy" in fh.read()
    assert "numpy" in {dist_name(r) for r in project()["optional-dependencies"]["test"]}


def test_the_install_hints_name_extras_that_provide_what_is_missing():
    from shapelint.core.links import install_hint

    extras = {name: {dist_name(r) for r in reqs} for name, reqs in project()["optional-dependencies"].items()}
    assert "torch" in extras["trace"] and {"pygls", "lsprotocol"} <= extras["lsp"]
    for extra in ("trace", "lsp"):
        assert install_hint(extra).startswith(f"pip install '.[{extra}]'")


def test_the_readme_quickstart_is_two_commands_and_ci_runs_the_second():
    commands, shown = check_fresh_install.readme_quickstart()
    assert len(commands) == 2 and commands[0].startswith("python3 -m venv .venv && ")
    assert shown.startswith("examples/simple_cnn.py:") and " SHP002 " in shown
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as fh:
        ci = [ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")]
    assert commands[1] in ci, ci


def test_the_cuda_package_pattern():
    # what PyPI's Linux torch 2.13.0 pulls in besides torch, and what the CPU build needs
    cuda = ["nvidia-cublas", "nvidia-cudnn-cu13", "nvidia-nccl-cu13", "nvidia-cuda-runtime", "cuda-bindings",
            "cuda-toolkit", "triton"]
    cpu = ["torch", "sympy", "networkx", "filelock", "jinja2", "fsspec", "mpmath", "markupsafe", "typing-extensions",
           "setuptools", "numpy"]
    assert all(check_fresh_install.CUDA_PACKAGE.match(n) for n in cuda)
    assert not any(check_fresh_install.CUDA_PACKAGE.match(n) for n in cpu)


@pytest.mark.skipif(not (sys.platform == "linux" and platform.machine() == "x86_64"), reason="Linux x86_64 only")
def test_the_torch_pin_is_the_cpu_build_of_the_installed_version():
    assert cpu_torch.requirement() == f"torch=={cpu_torch.TORCH_VERSION}+cpu"
    assert importlib.metadata.version("torch").split("+")[0] == cpu_torch.TORCH_VERSION
