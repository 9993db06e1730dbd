"""Latency of `shapelint lsp`: from a didChange to the publishDiagnostics for that version.

Starts the server from this checkout over stdio, opens a generated ~300-line model
file, then makes N edits one at a time (each flips a Linear's in_features between a
wrong and the right value, so every edit changes the diagnostics) and times each
edit's round trip. The server's pause after an edit (debounce, 150 ms by default) is
part of what a user waits for; --debounce 0 shows the analysis cost alone.

    python scripts/bench_lsp.py                 # 30 edits, default debounce
    python scripts/bench_lsp.py --debounce 0    # analysis + protocol only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model_source(blocks: int = 4, convs_per_block: int = 17) -> str:
    """A plain CNN: `blocks` stages of `convs_per_block` 3x3 convs, each stage pooled."""
    head = [
        "import torch",
        "import torch.nn as nn",
        "import torch.nn.functional as F",
        "",
        "",
        "class Stage(nn.Module):",
        "    def __init__(self, cin, cout, depth):",
        "        super().__init__()",
        "        layers = []",
        "        for i in range(depth):",
        "            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]",
        "        self.body = nn.Sequential(*layers)",
        "",
        "    def forward(self, x):",
        "        return F.max_pool2d(self.body(x), 2)",
        "",
        "",
        "class Net(nn.Module):  # shapelint: input=(8, 3, 64, 64)",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    init, fwd = [], ["", "    def forward(self, x):"]
    channels, size = 3, 64
    for b in range(blocks):
        cout = 16 * 2 ** b
        for i in range(convs_per_block):
            cin = channels if i == 0 else cout
            init.append(f"        self.conv{b}_{i} = nn.Conv2d({cin}, {cout}, kernel_size=3, stride=1, padding=1)")
            init.append(f"        self.bn{b}_{i} = nn.BatchNorm2d({cout})")
            fwd.append(f"        x = self.conv{b}_{i}(x)")
            fwd.append(f"        x = F.relu(self.bn{b}_{i}(x))")
        init.append(f"        self.pool{b} = nn.MaxPool2d(2)")
        fwd.append(f"        x = self.pool{b}(x)")
        channels, size = cout, size // 2
    features = channels * size * size
    init.append(f"        self.stage = Stage({channels}, {channels}, 2)")
    fwd.append("        x = self.stage(x)")
    size //= 2
    features = channels * size * size
    init.append(f"        self.fc1 = nn.Linear({features}, 256)  # EDIT")
    init.append("        self.fc2 = nn.Linear(256, 10)")
    fwd += ["        x = torch.flatten(x, 1)", "        x = F.relu(self.fc1(x))", "        return self.fc2(x)"]
    return "\n".join(head + init + fwd) + "\n", features


async def bench(edits: int, debounce: str) -> dict:
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient
    from pygls.uris import from_fs_path

    source, features = model_source()
    tmp = tempfile.mkdtemp(prefix="shapelint-bench-")
    path = os.path.join(tmp, "model.py")
    with open(path, "w") as fh:
        fh.write(source)
    uri = from_fs_path(path)
    published: dict = {}
    arrived: dict = {}

    client = LanguageClient("bench", "1")

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: lsp.PublishDiagnosticsParams):
        published[params.version] = params.diagnostics
        arrived[params.version] = time.perf_counter()

    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), SHAPELINT_LSP_DEBOUNCE=debounce)
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "shapelint", "lsp", env=env)
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(tmp)))
    client.initialized(lsp.InitializedParams())
    ready = time.perf_counter()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=source))
    )

    async def wait_for(version: int) -> float:
        while version not in arrived:
            await asyncio.sleep(0.001)
        return arrived[version]

    first = await wait_for(1) - ready
    line_no = next(i for i, ln in enumerate(source.splitlines()) if ln.endswith("# EDIT"))
    line = source.splitlines()[line_no]
    col = line.index(str(features))
    current = str(features)
    latencies = []
    counts = []
    for i in range(edits):
        new = str(features + 1) if current == str(features) else str(features)
        r = lsp.Range(start=lsp.Position(line=line_no, character=col), end=lsp.Position(line=line_no, character=col + len(current)))
        version = i + 2
        sent = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=r, text=new)],
            )
        )
        latencies.append((await wait_for(version)) - sent)
        counts.append(len(published[version]))
        current = new
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    lat = sorted(latencies)
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return {
        "lines": source.count("\n"),
        "edits": edits,
        "debounce_s": float(debounce),
        "startup_s": ready - started,
        "first_diagnostics_s": first,
        "median_ms": statistics.median(lat) * 1000,
        "p95_ms": p95 * 1000,
        "max_ms": lat[-1] * 1000,
        "diagnostics_per_edit": sorted(set(counts)),
    }


def in_process(repeats: int = 10) -> dict:
    """The analysis alone (what the server's worker thread runs per version), no protocol."""
    sys.path.insert(0, ROOT)
    from shapelint.engine.check import Settings, lint_source
    from shapelint.frontends.lsp.snapshot import build_snapshot

    source, _ = model_source()
    plain, editor = Settings(isolated=True), Settings(isolated=True, explain=True)
    out = {}
    for label, fn in (
        ("lint", lambda: lint_source("model.py", source, plain)),
        ("snapshot", lambda: build_snapshot(lint_source("model.py", source, editor), source, 1)),
    ):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out[label] = (min(times) * 1000, statistics.median(times) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--debounce", default="0.15", help="seconds the server waits after an edit (default 0.15)")
    args = ap.parse_args()
    result = asyncio.run(bench(args.edits, args.debounce))
    alone = in_process()
    print(
        f"{result['lines']}-line model, {result['edits']} edits, debounce {result['debounce_s']:.3f} s: "
        f"didChange -> publishDiagnostics median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"max {result['max_ms']:.1f} ms (server start {result['startup_s']:.2f} s, first diagnostics "
        f"{result['first_diagnostics_s'] * 1000:.0f} ms after open; diagnostics per edit {result['diagnostics_per_edit']})"
    )
    print(
        f"in process, same file: plain lint min {alone['lint'][0]:.0f} ms / median {alone['lint'][1]:.0f} ms; "
        f"editor snapshot (explain + hints) min {alone['snapshot'][0]:.0f} ms / median {alone['snapshot'][1]:.0f} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
