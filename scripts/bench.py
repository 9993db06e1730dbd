"""Cold-start benchmark: `shapelint model.py` vs a bare libcst parse vs a torch meta-device forward.

Each measurement is a fresh process (what a pre-commit hook or CI pays), repeated, with
--no-cache: the content cache would answer every run after the first without a parse;
the median wall time and the peak resident memory (ru_maxrss of the child) are shown.

    python scripts/bench.py [--runs 15] [--explain] [MODEL.py[:Target] ...]

--explain adds the summary and picture costs (issue 13: within 1.3x of a plain lint).

Defaults to the bundled example and the ResNet fixture. Needs torch for the third column.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULTS = [
    os.path.join(ROOT, "examples", "simple_cnn.py") + ":SimpleCNN",
    os.path.join(ROOT, "fixtures", "architectures", "resnet.py") + ":ResNet50",
]

BARE = "import sys, libcst\nlibcst.parse_module(open(sys.argv[1], 'rb').read())\n"
TORCH_META = """
import re, sys, types, torch
path, target = sys.argv[1], sys.argv[2]
src = open(path).read()
dims = re.search(r"class\\s+" + target + r"\\b.*shapelint:\\s*input=\\(([^)]*)\\)", src).group(1)
shape = [int(d) for d in dims.split(",")]
mod = types.ModuleType("m"); exec(compile(src, path, "exec"), mod.__dict__)
with torch.device("meta"):
    model = getattr(mod, target)()
    try:
        model(torch.empty(*shape))
    except Exception:
        pass
"""


def measure(cmd, runs):
    walls, cpus, peaks = [], [], []
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules load from cached bytecode
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # warm the caches
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _pid, _status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t)
        cpus.append(usage.ru_utime + usage.ru_stime)  # steadier than wall time on a shared machine
        peaks.append(usage.ru_maxrss / 1024)  # KiB -> MiB on Linux
    return statistics.median(walls), max(peaks), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=DEFAULTS)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--explain", action="store_true",
                    help="also time `shapelint --explain` (table and summary) and `shapelint graph --format svg`")
    args = ap.parse_args()
    py = sys.executable
    print("median wall time / peak memory / median CPU time per fresh process")
    print(f"{'file':<16} {'bare parse':>24} {'shapelint':>24} {'torch meta':>24}  ratios")
    for spec in args.models:
        path, _, target = spec.partition(":")
        bare = measure([py, "-c", BARE, path], args.runs)
        lint = measure([py, "-m", "shapelint", "--no-cache", path], args.runs)  # cold: never a cache hit
        torch_run = None if args.no_torch else measure([py, "-c", TORCH_META, path, target], max(3, args.runs // 3))
        cells = [f"{w * 1000:5.0f} ms {m:3.0f} MiB {c * 1000:5.0f} ms" for w, m, c in (bare, lint)]
        cells.append(f"{torch_run[0] * 1000:5.0f} ms {torch_run[1]:3.0f} MiB {torch_run[2] * 1000:5.0f} ms" if torch_run else "-")
        ratio = f"lint/bare wall {lint[0] / bare[0]:.2f}x cpu {lint[2] / bare[2]:.2f}x"
        if torch_run:
            ratio += f"; torch/lint wall {torch_run[0] / lint[0]:.1f}x"
        if args.explain:
            explain = measure([py, "-m", "shapelint", "--no-cache", "--explain", path], args.runs)
            ratio += f"; explain {explain[0] * 1000:.0f} ms, explain/lint wall {explain[0] / lint[0]:.2f}x cpu {explain[2] / lint[2]:.2f}x"
            graph = measure([py, "-m", "shapelint", "graph", "--format", "svg", path], args.runs)
            ratio += f"; graph {graph[0] * 1000:.0f} ms, graph/lint wall {graph[0] / lint[0]:.2f}x cpu {graph[2] / lint[2]:.2f}x"
        print(f"{os.path.basename(path):<16} {cells[0]:>24} {cells[1]:>24} {cells[2]:>24}  {ratio}")


if __name__ == "__main__":
    main()
