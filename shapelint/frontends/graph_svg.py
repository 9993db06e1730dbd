"""`shapelint graph --format svg|html`: a layered top-to-bottom layout in pure Python.

Each row sits one layer below the lowest of its inputs (longest path from the input);
a layer's nodes are placed left to right in execution order, centred. Groups (a module
whose forward runs other layers) are dashed boxes around their rows, each with room
for its label above them. An edge that skips
layers (a residual shortcut) bends out to the side so it does not cross the rows it
skips. The page is one self-contained file: no script, no fonts, nothing fetched.
"""

from __future__ import annotations

from html import escape
from typing import Dict, List, Tuple

from .graph import ModelGraph, Node, show_shape

CHAR_W = 7.0  # px per character of 12px sans-serif, roughly
NODE_H = 38
LAYER_GAP = 46
NODE_GAP = 24
MARGIN = 30
RED = "#cc0000"


def _lines(n: Node) -> Tuple[str, str]:
    head = n.name if n.kind in ("op", "input", "output") else f"{n.name}: {n.kind}"
    return head, show_shape(n.shape)


def _width(n: Node) -> float:
    return max(len(s) for s in _lines(n)) * CHAR_W + 20


class Layout:
    """Where everything goes: `boxes` (node id -> x, y, width, height) of the rows drawn as
    boxes, `level` (node id -> its layer), `groups` [(group node, its rectangle)]."""

    def __init__(self, g: ModelGraph):
        self.g = g
        self.leaves = [n for n in g.nodes if not n.group]
        self.level = self._levels()
        self.members, self.depth = self._groups()
        self.deepest = max((self.depth[i] for i in self.members), default=0)
        self.boxes = self._place()
        self.groups = [(g.node_by_id[i], self._rect(i)) for i in self.members if self.members[i]]

    def _levels(self) -> Dict[str, int]:
        incoming: Dict[str, List[str]] = {n.id: [] for n in self.leaves}
        for e in self.g.edges:
            if e.dst in incoming:
                incoming[e.dst].append(e.src)
        level: Dict[str, int] = {}
        for n in self.leaves:  # rows come in execution order: every producer is placed before its consumers
            srcs = [level[s] for s in incoming[n.id] if s in level]
            level[n.id] = (max(srcs) + 1) if srcs else (0 if n.kind == "input" else 1)
        for n in self.leaves:  # the output at the bottom
            if n.kind == "output":
                level[n.id] = max(level.values()) + (0 if incoming[n.id] else 1)
        return level

    def _groups(self):
        members: Dict[str, List[str]] = {n.id: [] for n in self.g.nodes if n.group}
        depth: Dict[str, int] = {}
        for n in self.g.nodes:
            chain, p = [], n.parent
            while p is not None:
                chain.append(p)
                p = self.g.node_by_id[p].parent
            depth[n.id] = len(chain)
            if not n.group:
                for c in chain:
                    members[c].append(n.id)
        return members, depth

    def pads(self, group_id: str) -> Tuple[float, float]:
        """(side and bottom, top) padding of a group: an outer group is wider, its label above."""
        out = self.deepest - self.depth[group_id]
        return 6 + 8 * out, 16 * (out + 1)

    def _place(self) -> Dict[str, Tuple[float, float, float, float]]:
        rows: Dict[int, List[Node]] = {}
        for n in self.leaves:
            rows.setdefault(self.level[n.id], []).append(n)
        above: Dict[int, float] = {}  # room for the groups that start on a layer, and end on one
        below: Dict[int, float] = {}
        for gid, ids in self.members.items():
            if ids:
                side, top = self.pads(gid)
                first, last = min(self.level[i] for i in ids), max(self.level[i] for i in ids)
                above[first] = max(above.get(first, 0), top)
                below[last] = max(below.get(last, 0), side)
        widths = {lv: sum(_width(n) for n in r) + NODE_GAP * (len(r) - 1) for lv, r in rows.items()}
        widest = max(widths.values(), default=0)
        boxes, y = {}, MARGIN * 2.0
        for lv in sorted(rows):
            y += above.get(lv, 0)
            x = MARGIN * 3 + (widest - widths[lv]) / 2
            for n in rows[lv]:
                boxes[n.id] = (x, y, _width(n), NODE_H)
                x += _width(n) + NODE_GAP
            y += NODE_H + below.get(lv, 0) + LAYER_GAP
        return boxes

    def _rect(self, gid: str) -> Tuple[float, float, float, float]:
        side, top = self.pads(gid)
        inside = [self.boxes[i] for i in self.members[gid]]
        x0 = min(b[0] for b in inside) - side
        y0 = min(b[1] for b in inside) - top
        x1 = max(b[0] + b[2] for b in inside) + side
        y1 = max(b[1] + b[3] for b in inside) + side
        return x0, y0, x1 - x0, y1 - y0


def _edge_svg(e, lay: Layout, red: bool) -> str:
    boxes = lay.boxes
    sx, sy, sw, sh = boxes[e.src]
    dx, dy, dw, _dh = boxes[e.dst]
    x1, y1, x2, y2 = sx + sw / 2, sy + sh, dx + dw / 2, dy
    colour = RED if red else "#555"
    skips = lay.level[e.dst] - lay.level[e.src] > 1
    if skips:  # around the rows in between, on the right
        side = max(x1, x2) + 60 + min(200.0, (y2 - y1) / 8)
        path = f"M{x1:.1f},{y1:.1f} C{side:.1f},{y1 + 40:.1f} {side:.1f},{y2 - 40:.1f} {x2:.1f},{y2:.1f}"
        lx, ly = side - 10, (y1 + y2) / 2
    else:
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + 18:.1f} {x2:.1f},{y2 - 18:.1f} {x2:.1f},{y2:.1f}"
        lx, ly = (x1 + x2) / 2 + 4, (y1 + y2) / 2 + 4
    marker = "arrow-red" if red else "arrow"
    return (f'<path class="edge" d="{path}" fill="none" stroke="{colour}" stroke-width="{2 if red else 1.2}" '
            f'marker-end="url(#{marker})"/>'
            f'<text class="shape" x="{lx:.1f}" y="{ly:.1f}" fill="{colour}" font-size="10">{escape(show_shape(e.shape))}</text>')


def _node_svg(n: Node, box) -> str:
    x, y, w, h = box
    head, shape = _lines(n)
    fill, stroke = ("#fdd", RED) if n.red else (("#eef4ff", "#4a6fa5") if n.kind not in ("op", "input", "output") else ("#f4f4f4", "#777"))
    rx = h / 2 if n.kind in ("input", "output") else (12 if n.kind == "op" else 3)
    dash = ' stroke-dasharray="4 3"' if n.conditional else ""
    title = f"<title>{escape(head)} (line {n.line})</title>" if n.line else ""
    return (f'<g class="node{" error" if n.red else ""}" data-name="{escape(n.name)}">{title}'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" rx="{rx}" fill="{fill}" stroke="{stroke}"'
            f' stroke-width="{2 if n.red else 1}"{dash}/>'
            f'<text x="{x + w / 2:.1f}" y="{y + 16:.1f}" text-anchor="middle" font-size="12">{escape(head)}</text>'
            f'<text x="{x + w / 2:.1f}" y="{y + 30:.1f}" text-anchor="middle" font-size="10" fill="#444">{escape(shape)}</text></g>')


def model_svg(g: ModelGraph) -> str:
    lay = Layout(g)
    boxes, groups = lay.boxes, lay.groups
    parts = []
    for n, (x, y, w, h) in groups:
        stroke = RED if n.red else "#999"
        parts.append(f'<g class="group" data-name="{escape(n.name)}"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                     f'height="{h:.1f}" rx="6" fill="none" stroke="{stroke}" stroke-dasharray="5 4"/>'
                     f'<text x="{x + 6:.1f}" y="{y + 12:.1f}" font-size="10" fill="#666">{escape(n.name)}: {escape(n.kind)}</text></g>')
    parts += [_edge_svg(e, lay, e.red) for e in g.edges if e.src in boxes and e.dst in boxes]
    parts += [_node_svg(n, boxes[n.id]) for n in g.nodes if n.id in boxes]
    rects = list(boxes.values()) + [b for _n, b in groups]
    width = max((x + w for x, _y, w, _h in rects), default=0) + MARGIN * 2 + 260
    height = max((y + h for _x, y, _w, h in rects), default=0) + MARGIN
    x0 = min((x for x, _y, _w, _h in rects), default=0) - MARGIN
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="model" data-model="{escape(g.name)}" '
            f'viewBox="{x0:.0f} 0 {width - x0:.0f} {height:.0f}" width="{width - x0:.0f}" height="{height:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif">'
            f'<defs>{_marker("arrow", "#555")}{_marker("arrow-red", RED)}</defs>'
            f'<text x="{x0 + 10:.0f}" y="22" font-size="15" font-weight="bold">{escape(g.name)}</text>'
            + "".join(parts) + "</svg>")


def _marker(name: str, colour: str) -> str:
    return (f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')


def to_svg(graphs: List[ModelGraph]) -> str:
    """One SVG file: the models one below the other."""
    drawn = [model_svg(g) for g in graphs]
    y, inner, width = 0.0, [], 0.0
    for s in drawn:
        w = float(s.split(' width="', 1)[1].split('"', 1)[0])
        h = float(s.split(' height="', 1)[1].split('"', 1)[0])
        inner.append(s.replace("<svg ", f'<svg x="0" y="{y:.0f}" ', 1))
        y += h + 20
        width = max(width, w)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{y:.0f}" '
            f'viewBox="0 0 {width:.0f} {y:.0f}">' + "".join(inner) + "</svg>\n")


def to_html(graphs: List[ModelGraph], title: str) -> str:
    """A self-contained page: each model's picture and the errors drawn red."""
    sections = []
    for g in graphs:
        errors = "".join(f"<li>{escape(f)}</li>" for f in g.findings)
        listed = f'<ul class="findings">{errors}</ul>' if errors else '<p class="clean">No errors found.</p>'
        sections.append(f'<section><h2>{escape(g.name)}</h2>{listed}<div class="picture">{model_svg(g)}</div></section>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>shapelint graph: {escape(title)}</title>"
            "<style>body{font-family:Helvetica,Arial,sans-serif;margin:1.5em;color:#222}"
            ".findings li{color:#c00}.picture{overflow:auto;border:1px solid #ddd;padding:.5em}</style>"
            f"</head><body><h1>shapelint graph: {escape(title)}</h1>"
            "<p>Shapes are shapelint's, read statically; red marks a row with an error.</p>"
            + "".join(sections) + "</body></html>\n")
