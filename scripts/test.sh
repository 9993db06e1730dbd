#!/usr/bin/env bash
# The README's test command (and CI's, through .ci/run). Makes the virtual environment
# .venv ($SHAPELINT_VENV to put it elsewhere) or reuses it, installs CPU-only torch and
# the trace and test extras into it, checks that the README's quickstart works on a
# fresh copy of the checkout (scripts/check_fresh_install.py), then runs the tests.
# Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SHAPELINT_VENV:-.venv}"
started=$SECONDS

if [ ! -x "$venv/bin/python" ]; then
    echo "test.sh: making the virtual environment $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
venv=$(cd "$venv" && pwd)
py="$venv/bin/python"

torch_args=$("$py" scripts/cpu_torch.py)  # its stderr says where torch comes from
mapfile -t torch_args <<<"$torch_args"
if ! "$py" -m pip install -q "${torch_args[@]}" -e '.[trace,test]'; then
    echo "test.sh: could not install the test requirements into $venv (above: pip's reason)." >&2
    echo "test.sh: CPU-only torch comes from PyTorch's CPU wheel index or a local ${torch_args[*]: -1} wheel; a plain torch from PyPI would be the CUDA build." >&2
    exit 1
fi
"$py" -c 'import sys, torch; print(f"test.sh: torch {torch.__version__}, CUDA build: {torch.version.cuda or False}, in {sys.prefix}")'
echo "test.sh: environment ready after $((SECONDS - started)) s"

"$py" scripts/check_fresh_install.py

# the venv's own tools (pre-commit, ruff) first on PATH, as if activated
export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
"$py" -m pytest "$@"
