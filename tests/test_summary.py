"""The static summary of --explain against torch, layer by layer, over every fixture model.

Parameters (trainable) and buffers of every named submodule equal torch's
`parameters()` / `named_buffers()` wherever shapelint gives a number; MACs equal
`FlopCounterMode` FLOPs / 2 per leaf layer and in total; output bytes equal the sizes of
the tensors torch's leaf layers return (forward hooks). Unknown (None) is always allowed;
a wrong number never. The share of models whose totals are known is pinned from below.
"""

import glob
import os

import pytest

from conftest import ROOT, run_cli
from shapelint.engine.check import check_source
from torch_oracle import declared_targets, forward_arguments, load

pytestmark = pytest.mark.torch


def _engine_known_wrong():
    """Models whose module tree the engine builds wrong today (KNOWN_GAPS 'wrong shape' entries:
    ignored list mutations, issue 10.1): their summary inherits the wrong tree until those are fixed."""
    from test_modern_models import KNOWN_GAPS as MODERN
    from test_real_models import KNOWN_GAPS as REAL

    return {k for table in (REAL, MODERN) for k, why in table.items() if "wrong shape" in why}


def _fixture_models():
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "**", "*.py"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        if os.sep + "pkg" in rel or os.sep + "trace" + os.sep in rel:
            continue
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        targets = declared_targets(src)
        if targets:
            yield rel, src, targets


def _torch_side(model, kwargs):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    leaves = {n: m for n, m in model.named_modules() if n and not list(m.children())}
    out_bytes = {}

    def hook(name):
        def record(_m, _i, out):
            if isinstance(out, torch.Tensor):
                out_bytes[name] = out_bytes.get(name, 0) + out.numel() * out.element_size()
            else:
                out_bytes[name] = None
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in leaves.items()]
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(**kwargs)
    for h in handles:
        h.remove()
    flops = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    return flops, counter.get_total_flops(), out_bytes


def _called_through_slice(src: str) -> bool:
    import re

    # called at once (`self.features[:2](x)`), or bound first (`in_rest = self.in_layers[:-1]`, guided diffusion)
    return re.search(r"\[[^\]]*:[^\]]*\]\(", src) is not None or re.search(r"=.*self\.[\w.]+\[-?\d*:-?\d*(:-?\d*)?\]", src) is not None


def test_params_buffers_macs_equal_torchs_over_every_fixture():
    import torch

    models = known = equal = compared_rows = mac_rows = 0
    wrong = []
    skip = _engine_known_wrong()
    for rel, src, targets in _fixture_models():
        result = check_source(rel, src, explain=True)
        if any(f.severity == "error" for f in result.findings):
            continue
        mod = None
        for report in result.models:
            specs = targets.get(report.name)
            if not specs or report.summary is None or f"{os.path.basename(rel)}::{report.name}" in skip:
                continue
            try:
                mod = mod or load(src, rel)
                torch.manual_seed(0)
                model = getattr(mod, report.name)()
                model.eval()
                kwargs = forward_arguments(model, specs)
                flops, total_flops, out_bytes = _torch_side(model, kwargs)
            except Exception:
                continue  # torch cannot build or run it: not a model to compare
            models += 1
            named = dict(model.named_modules())
            s = report.summary
            t = s["total"]
            params = sum(p.numel() for p in model.parameters())
            trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
            buffers = sum(b.numel() for b in model.buffers())
            if t["params"] is not None:
                known += 1
                if (t["params"], t["trainable"], t["buffers"]) == (params, trainable, buffers):
                    equal += 1
                else:
                    wrong.append((rel, report.name, "total", t, (params, trainable, buffers)))
            if t["macs"] is not None and 2 * t["macs"] != total_flops:
                wrong.append((rel, report.name, "total macs", t["macs"], total_flops / 2))
            for row in s["modules"]:
                m = named.get(row["module"])
                if m is None:
                    continue
                if row["params"] is not None:
                    compared_rows += 1
                    got = (row["params"], row["trainable"], row["buffers"])
                    want = (sum(p.numel() for p in m.parameters()), sum(p.numel() for p in m.parameters() if p.requires_grad),
                            sum(b.numel() for b in m.buffers()))
                    if got != want:
                        wrong.append((rel, report.name, row["module"], got, want))
                if row["macs"] is not None and row["calls"]:
                    mac_rows += 1
                    key = f"{type(model).__name__}.{row['module']}"
                    want = flops.get(key, 0)
                    # FlopCounterMode names a module by the path it was called through: a layer called
                    # through a slice (self.features[:2](x)) is counted under the slice's name, not its own
                    if 2 * row["macs"] != want and not (want == 0 and row["macs"] and _called_through_slice(src)):
                        wrong.append((rel, report.name, row["module"], "macs", row["macs"], want / 2))
                if row["output_bytes"] is not None and row["calls"] and row["module"] in out_bytes:
                    if row["output_bytes"] != out_bytes[row["module"]]:
                        wrong.append((rel, report.name, row["module"], "bytes", row["output_bytes"], out_bytes[row["module"]]))
    print(f"\nsummary vs torch: {models} models, totals known {known}, equal {equal}; "
          f"{compared_rows} module rows compared, {mac_rows} MAC rows")
    assert wrong == [], "\n".join(map(str, wrong[:40]))
    assert models >= 100 and compared_rows >= 500
    assert known / models >= 0.9  # (216 of 227 today) the share of fixture models whose parameter totals shapelint knows


def test_summary_json_is_additive(tmp_path):
    import json

    r = run_cli("--explain", "--format", "json", os.path.join(ROOT, "examples", "simple_cnn.py"))
    data = json.loads(r.stdout)
    s = data["models"][0]["summary"]
    assert set(s) == {"convention", "modules", "total"}
    assert set(s["total"]) == {"params", "trainable", "buffers", "macs", "output_bytes"}
    assert set(s["modules"][0]) == {"module", "kind", "params", "trainable", "buffers", "calls", "output", "macs", "output_bytes",
                                  "receptive_field"}
    path = os.path.join(ROOT, "examples", "simple_cnn.py")
    with open(path, encoding="utf-8") as fh:
        model = load(fh.read(), path).SimpleCNN()
    assert s["modules"][0]["module"] == "conv1"
    assert s["modules"][0]["params"] == sum(p.numel() for p in model.conv1.parameters())
    assert s["total"]["params"] == sum(p.numel() for p in model.parameters())


def test_summary_text_has_a_totals_line():
    path = os.path.join(ROOT, "examples", "simple_cnn.py")
    r = run_cli("--explain", path)
    total = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("total")]
    with open(path, encoding="utf-8") as fh:
        model = load(fh.read(), path).SimpleCNN()  # built, not run: its parameters as torch counts them
    n = sum(p.numel() for p in model.parameters())
    assert len(total) == 1 and f"{n:,}" in total[0], (n, total)
