#!/usr/bin/env bash
# Installs what the tests need (CPU torch pinned first, so pip never pulls CUDA builds) and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q torch==2.13.0
python -m pip install -q -e '.[test]'
python -m pytest
