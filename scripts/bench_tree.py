"""Promise 5 on a tree: is linting 1,000 model files cheaper than parsing them serially?

Generates N varied model files (CNNs, MLPs, residual blocks, nn.Sequential variables,
with helper functions and training code around them; about one in six has a shape
defect) in a temporary directory, then measures the wall time of

  (a) parsing every file with bare `libcst.parse_module`, serially, in one process;
  (b) `shapelint --jobs 1 DIR`;
  (c) `shapelint DIR` (parallel, one process per core);

(b) and (c) run with --no-cache. Then the content cache (shapelint.core.cache), each
parallel and timed once: (d) a cold run that fills an empty cache, (e) the same tree
again, unchanged, (f) again after one file's content changed.

Each is a fresh process, timed end to end (interpreter start included), best of
--repeat runs. Usage:

    python scripts/bench_tree.py [--files 1000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = '''"""{doc}"""

import math
import os
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

'''

HELPERS = '''

def count_parameters(model: nn.Module) -> int:
    """Trainable parameters, for the log line."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train_one_epoch(model, loader, optimizer, device="cpu", log_every={log_every}):
    model.train()
    total = 0.0
    for step, (inputs, targets) in enumerate(loader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
        if step % log_every == 0:
            print(f"step {{step}}: loss {{total / (step + 1):.4f}}")
    return total / max(len(loader), 1)


if __name__ == "__main__":
    net = {cls}()
    print(count_parameters(net))
'''


def cnn(rng: random.Random, name: str, defect: bool) -> str:
    c_in = rng.choice([1, 3])
    size = rng.choice([28, 32, 64])
    chans = [rng.choice([8, 16, 32]) * (2 ** i) for i in range(rng.randint(2, 4))]
    lines = [f"class {name}(nn.Module):  # shapelint: input=({rng.choice([1, 4, 16])}, {c_in}, {size}, {size})",
             f'    """A small CNN for {size}x{size} images."""', "",
             f"    def __init__(self, num_classes: int = {rng.choice([10, 100])}):",
             "        super().__init__()"]
    prev, s = c_in, size
    bad = rng.randrange(len(chans)) if defect else -1
    for i, c in enumerate(chans):
        declared = prev + (2 if i == bad and i > 0 else 0)
        lines.append(f"        self.conv{i + 1} = nn.Conv2d({declared}, {c}, kernel_size=3, padding=1)")
        lines.append(f"        self.bn{i + 1} = nn.BatchNorm2d({c})")
        prev = c
        if s >= 4:
            s //= 2
    lines.append("        self.pool = nn.MaxPool2d(2, 2)")
    lines.append(f"        self.dropout = nn.Dropout(p={rng.choice([0.1, 0.25, 0.5])})")
    feats = prev * s * s if not (defect and bad <= 0) else prev * size * size
    lines.append(f"        self.fc1 = nn.Linear({prev} * {s} * {s}, 128)" if feats == prev * s * s else f"        self.fc1 = nn.Linear({feats}, 128)")
    lines.append("        self.fc2 = nn.Linear(128, num_classes)")
    lines += ["", "    def forward(self, x):"]
    for i in range(len(chans)):
        lines.append(f"        x = F.relu(self.bn{i + 1}(self.conv{i + 1}(x)))")
        lines.append("        x = self.pool(x)")
    lines.append(rng.choice(["        x = torch.flatten(x, 1)", "        x = x.view(x.size(0), -1)", "        x = x.flatten(1)"]))
    lines.append("        x = self.dropout(F.relu(self.fc1(x)))")
    lines.append("        return self.fc2(x)")
    return "\n".join(lines) + "\n"


def mlp(rng: random.Random, name: str, defect: bool) -> str:
    dims = [rng.choice([64, 128, 256, 512]) for _ in range(rng.randint(2, 5))]
    d_in = rng.choice([20, 64, 784])
    lines = [f"class {name}(nn.Module):  # shapelint: input=({rng.choice([8, 32])}, {d_in})", "",
             "    def __init__(self):", "        super().__init__()", "        layers = []"]
    lines.append(f"        sizes = [{d_in}, {', '.join(map(str, dims))}]")
    lines.append("        for a, b in zip(sizes[:-1], sizes[1:]):")
    lines.append("            layers.append(nn.Linear(a, b))")
    lines.append("            layers.append(nn.ReLU())")
    lines.append("        self.body = nn.Sequential(*layers)")
    head_in = dims[-1] + (7 if defect else 0)
    lines.append(f"        self.head = nn.Linear({head_in}, {rng.choice([2, 10])})")
    lines.append(f"        self.norm = nn.LayerNorm({dims[-1]})")
    lines += ["", "    def forward(self, x):", "        h = self.norm(self.body(x))", "        return self.head(h)"]
    return "\n".join(lines) + "\n"


def resnet(rng: random.Random, name: str, defect: bool) -> str:
    c = rng.choice([16, 32, 64])
    blocks = rng.randint(2, 4)
    size = rng.choice([32, 56])
    text = f'''class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


class {name}(nn.Module):  # shapelint: input=(2, 3, {size}, {size})
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, {c}, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d({c})
        self.layer1 = self._make_layer({c}, {c}, {blocks}, stride=1)
        self.layer2 = self._make_layer({c}, {2 * c}, {blocks}, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear({2 * c + (1 if defect else 0)}, num_classes)

    def _make_layer(self, in_planes, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(BasicBlock(in_planes, planes, s))
            in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = self.avgpool(out)
        out = out.view(out.size(0), -1)
        return self.linear(out)
'''
    return text


def sequential(rng: random.Random, name: str, defect: bool) -> str:
    c = rng.choice([8, 16])
    return f'''# shapelint: input=(4, 1, 28, 28)
{name.lower()} = nn.Sequential(
    nn.Conv2d(1, {c}, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d({c}, {2 * c}, 5),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear({2 * c} * 4 * 4{" + 16" if defect else ""}, 10),
)


class {name}(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = {name.lower()}

    def forward(self, x):
        return self.net(x)
'''


KINDS = [cnn, cnn, mlp, resnet, sequential]


def generate(directory: str, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    defects = 0
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        defect = rng.random() < 1 / 6
        defects += defect
        name = f"Model{i}"
        body = kind(rng, name, defect)
        text = HEADER.format(doc=f"{kind.__name__} number {i}, generated for the benchmark.") + body + HELPERS.format(
            cls=name, log_every=rng.choice([10, 50, 100])
        )
        sub = os.path.join(directory, f"pkg{i // 100:02d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"model_{i:04d}.py"), "w") as fh:
            fh.write(text)
    return defects


PARSE_ALL = r'''
import os, sys, libcst
files = []
for root, dirs, names in os.walk(sys.argv[1]):
    dirs.sort()
    files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
for f in files:
    with open(f, "rb") as fh:
        libcst.parse_module(fh.read().decode("utf-8"))
'''


def timed(cmd, repeat: int):
    """Best wall time and the CPU seconds (user + system, all child processes) of that run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, (wall, cpu))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="generate into this directory and keep it")
    args = ap.parse_args()
    directory = args.keep or tempfile.mkdtemp(prefix="shapelint-bench-")
    try:
        defects = generate(directory, args.files)
        print(f"{args.files} files ({defects} with a defect) in {directory}; {os.cpu_count()} cores")
        a = timed([sys.executable, "-c", PARSE_ALL, directory], args.repeat)
        b = timed([sys.executable, "-m", "shapelint", "--no-cache", "--jobs", "1", directory], args.repeat)
        c = timed([sys.executable, "-m", "shapelint", "--no-cache", directory], args.repeat)
        cache = tempfile.mkdtemp(prefix="shapelint-bench-cache-")
        cached = [sys.executable, "-m", "shapelint", "--cache-dir", cache, directory]
        d = timed(cached, 1)
        e = timed(cached, args.repeat)
        one = os.path.join(directory, "pkg00", "model_0000.py")
        with open(one, "a") as fh:
            fh.write("\n# touched\n")
        f = timed(cached, 1)
        shutil.rmtree(cache, ignore_errors=True)
        load = os.getloadavg()[0]
        print(f"load average (1 min): {load:.1f}; other processes share these cores, so compare CPU seconds too")
        print(f"(a) libcst.parse_module, serial : wall {a[0]:7.2f} s   cpu {a[1]:7.2f} s")
        print(f"(b) shapelint --jobs 1          : wall {b[0]:7.2f} s   cpu {b[1]:7.2f} s  (wall {b[0] / a[0]:.2f}x of a)")
        print(f"(c) shapelint (parallel)        : wall {c[0]:7.2f} s   cpu {c[1]:7.2f} s  (wall {c[0] / a[0]:.2f}x of a)  "
              f"{'OK: c <= a' if c[0] <= a[0] else 'SLOWER than a'}")
        print(f"(d) cache: cold (fills it)      : wall {d[0]:7.2f} s   cpu {d[1]:7.2f} s")
        print(f"(e) cache: unchanged re-run     : wall {e[0]:7.2f} s   cpu {e[1]:7.2f} s  (wall {e[0] / d[0]:.2f}x of d)  "
              f"{'OK: e < 0.1 d' if e[0] < 0.1 * d[0] else 'not under 0.1x of d'}")
        print(f"(f) cache: one file changed     : wall {f[0]:7.2f} s   cpu {f[1]:7.2f} s  (wall {f[0] / d[0]:.2f}x of d)")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
