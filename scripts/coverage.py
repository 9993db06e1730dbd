"""Static coverage over the fixtures: the share of named submodules with a known static shape.

For every model in fixtures/ that declares its input, torch (forward hooks) lists the
named submodules that run; a submodule counts as covered when shapelint's --explain
gives it a fully known shape equal to torch's. Needs torch (a dev tool, not a test).

    python scripts/coverage.py [fixtures/architectures ...]
"""

import glob
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from shapelint.engine.check import check_source  # noqa: E402
from torch_oracle import declared_inputs, run_model  # noqa: E402


def main(dirs):
    total = known = equal = 0
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "**", "*.py"), recursive=True)):
            if f"{os.sep}trace{os.sep}" in path:
                continue  # --trace's fixtures hang or exhaust memory on purpose
            source = open(path).read()
            result = check_source(path, source, explain=True)
            for target, shape in declared_inputs(source).items():
                oracle = run_model(source, target, shape, filename=path)
                if oracle.verdict != "ok":
                    continue
                model = next((m for m in result.models if m.name == target), None)
                rows, conditional = {}, set()
                for row in (model.layers if model else []):
                    if row.module is not None:
                        rows.setdefault(row.module, []).append(row.out)
                        if row.conditional:
                            conditional.add(row.module)
                n = k = e = 0
                for name, outs in oracle.shapes.items():
                    n += 1
                    static = rows.get(name)
                    if static and all(o is not None and all(isinstance(v, int) for v in o) for o in static):
                        k += 1
                        # rows on undecided paths: torch took one of them
                        e += static == outs or (name in conditional and all(o in static for o in outs))
                total, known, equal = total + n, known + k, equal + e
                print(f"{os.path.relpath(path, ROOT)}::{target}: {k}/{n} known, {e}/{n} equal to torch")
    print(f"\nnamed submodules: {total}; known static shape: {known} ({100 * known / max(total, 1):.1f} %); "
          f"equal to torch: {equal} ({100 * equal / max(total, 1):.1f} %)")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(ROOT, "fixtures")])
