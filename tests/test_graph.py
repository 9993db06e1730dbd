"""`shapelint graph`: the picture of each model's forward, checked against real torch,
the real Mermaid parser and a real headless Chromium.

- For models whose shapes are all known statically, every named submodule torch's
  forward hooks see is a node, once per call, with torch's output shape, and every edge
  out of it carries that shape; a residual `+` and a `torch.cat` have two incoming edges
  from the producers the source code names.
- The tutorial bug (examples/simple_cnn.py, SHP002) is drawn red, with its input edge.
- The Mermaid text of every fixture parses with the mermaid library (node + jsdom,
  tests/js), and renders with it in Chromium: every node, edge and layer name drawn.
- The HTML and SVG load in headless Chromium without errors or network requests, and
  show every layer's name.

Node, tests/js/node_modules (`npm ci --prefix tests/js`) and Chromium are needed by the
last two; without them those tests skip and say so. .ci/run installs them.
"""

import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, run_cli
from shapelint.engine.check import Settings, lint_source
from shapelint.frontends.graph import graphs_of, render, to_dot, to_mermaid

JS = os.path.join(ROOT, "tests", "js")
NODE = shutil.which("node")
HAVE_JS = NODE is not None and os.path.isdir(os.path.join(JS, "node_modules", "mermaid"))
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
need_js = pytest.mark.skipif(not HAVE_JS, reason="needs node and tests/js/node_modules (npm ci --prefix tests/js): the real mermaid library")
need_chromium = pytest.mark.skipif(not (HAVE_JS and CHROMIUM), reason="needs Chromium (apt-get install chromium) and npm ci --prefix tests/js (playwright-core)")

KNOWN = [("fixtures/realistic_resnet.py", "ResNet"), ("fixtures/realistic_unet.py", "UNet"), ("examples/simple_cnn.py", "SimpleCNN")]
SOURCES = sorted(glob.glob(os.path.join(ROOT, "fixtures", "*.py"))) + [os.path.join(ROOT, "examples", "simple_cnn.py")]


def drawn(rel, target=None):
    path = os.path.join(ROOT, rel)
    with open(path, "rb") as fh:
        result = lint_source(path, fh.read(), Settings(graph=True))
    graphs = graphs_of([result], (target,) if target else ())
    return result, graphs


def _incoming(g, node_id):
    return [e for e in g.edges if e.dst == node_id]


# ---------------------------------------------------------------------------- against torch


@pytest.mark.torch
@pytest.mark.parametrize("rel,target", KNOWN)
def test_every_layer_torch_runs_is_a_node_with_torch_shapes(rel, target):
    from torch_oracle import declared_inputs, run_model

    source = open(os.path.join(ROOT, rel), encoding="utf-8").read()
    outcome = run_model(source, target, declared_inputs(source)[target], filename=os.path.join(ROOT, rel))
    assert outcome.shapes, outcome.error
    _result, (g,) = drawn(rel, target)
    torch_shape_of = {}
    for name, shapes in outcome.shapes.items():
        nodes = [n for n in g.nodes if n.name == name and n.kind not in ("op", "input", "output")]
        if outcome.verdict == "ok":
            assert len(nodes) == len(shapes), name
        assert len(nodes) >= len(shapes), f"{name}: torch called it {len(shapes)} times, drawn {len(nodes)}"
        for n, shape in zip(nodes, shapes):
            assert n.shape == shape, name
            torch_shape_of[n.id] = shape
    leaves = [n for n in g.nodes if not n.group]
    checked = 0
    for e in g.edges:  # an edge carries what its producer returned, as torch returned it
        if e.src in torch_shape_of:
            assert e.shape == torch_shape_of[e.src], (g.node(e.src).name, g.node(e.dst).name)
            checked += 1
    assert checked >= len(torch_shape_of) // 2
    if outcome.verdict == "ok":
        assert outcome.output == g.node(f"{g.id}out").shape
        for n in leaves:  # the data flow is connected: every row reads something drawn
            if n.kind != "input":
                assert _incoming(g, n.id), n.name


def test_a_residual_add_has_two_incoming_edges():
    _r, (g,) = drawn("fixtures/realistic_resnet.py", "ResNet")
    adds = [n for n in g.nodes if n.name == "+"]
    assert len(adds) == 4  # one per BasicBlock
    for add, block in zip(adds, ["layer1.0", "layer1.1", "layer2.0", "layer3.0"]):
        sources = {g.node(e.src).name for e in _incoming(g, add.id)}
        shortcut = f"{block}.shortcut" if block.startswith("layer1") else f"{block}.shortcut.1"
        assert sources == {f"{block}.bn2", shortcut}
        assert g.node(add.parent).name == block  # drawn inside its block


def test_a_cat_of_a_skip_connection_has_two_incoming_edges():
    _r, (g,) = drawn("fixtures/realistic_unet.py", "UNet")
    cats = [n for n in g.nodes if n.name == "torch.cat"]
    assert [sorted(g.node(e.src).name for e in _incoming(g, c.id)) for c in cats] == [
        ["down1.1.net.5", "up1.up"], ["inc.net.5", "up2.up"]]
    assert [c.shape for c in cats] == [[1, 32, 32, 32], [1, 16, 64, 64]]
    assert "subgraph m0n28" in to_mermaid([g])  # up1 is a group around its rows


def test_the_buggy_example_is_drawn_red():
    lint = run_cli("examples/simple_cnn.py")
    assert lint.returncode == 1 and "SHP002" in lint.stdout
    _r, (g,) = drawn("examples/simple_cnn.py")
    assert [n.name for n in g.nodes if n.red] == ["fc1"]
    fc1 = next(n for n in g.nodes if n.name == "fc1")
    assert [(g.node(e.src).name, e.shape) for e in g.edges if e.red] == [("torch.flatten", [4, 4608])]
    assert any("SHP002" in f for f in g.findings)
    mermaid = to_mermaid([g])
    assert f"class {fc1.id} error" in mermaid
    red_link = [i for i, e in enumerate(g.edges) if e.red]
    assert f"linkStyle {red_link[0]} stroke:#c00" in mermaid
    assert f'{fc1.id} [label="fc1: Linear' in to_dot([g]) and 'color="#cc0000"' in to_dot([g])
    _r, (resnet,) = drawn("fixtures/realistic_resnet.py", "ResNet")
    assert not any(n.red for n in resnet.nodes) and not any(e.red for e in resnet.edges)


def test_drawing_does_not_change_what_the_lint_finds():
    for path in SOURCES:
        data = open(path, "rb").read()
        plain = lint_source(path, data, Settings())
        drawing = lint_source(path, data, Settings(graph=True))
        explained = lint_source(path, data, Settings(explain=True))
        assert [f.key() for f in drawing.findings] == [f.key() for f in plain.findings], path
        assert [m.output for m in drawing.models] == [m.output for m in explained.models], path
        assert all(m.flow is None for m in explained.models)  # the explain table pays nothing


def test_every_fixture_draws_in_every_format():
    """No model of the fixtures breaks a renderer; the SVG layout gives every row its own
    box, and a group's rectangle holds its rows."""
    from shapelint.frontends.graph_svg import Layout

    for path in SOURCES:
        _r, graphs = drawn(os.path.relpath(path, ROOT))
        for fmt in ("mermaid", "dot", "svg", "html"):
            assert render(fmt, graphs, path)
        for g in graphs:
            lay = Layout(g)
            boxes = list(lay.boxes.values())
            assert len(boxes) == sum(1 for n in g.nodes if not n.group)
            for i, (x, y, w, h) in enumerate(boxes):
                for (x2, y2, w2, h2) in boxes[i + 1:]:
                    assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, (path, g.name)
            for group, (gx, gy, gw, gh) in lay.groups:
                for i in lay.members[group.id]:
                    x, y, w, h = lay.boxes[i]
                    assert gx < x and x + w < gx + gw and gy < y and y + h < gy + gh


# ---------------------------------------------------------------------------- the command


def test_the_command_writes_each_format(tmp_path):
    r = run_cli("graph", "examples/simple_cnn.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("flowchart TB\n") and "conv1: Conv2d" in r.stdout
    r = run_cli("graph", "--format", "dot", "examples/simple_cnn.py")
    assert r.returncode == 0 and r.stdout.startswith("digraph shapelint {")
    for fmt in ("svg", "html"):
        out = tmp_path / f"cnn.{fmt}"
        r = run_cli("graph", "--format", fmt, "-o", str(out), "examples/simple_cnn.py")
        assert r.returncode == 0 and r.stdout == "", r.stderr
        text = out.read_text(encoding="utf-8")
        assert "fc1: Linear" in text and ("<!DOCTYPE html>" in text) == (fmt == "html")
    r = run_cli("graph", "--model", "Nope", "examples/simple_cnn.py")
    assert r.returncode == 2 and "no model to draw" in r.stderr
    assert run_cli("graph", "missing.py").returncode == 2
    assert run_cli("graph", "--input-shape", "SimpleCNN=1,3,32,32", "examples/simple_cnn.py").stdout.count("[1, 3, 32, 32]") >= 1


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed; it is optional")
def test_graphviz_reads_the_dot(tmp_path):
    for rel, target in KNOWN:
        _r, graphs = drawn(rel, target)
        done = subprocess.run(["dot", "-Tsvg"], input=to_dot(graphs), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------- real mermaid, real chromium


def _node(script, *args):
    return subprocess.run([NODE, os.path.join(JS, script), *args], capture_output=True, text=True, timeout=300, cwd=JS)


@need_js
def test_mermaid_parses_every_fixture_picture(tmp_path):
    files = []
    for i, path in enumerate(SOURCES):
        _r, graphs = drawn(os.path.relpath(path, ROOT))
        if graphs:
            f = tmp_path / f"{i}_{os.path.basename(path)}.mmd"
            f.write_text(to_mermaid(graphs), encoding="utf-8")
            files.append(str(f))
    broken = tmp_path / "broken.mmd"  # the parser is real: it rejects what Mermaid would
    broken.write_text('flowchart TB\n  a -->|"x| b\n', encoding="utf-8")
    done = _node("parse_mermaid.mjs", *files, str(broken))
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(lines) == len(files) + 1, done.stderr
    assert [x["file"] for x in lines if not x["ok"]] == [str(broken)], [x for x in lines if not x["ok"]]
    assert {x["type"] for x in lines if x["ok"]} == {"flowchart-v2"}


@need_chromium
def test_html_and_svg_load_in_chromium_and_show_every_layer(tmp_path):
    files, expected = [], {}
    for rel, target in KNOWN:
        _r, graphs = drawn(rel, target)
        names = {n.name for n in graphs[0].nodes}
        for fmt in ("html", "svg"):
            f = tmp_path / f"{target}.{fmt}"
            f.write_text(render(fmt, graphs, rel), encoding="utf-8")
            files.append(str(f))
            expected[str(f)] = (names, graphs[0])
    done = subprocess.run([NODE, os.path.join(JS, "load_page.mjs"), *files], capture_output=True, text=True, timeout=300,
                          cwd=JS, env={**os.environ, "CHROMIUM": CHROMIUM})
    assert done.returncode == 0, done.stderr[-3000:]
    pages = [json.loads(x) for x in done.stdout.splitlines()]
    assert [p["file"] for p in pages] == files
    for p in pages:
        names, g = expected[p["file"]]
        assert p["errors"] == [] and p["requests"] == [], p["file"]
        assert [n for n in names if n not in p["text"]] == [], p["file"]
        assert p["drawn"] == sum(1 for n in g.nodes if not n.group)
        assert p["red"] == [n.name for n in g.nodes if n.red]
    cnn = next(p for p in pages if p["file"].endswith("SimpleCNN.html"))
    assert cnn["red"] == ["fc1"] and "SHP002" in cnn["text"]


@need_chromium
def test_mermaid_renders_in_chromium_with_every_layer(tmp_path):
    """The mermaid library itself, in a browser as GitHub's viewer runs it: the picture
    draws every node and edge, shows each layer's name, and classes the red ones."""
    files, expected = [], {}
    for rel, target in KNOWN:
        _r, graphs = drawn(rel, target)
        f = tmp_path / f"{target}.mmd"
        f.write_text(to_mermaid(graphs), encoding="utf-8")
        files.append(str(f))
        expected[str(f)] = graphs[0]
    done = subprocess.run([NODE, os.path.join(JS, "render_mermaid.mjs"), *files], capture_output=True, text=True,
                          timeout=300, cwd=JS, env={**os.environ, "CHROMIUM": CHROMIUM})
    assert done.returncode == 0, done.stderr[-3000:]
    pages = [json.loads(x) for x in done.stdout.splitlines()]
    assert [p["file"] for p in pages] == files
    for p in pages:
        g = expected[p["file"]]
        assert p["ok"] and p["errors"] == [], (p["file"], p.get("error"), p["errors"])
        assert p["nodes"] == sum(1 for n in g.nodes if not n.group)
        assert p["edges"] == len(g.edges)
        assert [n.name for n in g.nodes if n.name not in p["text"]] == []
        red = sorted(n.id for n in g.nodes if n.red)
        assert sorted(next(n.id for n in g.nodes if f"-{n.id}-" in rid) for rid in p["red"]) == red
    assert any(p["red"] for p in pages)  # the tutorial bug is among them
