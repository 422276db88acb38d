"""The HTML report's dependency graph: hand-written SVG on the shared layout
(`render/layout.py`), so the labels are real text at a fixed, readable size (the page scrolls
instead of shrinking the picture), every box and edge has a tooltip with the full title and
status, and no matplotlib is needed."""

from __future__ import annotations

import html

from taskctl.render.graph import CRITICAL, FILL, GraphModel
from taskctl.render.layout import Geometry, layout
from taskctl.render.picture import EDGE, label_lines

GEOMETRY = Geometry(box_w=200, box_h=62, col_gap=64, row_gap=14, margin=10)  # pixels
ID_PX, TITLE_PX = 13, 12  # font sizes; a title line holds CHARS characters of TITLE_PX text
CHARS = 27  # 27 x ~0.6 em (a wide sans-serif average) = 194 px <= box_w - padding
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
e = html.escape


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def svg(g: GraphModel, key: str) -> str:
    """One `<svg>` of `g` at its natural size; `key` makes its marker ids unique on the page."""
    lay = layout(g, GEOMETRY)
    nodes = {n.id: n for n in g.nodes}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="depgraph" role="img" '
           f'width="{_num(lay.width)}" height="{_num(lay.height)}" '
           f'viewBox="0 0 {_num(lay.width)} {_num(lay.height)}">',
           "<defs>" + "".join(
               f'<marker id="{key}-{kind}" viewBox="0 0 10 10" refX="10" refY="5" '
               f'markerWidth="{w}" markerHeight="{w}" orient="auto-start-reverse" '
               f'markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
               for kind, c, w in (("arrow", EDGE, 9), ("crit", CRITICAL, 12))) + "</defs>"]
    for r in lay.routes:
        d = [f"M{_num(r.points[0][0])},{_num(r.points[0][1])}"]
        for i, (p, q) in enumerate(zip(r.points, r.points[1:], strict=False)):
            if i % 2:
                d.append(f"L{_num(q[0])},{_num(q[1])}")
            else:  # an S-curve that stays inside the gap between two columns
                mid = (p[0] + q[0]) / 2
                d.append(f"C{_num(mid)},{_num(p[1])} {_num(mid)},{_num(q[1])} "
                         f"{_num(q[0])},{_num(q[1])}")
        colour, width, kind = ((CRITICAL, 2.5, "crit") if r.critical else (EDGE, 1.2, "arrow"))
        cls = "edge critical" if r.critical else "edge"
        out.append(f'<g class="{cls}" data-from="{e(r.a)}" data-to="{e(r.b)}">'
                   f"<title>{e(r.a)} \u2192 {e(r.b)}</title><path d=\"{' '.join(d)}\" "
                   f'fill="none" stroke="{colour}" stroke-width="{width}" '
                   f'marker-end="url(#{key}-{kind})"/></g>')
    for v, bx in lay.boxes.items():
        n = nodes[v]
        fill, stroke = FILL[n.status]
        x0, y0 = bx.x - bx.w / 2, bx.y - bx.h / 2
        dash = ' stroke-dasharray="5 3"' if n.status == "missing" else ""
        tip = f"{v}: {n.title} ({n.status.replace('_', ' ')}"
        tip += ", on the critical path)" if n.critical else ")"
        lines = label_lines(n.title, CHARS, 2)
        top = bx.y - (len(lines) * TITLE_PX * 1.2 + ID_PX * 1.25) / 2 + ID_PX
        text = [f'<text x="{_num(bx.x)}" y="{_num(top)}" class="nid" font-size="{ID_PX}" '
                f'font-weight="700">{e(v)}</text>']
        for k, line in enumerate(lines):
            y = top + ID_PX * 0.25 + (k + 1) * TITLE_PX * 1.2
            text.append(f'<text x="{_num(bx.x)}" y="{_num(y)}" class="ntitle" '
                        f'font-size="{TITLE_PX}">{e(line)}</text>')
        out.append(f'<g class="node{" critical" if n.critical else ""}" data-id="{e(v)}" '
                   f'data-status="{e(n.status)}" text-anchor="middle" font-family="{FONT}">'
                   f'<title>{e(tip)}</title>'
                   f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(bx.w)}" '
                   f'height="{_num(bx.h)}" rx="6" fill="{fill}" '
                   f'stroke="{CRITICAL if n.critical else stroke}" '
                   f'stroke-width="{2.8 if n.critical else 1.2}"{dash}/>' + "".join(text) + "</g>")
    out.append("</svg>")
    return "\n".join(out)
