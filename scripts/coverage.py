"""Static coverage over the fixtures: how many submodule shapes shapelint knows, and how many it gets wrong.

For every target that torch runs (a class whose line carries `# shapelint: input=(...)`, or a
module-level variable whose line carries `# oracle: input=(...)`), torch's forward hooks list
the named submodules that run. Each one is, in shapelint's `--explain --format json`:

- known:   every row for it has a fully known shape;
- equal:   known, and torch's shapes call by call (for rows on an undecided path: one of them);
- wrong:   a row contradicts torch (another rank, or a known dim that differs; in eval mode too
           for a fixture that reads `.training`): must be 0;
- unknown: the rest (no row, or a row whose shape is unknown in part or whole).

Every fixture directory is covered, recursively (fixtures/real/, fixtures/modern/, ...), except
fixtures/trace/, whose fixtures hang or exhaust memory on purpose. shapelint is asked through its
command line only (one run per file), so the script does not depend on the engine's modules.
Needs torch (a dev tool, not a test).

    python scripts/coverage.py [--summary] [DIR_OR_FILE ...]     # default: fixtures/
"""

import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests")]

from fixture_targets import run_in_torch, targets_in  # noqa: E402
from shape_compare import compare, rows_by_module  # noqa: E402

SKIP = os.sep + "trace" + os.sep  # --trace's fixtures hang or exhaust memory on purpose


def explain(path, targets):
    """shapelint's explain JSON for one file, with its variable targets declared."""
    args = [sys.executable, "-m", "shapelint", "--isolated", "--exit-zero", "--explain", "--format", "json"]
    for t in targets:
        if t.kind == "variable":
            args += ["--input-shape", f"{t.name}={','.join(map(str, t.dims))}"]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([*args, path], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    if proc.returncode != 0:
        print(f"  shapelint failed on {os.path.relpath(path, ROOT)} (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
        return {"models": []}
    return json.loads(proc.stdout)


def files_under(arg):
    if os.path.isfile(arg):
        return [os.path.abspath(arg)]
    found = glob.glob(os.path.join(arg, "**", "*.py"), recursive=True)
    return sorted(os.path.abspath(p) for p in found if SKIP not in p)


def group_of(path, root):
    """The fixture directory a file is summarised under: fixtures/, fixtures/real/, ... (sub-folders,
    such as a package inside fixtures/real/, count with their directory)."""
    fixtures = os.path.join(ROOT, "fixtures")
    if path.startswith(fixtures + os.sep):
        root = fixtures
    rel = os.path.relpath(path, root)
    top = rel.split(os.sep)[0] if os.sep in rel else ""
    return os.path.relpath(os.path.join(root, top), ROOT).rstrip(os.sep + ".") or "."


def measure(target, model):
    """(named submodules torch ran, known, equal, wrong) for one target."""
    outcome = run_in_torch(target)
    if outcome.verdict != "ok":
        return None
    rows, conditional = rows_by_module(model) if model else ({}, set())
    n = k = e = w = 0
    for name, calls in outcome.shapes.items():
        v = compare(rows.get(name, []), calls, name in conditional)
        wrong = bool(v.wrong)
        if outcome.eval is not None and name in outcome.eval.shapes:  # read `.training`: torch in eval mode too
            wrong = wrong or bool(compare(rows.get(name, []), outcome.eval.shapes[name], name in conditional).wrong)
        n, k, e, w = n + 1, k + v.known, e + v.equal, w + wrong
    return n, k, e, w


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "fixtures")])
    parser.add_argument("--summary", action="store_true", help="print only the per-directory and total lines")
    args = parser.parse_args(argv)

    groups = {}
    for arg in args.paths:
        root = os.path.abspath(arg if os.path.isdir(arg) else os.path.dirname(arg))
        for path in files_under(arg):
            targets = targets_in(path)
            if not targets:
                continue
            models = {m["class"]: m for m in explain(path, targets)["models"]}
            for t in targets:
                got = measure(t, models.get(t.name))
                if got is None:
                    continue  # torch fails: a _bad fixture, nothing to compare
                n, k, e, w = got
                g = groups.setdefault(group_of(path, root), [0, 0, 0, 0, 0])
                g[0] += 1
                for i, v in enumerate((n, k, e, w), 1):
                    g[i] += v
                if not args.summary:
                    flag = f", {w} WRONG" if w else ""
                    print(f"{os.path.relpath(path, ROOT)}::{t.name}: {k}/{n} known, {e}/{n} equal{flag}")

    def line(label, models, n, k, e, w):
        pct = lambda x: f"{100 * x / max(n, 1):.1f} %"  # noqa: E731
        return (f"{label}: {models} models, {n} named submodules; known {k} ({pct(k)}), equal {e} ({pct(e)}), "
                f"wrong {w}, unknown {n - k} ({pct(n - k)})")

    print("\nper directory:")
    total = [0, 0, 0, 0, 0]
    for name in sorted(groups):
        print("  " + line(name, *groups[name]))
        total = [a + b for a, b in zip(total, groups[name])]
    print(line("total", *total))
    return 1 if total[4] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
