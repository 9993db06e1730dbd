"""Audit of the model-free fast path (engine/model_free.py) over a tree: every file it would
skip is checked by the full engine, which must find no model and no finding in it.

    python scripts/model_free_audit.py .../site-packages/torch
"""

from __future__ import annotations

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shapelint.engine import check as check_module  # noqa: E402
from shapelint.engine.model_free import cannot_hold_findings  # noqa: E402


def main(tree: str) -> int:
    fast = check_module.cannot_hold_findings
    check_module.cannot_hold_findings = lambda *_: False  # the full engine, for the comparison
    files = skipped = 0
    wrong = []
    t0 = time.perf_counter()
    for dirpath, dirs, names in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for n in sorted(names):
            if not n.endswith(".py"):
                continue
            path = os.path.join(dirpath, n)
            files += 1
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            if not any(h in text for h in check_module.MODEL_HINTS) or not cannot_hold_findings(text, path):
                continue
            skipped += 1
            r = check_module.check_source(path, text)
            if r.models or r.findings:
                wrong.append((path, len(r.models), [f.code for f in r.findings]))
    check_module.cannot_hold_findings = fast
    print(f"{tree}: {files} .py files, {skipped} take the fast path, {len(wrong)} of those have a model or "
          f"finding in the full engine ({time.perf_counter() - t0:.0f} s)")
    for path, models, codes in wrong:
        print(f"  {path}: {models} models, findings {codes}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
