"""Where the boxes and edges of a dependency graph go: one layout shared by the PNG/SVG picture
(`render/picture.py`) and the HTML report's inline SVGs (`render/html_graph.py`).

Tasks go in columns, left to right by dependency depth; an edge that skips columns gets a dummy
vertex in each column it crosses. igraph's Sugiyama layout (the `graph` extra) orders every
column, boxes and dummies alike, to reduce crossings and places them; each column is then packed
(a dummy needs a third of a box's slot). Each edge is routed through its dummies' slots, so
every piece of it runs either in the gap between two columns or straight across a column along
a slot no box occupies: no edge passes under a box. Tasks with no dependency either way sit in
a grid below.
"""

from __future__ import annotations

from dataclasses import dataclass

from taskctl.errors import UsageError
from taskctl.render.graph import GraphModel

Point = tuple[float, float]
DUMMY_HALF = 1 / 6  # half the height, in slots, of an edge passing through a column
SQUEEZE = 0.6  # igraph's placement scaled by this before packing: the picture gets shorter


@dataclass(frozen=True)
class Box:
    """A task's box: centre (x, y), y grows downwards; width w, height h."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Route:
    """An edge from dependency `a` to dependent `b`. `points` alternate between gap pieces
    (even index -> next: inside the gap between two columns; draw as a curve or a line) and
    column crossings (odd index -> next: a straight run along a free slot)."""

    a: str
    b: str
    critical: bool
    points: list[Point]


@dataclass
class Layout:
    boxes: dict[str, Box]
    routes: list[Route]
    width: float
    height: float
    loose_top: float | None  # y where the grid of unconnected tasks starts (None: none)


@dataclass(frozen=True)
class Geometry:
    """Sizes in the drawer's unit (inches for matplotlib, pixels for SVG)."""

    box_w: float
    box_h: float
    col_gap: float  # between columns, where edges bend
    row_gap: float  # between slots of one column; a slot holds a box or an edge passing by
    margin: float


def layers(ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Column of each task of an acyclic graph: longest path from the start, then tasks without
    dependencies moved right next to their first dependent (fewer long edges)."""
    import networkx as nx

    dg = nx.DiGraph()
    dg.add_nodes_from(ids)
    dg.add_edges_from(edges)
    level: dict[str, int] = {}
    for v in nx.topological_sort(dg):
        level[v] = max((level[u] + 1 for u in dg.predecessors(v)), default=0)
    for v in dg:
        if dg.in_degree(v) == 0 and dg.out_degree(v):
            level[v] = min(level[s] for s in dg.successors(v)) - 1
    return level


def layout(g: GraphModel, geo: Geometry) -> Layout:
    """Place every node of `g` and route every edge (see the module docstring)."""
    try:
        import igraph
    except ImportError:
        raise UsageError("drawing the dependency graph needs igraph",
                         "pip install 'taskctl[graph]' (or pip install igraph), "
                         "or use --format mermaid|dot") from None
    linked = {v for a, b, _ in g.edges for v in (a, b)}
    ids = [n.id for n in g.nodes if n.id in linked]
    index = {v: i for i, v in enumerate(ids)}
    pairs = [(a, b) for a, b, _ in g.edges]
    # a cycle (bad input, still drawn): reverse a small set of edges that breaks every cycle
    ig = igraph.Graph(n=len(ids), edges=[(index[a], index[b]) for a, b in pairs], directed=True)
    flip = set() if ig.is_dag() else set(ig.feedback_arc_set(method="eades"))
    forward = [(b, a) if k in flip else (a, b) for k, (a, b) in enumerate(pairs)]
    level = layers(ids, forward)
    # one dummy vertex per column an edge skips: igraph orders and places them like boxes,
    # so a long edge gets a slot of its own in every column it crosses
    chains, vlevel = [], [level[v] for v in ids]
    for u, v in forward:
        dummies = range(len(vlevel), len(vlevel) + level[v] - level[u] - 1)
        vlevel += range(level[u] + 1, level[v])
        chains.append([index[u], *dummies, index[v]])
    ext = igraph.Graph(n=len(vlevel), directed=True,
                       edges=[p for c in chains for p in zip(c, c[1:], strict=False)])
    coords = _stacked(ext, vlevel, {n.id for n in g.nodes if n.critical}, ids)
    col_pitch, row_pitch = geo.box_w + geo.col_gap, geo.box_h + geo.row_gap

    def at(k: int) -> Point:
        pos, layer = coords[k]
        return (geo.margin + geo.box_w / 2 + layer * col_pitch,
                geo.margin + pos * row_pitch - geo.row_gap / 2)  # a slot: box and gap

    boxes = {v: Box(*at(i), geo.box_w, geo.box_h) for v, i in index.items()}
    routes = []
    for k, ((a, b, crit), chain) in enumerate(zip(g.edges, chains, strict=True)):
        s = -1 if k in flip else 1  # -1: drawn right to left, into b's right side
        half = s * geo.box_w / 2
        pts = [(boxes[a].x + half, boxes[a].y)]
        for x, y in (at(d) for d in (chain[1:-1] if s > 0 else chain[-2:0:-1])):
            pts += [(x - half, y), (x + half, y)]
        routes.append(Route(a, b, crit, [*pts, (boxes[b].x - half, boxes[b].y)]))
    routes = _spread_ports(routes, geo.box_h)
    width = max((bx.x + bx.w / 2 for bx in boxes.values()), default=0.0) + geo.margin
    height = max([bx.y + bx.h / 2 for bx in boxes.values()]  # dummies may lie below boxes
                 + [y + geo.box_h / 2 for r in routes for _, y in r.points], default=0.0
                 ) + geo.margin
    loose = [n.id for n in g.nodes if n.id not in linked]
    top = None
    if loose:
        top = height + (geo.row_gap if boxes else 0.0)
        per_row = max(1, round((width - geo.margin) / col_pitch)) if boxes else min(len(loose), 6)
        for k, v in enumerate(loose):
            r, c = divmod(k, per_row)
            boxes[v] = Box(geo.margin + geo.box_w / 2 + c * col_pitch,
                           top + geo.margin + geo.box_h / 2 + r * row_pitch, geo.box_w, geo.box_h)
        width = max(width, geo.margin + min(len(loose), per_row) * col_pitch - geo.col_gap
                    + geo.margin)
        height = max(bx.y + bx.h / 2 for bx in boxes.values()) + geo.margin
    return Layout(boxes, routes, width, height, top)


def _stacked(ext, vlevel: list[int], critical: set[str], ids: list[str]) -> list[Point]:
    """igraph's Sugiyama layout of each connected group on its own (igraph 1.0 may put boxes of
    different groups on one spot), stacked top to bottom: the critical path's group first,
    then the biggest. Returns (position in column, column) per vertex; positions from 0."""
    coords: list[Point] = [(0.0, 0.0)] * ext.vcount()
    groups = sorted(ext.connected_components(mode="weak"), key=lambda m: (
        not any(i < len(ids) and ids[i] in critical for i in m), -len(m), m[0]))
    top = 0.0
    for members in groups:
        sub = ext.induced_subgraph(members)  # keeps the members' order
        got = _separated(sub.layout_sugiyama(layers=[vlevel[i] for i in members]).coords,
                         [i >= len(ids) for i in members])
        half = [0.5 if i < len(ids) else DUMMY_HALF for i in members]
        low = min(p - h for (p, _), h in zip(got, half, strict=True))
        for i, (p, layer) in zip(members, got, strict=True):
            coords[i] = (top + p - low, layer)
        top += max(p + h for (p, _), h in zip(got, half, strict=True)) - low
    return coords


def _separated(coords: list[list[float]], dummy: list[bool]) -> list[Point]:
    """Each column in igraph's order, packed: a box takes one slot, an edge passing by (a dummy)
    a third of one, and each column keeps as close as it can to igraph's placement, scaled by
    SQUEEZE (least squares under the spacing constraints: pool adjacent violators). igraph alone
    leaves a whole slot per passing edge and can put neighbours half a slot apart."""
    half = [DUMMY_HALF if d else 0.5 for d in dummy]
    out = [(p, layer) for p, layer in coords]
    by_layer: dict[float, list[int]] = {}
    for i, (_, layer) in enumerate(out):
        by_layer.setdefault(layer, []).append(i)
    for idx in by_layer.values():
        idx.sort(key=lambda i: out[i][0])
        offset = [0.0]  # each item's least distance below the first one
        for prev, i in zip(idx, idx[1:], strict=False):
            offset.append(offset[-1] + half[prev] + half[i])
        blocks: list[list[float]] = []  # [sum of targets, count] of runs pinned together
        for k, i in enumerate(idx):
            blocks.append([out[i][0] * SQUEEZE - offset[k], 1])
            while len(blocks) > 1 and (blocks[-2][0] / blocks[-2][1]
                                       > blocks[-1][0] / blocks[-1][1]):
                total, n = blocks.pop()
                blocks[-1][0] += total
                blocks[-1][1] += n
        k = 0
        for total, n in blocks:
            for _ in range(int(n)):
                out[idx[k]] = (total / n + offset[k], out[idx[k]][1])
                k += 1
    return out


def _spread_ports(routes: list[Route], box_h: float) -> list[Route]:
    """Several edges leaving (or entering) one box side start at different heights, ordered
    by where they head, so they neither merge into one line nor cross at the box."""
    outs: dict[str, list[int]] = {}
    ins: dict[str, list[int]] = {}
    for i, r in enumerate(routes):
        outs.setdefault(r.a, []).append(i)
        ins.setdefault(r.b, []).append(i)
    pts = [list(r.points) for r in routes]
    for group, end, toward in ((outs, 0, 1), (ins, -1, -2)):
        for idx in group.values():
            idx.sort(key=lambda i: (routes[i].points[toward][1], routes[i].points[toward][0]))
            for k, i in enumerate(idx):
                off = 0.0 if len(idx) < 2 else box_h * 0.6 * (k / (len(idx) - 1) - 0.5)
                x, y = pts[i][end]
                pts[i][end] = (x, y + off)
    return [Route(r.a, r.b, r.critical, p) for r, p in zip(routes, pts, strict=True)]
