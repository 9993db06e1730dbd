"""Promise 5 against file size (issue 17.3): does a lint cost grow like the file does?

Generates synthetic model files of 1k to 50k lines (a mix of nn.Module classes with
__init__/forward, builder functions, module-level configuration with undecided `if`s,
loops, comprehensions and training helpers), and model-free files of the same sizes
(utility code with no nn.Module), and measures, in this process, best of --repeat:

  parse   libcst.parse_module of the text
  lint    shapelint's check_source of the same text (parse included)

It prints lint/parse per size and the growth of each from 5k to 50k lines (the goal: a
10x larger file costs under 12x). `--file PATH ...` measures given files the same way
(torch/_inductor/lowering.py: the goal is lint under 2x its parse). `--tree DIR` times a
whole tree in fresh processes: a serial parse of every .py file, `shapelint --jobs 1`,
and `shapelint` (parallel). Usage:

    python scripts/bench_growth.py [--sizes 1000,5000,10000,20000,50000] [--repeat 3]
    python scripts/bench_growth.py --file .../torch/_inductor/lowering.py
    python scripts/bench_growth.py --tree .../site-packages/torch
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

HEADER = "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
FREE_HEADER = "import math\nimport os\nimport re\nfrom typing import Dict, List\n\nimport torch\n\n"

MODEL = '''
CFG_{i} = {{"width": {w}, "depth": 2, "classes": 10}}
if os.environ.get("WIDE_{i}"):
    CFG_{i}["width"] = {w2}


def make_block_{i}(cin, cout, stride=1):
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout)]
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Net{i}(nn.Module):  # shapelint: input=(2, 3, 32, 32)
    def __init__(self, cfg=CFG_{i}):
        super().__init__()
        width = cfg["width"]
        self.stem = make_block_{i}(3, width)
        self.blocks = nn.ModuleList([make_block_{i}(width, width) for _ in range(cfg["depth"])])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, cfg["classes"])

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = x + block(x)
        if self.training:
            x = F.dropout(x, 0.1)
        x = self.pool(x).flatten(1)
        return self.fc(x)


def train_step_{i}(model, batch, optimizer):
    inputs, targets = batch
    loss = F.cross_entropy(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return {{"loss": loss.item(), "step": {i}}}
'''

FREE = '''
TABLE_{i} = {{"name": "entry{i}", "sizes": [1, 2, 3], "scale": {w}}}
if os.environ.get("DEBUG_{i}"):
    TABLE_{i}["scale"] = {w2}
PATTERN_{i} = re.compile(r"item_{i}_(\\d+)")


def parse_entry_{i}(text: str) -> Dict[str, int]:
    out = {{}}
    for k, line in enumerate(text.splitlines()):
        m = PATTERN_{i}.match(line)
        if m is None:
            continue
        out[line] = int(m.group(1)) * TABLE_{i}["scale"] + k
    return out


def summarize_{i}(values: List[int]) -> float:
    total = sum(v for v in values if v > 0)
    return math.sqrt(total) if total else 0.0


def normalize_{i}(t: torch.Tensor) -> torch.Tensor:
    return (t - t.mean()) / (t.std() + 1e-6)


class Record{i}:
    def __init__(self, name, value):
        self.name = name
        self.value = value

    def describe(self):
        return f"{{self.name}}={{self.value}}"
'''


def synthetic(lines: int, model: bool) -> str:
    head, unit = (HEADER, MODEL) if model else (FREE_HEADER, FREE)
    parts = ["import os\n" + head if model else head]
    i, n = 0, head.count("\n")
    per = unit.count("\n")
    while n < lines:
        parts.append(unit.format(i=i, w=16 + i % 48, w2=32 + i % 48))
        n += per
        i += 1
    return "".join(parts)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(text: str, path: str, repeat: int):
    import libcst

    from shapelint.engine.check import check_source

    parse = best(lambda: libcst.parse_module(text), repeat)
    lint = best(lambda: check_source(path, text), repeat)
    return parse, lint


def growth(sizes, repeat: int) -> None:
    print(f"{'kind':<11}{'lines':>7}{'parse s':>10}{'lint s':>10}{'lint/parse':>12}")
    for model in (True, False):
        kind = "models" if model else "model-free"
        got = {}
        for size in sizes:
            text = synthetic(size, model)
            parse, lint = measure(text, os.path.join(ROOT, f"synthetic_{size}.py"), repeat)
            got[size] = (parse, lint)
            print(f"{kind:<11}{text.count(chr(10)):>7}{parse:>10.3f}{lint:>10.3f}{lint / parse:>11.2f}x")
        if 5000 in got and 50000 in got:
            print(f"{kind}: 5k -> 50k lines: parse x{got[50000][0] / got[5000][0]:.1f}, "
                  f"lint x{got[50000][1] / got[5000][1]:.1f} (goal: under x12)")


def files(paths, repeat: int) -> None:
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        text = data.decode("utf-8")
        parse, lint = measure(text, path, repeat)
        print(f"{os.path.basename(path)}: {text.count(chr(10))} lines, parse {parse:.2f} s, lint {lint:.2f} s, "
              f"lint/parse {lint / parse:.2f}x (goal: under 2x)")


SERIAL_PARSE = """
import os, sys, libcst
for dirpath, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
    for n in names:
        if n.endswith(".py"):
            try:
                libcst.parse_module(open(os.path.join(dirpath, n), "rb").read())
            except Exception:
                pass
"""


def tree(root: str, jobs_limit: float) -> None:
    count = sum(1 for _d, _s, names in os.walk(root) for n in names if n.endswith(".py"))
    env = dict(os.environ, PYTHONPATH=ROOT)
    runs = [
        ("serial parse", [sys.executable, "-c", SERIAL_PARSE, root]),
        # --no-cache: each run does the whole work (the cache's own figures: scripts/bench_tree.py)
        ("shapelint --jobs 1", [sys.executable, "-m", "shapelint", "--no-cache", "--jobs", "1", root]),
        ("shapelint (parallel)", [sys.executable, "-m", "shapelint", "--no-cache", root]),
    ]
    base = None
    print(f"{root}: {count} .py files")
    for label, cmd in runs:
        t = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=jobs_limit)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        dt = time.perf_counter() - t
        base = base or dt
        print(f"  {label:<22}{dt:>9.1f} s {dt / base:>6.2f}x  (exit {rc})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000,20000,50000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--file", nargs="*")
    ap.add_argument("--tree")
    ap.add_argument("--timeout", type=float, default=3600)
    a = ap.parse_args()
    if a.tree:
        tree(a.tree, a.timeout)
    elif a.file:
        files(a.file, a.repeat)
    else:
        growth([int(s) for s in a.sizes.split(",")], a.repeat)


if __name__ == "__main__":
    main()
