"""The README's quickstart on a checkout that has never been installed anywhere.

1. Copies the checkout's files (not .git, .venv or build output) to a temporary
   folder and runs the README's first command there. It makes a brand-new virtual
   environment, installs shapelint and runs it on the bundled example, which must exit
   1 and print the SHP002 line the README shows. The rule URL that installed shapelint
   prints must name a file of the install.
2. In that environment (shapelint and its base dependencies only), `shapelint --trace`
   and `shapelint lsp` must stop with exit 2 and name the install that adds what they
   need; the lsp hint, run as printed, must make `shapelint lsp` start.
3. Asks pip there what installing the test requirements (scripts/test.sh's CPU torch
   and the trace and test extras) would fetch (`pip install --dry-run --report`): no
   nvidia-*, cuda-* or triton package (the CUDA build of torch) may be among them.

Exits 1 with what went wrong otherwise. Called by scripts/test.sh, so CI runs it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import cpu_torch  # noqa: E402

SKIPPED = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis", "node_modules"}
CUDA_PACKAGE = re.compile(r"^(nvidia-|cuda-|triton$)")
STEP_TIMEOUT = 600


class CheckFailed(Exception):
    pass


def readme_quickstart():
    """(the two commands of the README's Quickstart, the example output line the README shows)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    commands = [line[4:] for line in section.splitlines() if line.startswith("    ") and line.strip()]
    shown = [line for line in text.splitlines() if line.startswith("examples/simple_cnn.py:")]
    if len(commands) != 2 or len(shown) != 1:
        raise CheckFailed(f"README.md: expected two Quickstart commands and one example line, found {commands} and {shown}")
    return commands, shown[0]


def copy_checkout(dest):
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy the tree
        shutil.copytree(ROOT, dest, ignore=lambda d, names: [n for n in names if n in SKIPPED or n.endswith(".egg-info")])
        return
    for rel in filter(None, listed):
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):  # deleted but still tracked: skip
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))


def clean_env():
    """The environment of a new shell: no virtual environment, nothing on PYTHONPATH."""
    env = dict(os.environ)
    venv = env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    if venv:
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv))
    return env


def run(args, cwd, env, shell=False):
    started = time.monotonic()
    proc = subprocess.run(args, cwd=cwd, env=env, shell=shell, executable="/bin/bash" if shell else None,
                          capture_output=True, text=True, timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - started


def step(name, seconds):
    print(f"check_fresh_install: {name} ({seconds:.1f} s)", flush=True)


def check(work):
    commands, shown = readme_quickstart()
    install_cmd, test_cmd = commands
    if test_cmd != "bash scripts/test.sh":
        raise CheckFailed(f"README.md's test command is {test_cmd!r}, but .ci/run and this check run bash scripts/test.sh")
    checkout = os.path.join(work, "shapelint")
    copy_checkout(checkout)
    env = clean_env()

    # 1. the README's first command, verbatim, in a fresh copy
    proc, secs = run(install_cmd, checkout, env, shell=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 1 or shown not in proc.stdout.splitlines():
        raise CheckFailed(f"`{install_cmd}` exited {proc.returncode} (expected 1) and printed:\n{out[-4000:]}\n"
                          f"expected the README's line:\n{shown}")
    step("README install command: exit 1 and the SHP002 line the README shows", secs)
    venv_bin = os.path.join(checkout, ".venv", "bin")
    if not os.path.isfile(os.path.join(venv_bin, "python")):
        raise CheckFailed("the README's install command made no .venv in the checkout")
    env["PATH"] = venv_bin + os.pathsep + env["PATH"]
    python, shapelint = os.path.join(venv_bin, "python"), os.path.join(venv_bin, "shapelint")

    # the rule URL of an installed (not editable) shapelint names a file the install has
    proc, _ = run([shapelint, "--format", "json", "examples/simple_cnn.py"], checkout, env)
    (diagnostic,) = json.loads(proc.stdout)
    url = urllib.parse.urlparse(diagnostic["url"])
    doc = urllib.parse.unquote(url.path)
    if url.scheme != "file" or not doc.startswith(os.path.join(checkout, ".venv")) or not os.path.isfile(doc):
        raise CheckFailed(f"the installed shapelint's rule URL {diagnostic['url']} names no file of the install")
    step(f"the rule URL names the installed {os.path.relpath(doc, checkout)}", 0.0)

    # 2. the install hints: --trace without torch, lsp without pygls; then the lsp hint as printed
    started = time.monotonic()
    for argv, extra in (([shapelint, "--trace", "examples/simple_cnn.py"], "trace"), ([shapelint, "lsp"], "lsp")):
        proc, secs = run(argv, checkout, env)
        hint = f"pip install '.[{extra}]'"
        if proc.returncode != 2 or hint not in proc.stderr:
            raise CheckFailed(f"{' '.join(argv)} without its extra exited {proc.returncode}, expected 2 and "
                              f"the hint {hint!r}:\n{proc.stdout}{proc.stderr}")
    proc, secs = run(f"{python} -m {hint}", checkout, env, shell=True)  # `pip install '.[lsp]'` with the venv's pip
    if proc.returncode != 0:
        raise CheckFailed(f"the lsp hint `{hint}` failed:\n{proc.stdout}{proc.stderr}")
    proc, _ = run([shapelint, "lsp"], checkout, env)  # stdin is empty: it starts, reads EOF, exits 0
    if proc.returncode != 0:
        raise CheckFailed(f"after `{hint}`, shapelint lsp exited {proc.returncode}:\n{proc.stderr}")
    step(f"--trace and lsp name their extras; `{hint}` makes shapelint lsp start", time.monotonic() - started)

    # 3. what the test requirements would fetch
    torch_args, source = cpu_torch.pip_args()
    report = os.path.join(work, "report.json")
    pip = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", report, *torch_args, ".[trace,test]"]
    proc, secs = run(pip, checkout, env)
    if proc.returncode != 0:
        raise CheckFailed(f"{' '.join(pip)} failed:\n{proc.stdout}{proc.stderr}")
    with open(report, encoding="utf-8") as fh:
        install = json.load(fh)["install"]
    names = {item["metadata"]["name"].lower(): item for item in install}
    cuda = sorted(n for n in names if CUDA_PACKAGE.match(n))
    if cuda:
        raise CheckFailed(f"installing the test requirements would fetch CUDA packages: {', '.join(cuda)}\n{source}")
    if "torch" not in names:
        raise CheckFailed(f"the test requirements would not install torch: {sorted(names)}")
    torch = names["torch"]
    step(f"the test requirements fetch {len(names)} packages and no CUDA package; {source}; "
         f"torch {torch['metadata']['version']} from {torch['download_info']['url']}", secs)


def main():
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="shapelint-fresh-")
    try:
        check(work)
    except (CheckFailed, subprocess.TimeoutExpired) as e:
        print(f"check_fresh_install: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"check_fresh_install: passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
