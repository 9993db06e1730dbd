"""`shapelint graph FILE...`: each model's forward as a picture, read statically.

Layers and ops are the explain table's rows; the edges are the data flow the engine
records while drawing (engine.dataflow), each labelled with the shape its producer
returns. A module whose forward runs other layers (a Sequential, a residual block) is a
group around them. A residual `x + self.block(x)` or a `torch.cat` is a node with two
incoming edges. A row at a line with an error finding is drawn red, with its inputs.

Formats: mermaid (default; GitHub renders it), dot (Graphviz), svg and html
(graph_svg: laid out here in pure Python, self-contained). Never imports torch.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import click

from ..core.results import FileResult, ModelReport

FORMATS = ("mermaid", "dot", "svg", "html")


@dataclass
class Node:
    id: str
    name: str  # the module's qualified name, or the op as written
    kind: str  # the layer class (Conv2d), "op", "input" or "output"
    shape: Optional[list]
    line: int = 0
    parent: Optional[str] = None  # the group it is drawn in
    group: bool = False  # a module call that runs other rows
    red: bool = False
    conditional: bool = False


@dataclass
class Edge:
    src: str
    dst: str
    shape: Optional[list]
    red: bool = False


@dataclass
class ModelGraph:
    name: str
    id: str
    nodes: List[Node] = field(default_factory=list)
    edges: List[Edge] = field(default_factory=list)
    findings: List[str] = field(default_factory=list)  # "line N: SHP002 message" of the red rows
    _by_id: Dict[str, Node] = field(default_factory=dict, repr=False)
    _children: Optional[Dict[Optional[str], List[Node]]] = field(default=None, repr=False)

    @property
    def node_by_id(self) -> Dict[str, Node]:
        if len(self._by_id) != len(self.nodes):
            self._by_id = {n.id: n for n in self.nodes}
        return self._by_id

    def node(self, node_id: str) -> Node:
        return self.node_by_id[node_id]

    def children(self, parent: Optional[str]) -> List[Node]:
        if self._children is None or sum(map(len, self._children.values())) != len(self.nodes):
            self._children = {}
            for n in self.nodes:
                self._children.setdefault(n.parent, []).append(n)
        return self._children.get(parent, [])


def show_shape(shape) -> str:
    return "?" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def _error_rows(m: ModelReport, errors) -> Dict[int, str]:
    """Rows at a line with an error: the calls there, else the layers defined there."""
    red: Dict[int, str] = {}
    for f in errors:
        at_call = [i for i, r in enumerate(m.layers) if r.call_line == f.line and r.module is None]
        at_call = at_call or [i for i, r in enumerate(m.layers) if r.line == f.line or r.call_line == f.line]
        for i in at_call:
            red.setdefault(i, f"line {f.line}: {f.code} {f.message}")
    return red


def model_graph(m: ModelReport, k: int, result: FileResult) -> ModelGraph:
    """The nodes and edges of one model (its rows with their data flow)."""
    g = ModelGraph(m.name, f"m{k}")
    flow = m.flow or [(None, []) for _ in m.layers]
    groups = {p for p, _s in flow if p is not None}
    errors = [f for f in result.findings if f.severity == "error" and f.path in (result.path, None)]
    red = _error_rows(m, errors)
    g.findings = list(dict.fromkeys(red.values()))
    ids = {i: f"{g.id}n{i}" for i in range(len(m.layers))}
    ids[-1] = f"{g.id}in"
    g.nodes.append(Node(ids[-1], "input", "input", m.input, m.line))
    for i, row in enumerate(m.layers):
        parent = flow[i][0]
        g.nodes.append(Node(ids[i], row.module or row.op, row.op if row.module else "op", row.out, row.call_line or row.line,
                            ids.get(parent) if parent is not None else None, i in groups, i in red, row.conditional))
    last_leaf = {}
    for i in range(len(m.layers)):  # a group's result comes out of its last row
        p = flow[i][0]
        while p is not None:
            if i not in groups:
                last_leaf[p] = i
            p = flow[p][0]

    def endpoint(s):
        return ids[last_leaf.get(s, s)] if s >= 0 else ids[-1]

    def shape(s):
        return m.input if s < 0 else m.layers[s].out

    for i in range(len(m.layers)):
        if i in groups:
            continue
        for s in flow[i][1]:
            g.edges.append(Edge(endpoint(s), ids[i], shape(s), i in red))
    if m.layers or m.input is not None:
        out_id = f"{g.id}out"
        g.nodes.append(Node(out_id, "output", "output", m.output))
        for s in m.flow_output:
            g.edges.append(Edge(endpoint(s), out_id, shape(s)))
    return g


def graphs_of(results: List[FileResult], only: tuple = ()) -> List[ModelGraph]:
    out = []
    for r in results:
        for m in r.models:
            if only and m.name not in only:
                continue
            out.append(model_graph(m, len(out), r))
    return out


# ---------------------------------------------------------------------------- mermaid


def _mermaid_text(s: str) -> str:
    return s.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _label(n: Node, sep: str, esc) -> str:
    head = n.name if n.kind in ("op", "input", "output") else f"{n.name}: {n.kind}"
    if n.group:
        return esc(head)
    return esc(head) + sep + esc(show_shape(n.shape))


def _mermaid_node(n: Node) -> str:
    text = _label(n, "<br/>", _mermaid_text)
    if n.kind in ("input", "output"):
        return f'{n.id}(["{text}"])'
    if n.kind == "op" and n.name in ("+", "-", "*", "/", "@") or n.name in ("torch.cat", "torch.stack"):
        return f'{n.id}(("{text}"))'
    if n.kind == "op":
        return f'{n.id}("{text}")'
    return f'{n.id}["{text}"]'


def _mermaid_nodes(g: ModelGraph, parent: Optional[str], depth: int, lines: List[str]) -> None:
    pad = "  " * depth
    for n in g.children(parent):
        if n.group:
            lines.append(f'{pad}subgraph {n.id}["{_label(n, "", _mermaid_text)}"]')
            _mermaid_nodes(g, n.id, depth + 1, lines)
            lines.append(f"{pad}end")
        else:
            lines.append(pad + _mermaid_node(n))


def to_mermaid(graphs: List[ModelGraph]) -> str:
    lines = ["flowchart TB"]
    edges: List[Edge] = []
    red_nodes = []
    for g in graphs:
        lines.append(f'  subgraph {g.id}["{_mermaid_text(g.name)}"]')
        lines.append("  direction TB")
        _mermaid_nodes(g, None, 2, lines)
        lines.append("  end")
        edges.extend(g.edges)
        red_nodes.extend(n.id for n in g.nodes if n.red)
    for e in edges:
        lines.append(f'  {e.src} -->|"{_mermaid_text(show_shape(e.shape))}"| {e.dst}')
    lines.append("  classDef error fill:#fdd,stroke:#c00,stroke-width:2px,color:#900")
    if red_nodes:
        lines.append(f"  class {','.join(red_nodes)} error")
    red_edges = [str(i) for i, e in enumerate(edges) if e.red]
    if red_edges:
        lines.append(f"  linkStyle {','.join(red_edges)} stroke:#c00,stroke-width:2px,color:#c00")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- dot


_DOT_NEWLINE = "\\n"  # a line break inside a Graphviz label


def _dot_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _dot_nodes(g: ModelGraph, parent: Optional[str], depth: int, lines: List[str]) -> None:
    pad = "  " * depth
    for n in g.children(parent):
        if n.group:
            lines.append(f'{pad}subgraph cluster_{n.id} {{')
            lines.append(f'{pad}  label="{_label(n, "", _dot_text)}"; style=dashed;')
            _dot_nodes(g, n.id, depth + 1, lines)
            lines.append(f"{pad}}}")
            continue
        shape = "ellipse" if n.kind == "op" else ("oval" if n.kind in ("input", "output") else "box")
        red = ', color="#cc0000", fontcolor="#cc0000", penwidth=2' if n.red else ""
        lines.append(f'{pad}{n.id} [label="{_label(n, _DOT_NEWLINE, _dot_text)}", shape={shape}{red}];')


def to_dot(graphs: List[ModelGraph]) -> str:
    lines = ["digraph shapelint {", '  rankdir=TB; node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];']
    for g in graphs:
        lines.append(f"  subgraph cluster_{g.id} {{")
        lines.append(f'    label="{_dot_text(g.name)}";')
        _dot_nodes(g, None, 2, lines)
        lines.append("  }")
    for g in graphs:
        for e in g.edges:
            red = ', color="#cc0000", fontcolor="#cc0000", penwidth=2' if e.red else ""
            lines.append(f'  {e.src} -> {e.dst} [label="{_dot_text(show_shape(e.shape))}"{red}];')
    lines.append("}")
    return "\n".join(lines).replace("\n\n", "\n") + "\n"


# ---------------------------------------------------------------------------- the command


def render(fmt: str, graphs: List[ModelGraph], title: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(graphs)
    if fmt == "dot":
        return to_dot(graphs)
    from . import graph_svg

    return graph_svg.to_svg(graphs) if fmt == "svg" else graph_svg.to_html(graphs, title)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True, help="What to draw the models as.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the picture to FILE instead of standard output.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="TARGET[.PARAM]=D0,D1,...[:long]", help="Input shape of a model, as for `shapelint` itself (repeatable).")
@click.option("--model", "models", multiple=True, metavar="NAME", help="Draw only this model (repeatable; default: every model).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read [tool.shapelint] from this file, not the nearest pyproject.toml.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
def graph_command(paths, fmt, output_file, input_shapes, models, config_file, isolated):
    """Draw each model's forward: layers, tensor flow with shapes, errors in red."""
    from ..core.config import ConfigError
    from ..engine.check import Settings, lint_source
    from .cli import parse_input_shapes

    settings = Settings(input_shapes=parse_input_shapes(input_shapes), config_file=config_file, isolated=isolated, graph=True)
    results = []
    try:
        for p in paths:
            with open(p, "rb") as fh:
                results.append(lint_source(p, fh.read(), settings))
    except (ConfigError, OSError) as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)
    graphs = graphs_of(results, tuple(models))
    if not graphs:
        click.echo(f"shapelint: error: no model to draw in {', '.join(paths)}", err=True)
        sys.exit(2)
    text = render(fmt, graphs, ", ".join(paths))
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            click.echo(f"shapelint: error: cannot write {output_file}: {e.strerror}", err=True)
            sys.exit(2)
    else:
        click.echo(text, nl=False)
    sys.exit(0)
