"""A long differential campaign: generated models, shapelint vs real torch.

    python scripts/campaign.py --examples 10000 [--seed 0] [--out campaign-disagreements]

Each example is tests/modelgen.py's model for one seed (RandomChooser(seed), so any
disagreement replays exactly); torch's verdict is the label. Prints the number of models,
verdict agreement, per-module shape agreement and wall time, and writes each
disagreement (source + what torch and shapelint said) into the output folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from modelgen import RandomChooser, compare, generate_model  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--out", default="campaign-disagreements")
    ap.add_argument("--progress", type=int, default=500, help="print a line every N models")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead on a shared machine
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    verdict_ok = modules = modules_ok = disagreements = 0
    by_verdict = {}
    for i, seed in enumerate(range(args.seed, args.seed + args.examples), 1):
        g = generate_model(RandomChooser(seed))
        c = compare(g)
        by_verdict[c.torch_verdict] = by_verdict.get(c.torch_verdict, 0) + 1
        verdict_ok += c.verdict_agrees
        modules += c.modules_compared
        modules_ok += c.modules_agreeing
        if not c.verdict_agrees or c.shape_mismatches:
            disagreements += 1
            with open(os.path.join(args.out, f"seed_{seed}.py"), "w", encoding="utf-8") as fh:
                fh.write(g.source + "\n# defect: " + str(g.defect) + "  style: " + g.style + "\n")
                fh.write("".join("# " + line + "\n" for line in c.describe().splitlines()))
        if args.progress and i % args.progress == 0:
            print(f"... {i} models, {disagreements} disagreements, {time.time() - t0:.0f} s", flush=True)
    n = args.examples
    wall = time.time() - t0
    print(f"models: {n} (torch verdicts: {by_verdict})")
    print(f"verdict agreement: {verdict_ok}/{n} = {100.0 * verdict_ok / max(n, 1):.3f} %")
    print(f"per-module shape agreement (models torch ran): {modules_ok}/{modules} = {100.0 * modules_ok / max(modules, 1):.3f} %")
    print(f"disagreements written to {args.out}/: {disagreements}")
    print(f"wall time: {wall:.1f} s ({1000 * wall / max(n, 1):.0f} ms per model)")
    return 0 if disagreements == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
