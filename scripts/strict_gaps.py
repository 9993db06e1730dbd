"""Rewrite tests/strict_known_gaps.txt from a strict-mode run over fixtures/ and examples/.

Run after fixing (or knowingly adding) an unmodelled construct; review the diff: every new line
is a construct the engine skips. Usage: python scripts/strict_gaps.py
"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GAPS = os.path.join(ROOT, "tests", "strict_known_gaps.txt")


def main() -> None:
    with open(GAPS, encoding="utf-8") as f:
        header = [line for line in f if line.startswith("#")]
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "strict.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHAPELINT_STRICT")}
        env.update(PYTHONPATH=ROOT, SHAPELINT_STRICT_LOG=log)
        subprocess.run([sys.executable, "-m", "shapelint", "--isolated", "--no-cache", "--exit-zero", "fixtures", "examples"],
                       cwd=ROOT, env=env, capture_output=True, check=True)
        with open(log, encoding="utf-8") as f:
            seen = sorted({"\t".join(line.rstrip("\n").split("\t")[:2]) for line in f if line.strip()})
    with open(GAPS, "w", encoding="utf-8") as f:
        f.writelines(header)
        f.write("\n".join(seen) + "\n")
    print(f"{len(seen)} known gaps in {os.path.relpath(GAPS, ROOT)}")


if __name__ == "__main__":
    main()
