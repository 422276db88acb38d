"""Geometry for the graph-picture tests: read the boxes and edge lines back out of a drawn SVG
(whatever drew it: only colours and shapes are used, no ids), flatten curves, and find edge
pieces that pass through a box other than the edge's own two ends."""

from __future__ import annotations

import random
import re
from pathlib import Path

from taskctl.render.graph import CRITICAL, FILL

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (y down)
Point = tuple[float, float]
EDGE_STROKES = {"#9e9e9e", CRITICAL.lower()}
BOX_FILLS = {fill.lower() for fill, _ in FILL.values()}
_NUM = re.compile(r"[A-Za-z]|-?\d+(?:\.\d+)?(?:e-?\d+)?")


def flatten(d: str, steps: int = 16) -> list[Point]:
    """The points of an SVG path made of absolute M/L/H/V/Q/C/Z commands, curves sampled."""
    toks = _NUM.findall(d)
    pts: list[Point] = []
    i, cmd = 0, "M"
    while i < len(toks):
        if toks[i].isalpha():
            cmd = toks[i]
            i += 1
            if cmd in "Zz":
                if pts:
                    pts.append(pts[0])
                continue
        nums = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "C": 6}[cmd]
        v = [float(t) for t in toks[i:i + nums]]
        i += nums
        last = pts[-1] if pts else (0.0, 0.0)
        if cmd in "ML":
            pts.append((v[0], v[1]))
        elif cmd == "H":
            pts.append((v[0], last[1]))
        elif cmd == "V":
            pts.append((last[0], v[0]))
        else:
            ctrl = [last, *zip(v[::2], v[1::2], strict=True)]
            pts += [_bezier(ctrl, k / steps) for k in range(1, steps + 1)]
    return pts


def _bezier(ctrl: list[Point], t: float) -> Point:
    while len(ctrl) > 1:
        ctrl = [((1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1])
                for a, b in zip(ctrl, ctrl[1:], strict=False)]
    return ctrl[0]


def _style(attrs: str) -> dict[str, str]:
    m = re.search(r'style="([^"]*)"', attrs)
    pairs = (p.split(":", 1) for p in (m.group(1).split(";") if m else []) if ":" in p)
    out = {k.strip(): v.strip().lower() for k, v in pairs}
    for k in ("fill", "stroke"):  # attributes as well as style
        a = re.search(rf'\b{k}="([^"]*)"', attrs)
        if a and k not in out:
            out[k] = a.group(1).lower()
    return out


def read_svg(text: str) -> tuple[list[Rect], list[list[Point]]]:
    """(task boxes, edge lines) of a drawn graph: boxes are stroked paths or rects filled with a
    status colour and bigger than a legend swatch; edge lines are unfilled strokes in the edge
    colours (arrow heads are filled, so left out)."""
    boxes, edges = [], []
    for attrs in re.findall(r"<path\b([^>]*)/?>", text, flags=re.S):
        d = re.search(r'\bd="([^"]*)"', attrs, flags=re.S)
        st = _style(attrs)
        if not d or "stroke" not in st:
            continue
        pts = flatten(d.group(1))
        if st.get("fill") == "none" and st["stroke"] in EDGE_STROKES:
            edges.append(pts)
        elif st.get("fill") in BOX_FILLS:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if max(xs) - min(xs) > 40 and max(ys) - min(ys) > 20:
                boxes.append((min(xs), min(ys), max(xs), max(ys)))
    for attrs in re.findall(r"<rect\b([^>]*)/?>", text, flags=re.S):
        st = _style(attrs)
        if "stroke" in st and st.get("fill") in BOX_FILLS:
            x, y, w, h = (float(re.search(rf'\b{k}="([^"]*)"', attrs).group(1))
                          for k in ("x", "y", "width", "height"))
            boxes.append((x, y, x + w, y + h))
    return boxes, edges


def _dist(p: Point, r: Rect) -> float:
    dx = max(r[0] - p[0], 0.0, p[0] - r[2])
    dy = max(r[1] - p[1], 0.0, p[1] - r[3])
    return (dx * dx + dy * dy) ** 0.5


def crosses(p: Point, q: Point, r: Rect) -> bool:
    """Whether segment p-q enters the inside of rectangle r (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for num, den in ((p[0] - r[0], -dx), (r[2] - p[0], dx), (p[1] - r[1], -dy), (r[3] - p[1], dy)):
        if den == 0:
            if num < 0:
                return False
            continue
        t = num / den
        if den < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-9


def edges_under_boxes(boxes: list[Rect], edges: list[list[Point]], slack: float = 2.0
                      ) -> list[tuple[Point, Point, Rect]]:
    """Every edge piece that passes through a box which is neither end of its edge (the ends are
    the boxes nearest its first and last points); boxes shrink by `slack` for line widths."""
    bad = []
    for pts in edges:
        ends = {min(range(len(boxes)), key=lambda i, p=p: _dist(p, boxes[i]))
                for p in (pts[0], pts[-1])}
        for i, r in enumerate(boxes):
            inner = (r[0] + slack, r[1] + slack, r[2] - slack, r[3] - slack)
            if i in ends:
                continue
            bad += [(p, q, r) for p, q in zip(pts, pts[1:], strict=False) if crosses(p, q, inner)]
    return bad


def write_random_dag(root: Path, n: int, seed: int) -> dict[str, list[str]]:
    """A .tasks tree of `n` tasks with random dependencies, many of them skipping layers."""
    rng = random.Random(seed)
    deps = {}
    statuses = ["pending", "completed", "in_progress", "blocked"]
    (root / "tasks").mkdir(parents=True)
    (root / "manifest.json").write_text('{"project": {"name": "random"}}\n')
    for i in range(n):
        tid = f"R{i:02d}"
        deps[tid] = sorted({f"R{j:02d}" for j in rng.sample(range(i), min(i, rng.randint(0, 3)))})
        (root / "tasks" / f"{tid}.yaml").write_text(
            f"---\nid: {tid}\ntitle: \"random task {i} with a longer title to wrap\"\n"
            f"status: {rng.choice(statuses)}\nestimated_hours: {rng.randint(1, 5)}\n"
            f"depends_on: [{', '.join(deps[tid])}]\n---\n\n## Description\n\nrandom\n")
    return deps
