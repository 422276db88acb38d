"""PNG/SVG of the dependency graph: the shared layered layout (`render/layout.py`, igraph)
drawn with matplotlib, both imported lazily (the `graph` extra installs them). Boxes are
coloured by status, the critical path is thick and red, a legend names the statuses present.
An empty backlog gives a small picture that says so."""

from __future__ import annotations

import io
import textwrap

from taskctl.errors import UsageError
from taskctl.render.graph import CRITICAL, FILL, GraphModel
from taskctl.render.layout import Geometry, Layout, layout

GEOMETRY = Geometry(box_w=2.3, box_h=0.72, col_gap=0.95, row_gap=0.26, margin=0.2)  # inches
LEGEND_H = 0.5  # inches above the graph
EDGE = "#9e9e9e"


def draw(g: GraphModel, fmt: str) -> bytes:
    """The picture of `g` as PNG or SVG bytes (`fmt`: png|svg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("drawing PNG/SVG needs matplotlib",
                         "pip install 'taskctl[graph]' (or pip install matplotlib), "
                         "or use --format mermaid|dot") from None
    lay = layout(g, GEOMETRY)
    width, height = max(lay.width, 4.0), max(lay.height, 1.0)
    fig = plt.figure(figsize=(width, height + LEGEND_H))
    ax = fig.add_axes((0, 0, 1, height / (height + LEGEND_H)))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # y grows downwards, as in the layout
    ax.axis("off")
    _edges(ax, lay)
    _boxes(ax, lay, {n.id: n for n in g.nodes})
    if lay.loose_top is not None and lay.routes:
        ax.text(GEOMETRY.margin, lay.loose_top + GEOMETRY.margin * 0.4,
                "no dependencies either way", fontsize=8, color="#616161", va="center")
    if not g.nodes:
        ax.text(width / 2, height / 2, "no tasks", ha="center", va="center", fontsize=12,
                color="#616161")
    _legend(fig, g)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "taskctl"}):  # the same bytes for the same graph
        fig.savefig(buf, format=fmt, dpi=100 if fmt == "png" else 72,
                    metadata={"Software": None} if fmt == "png" else {"Date": None})
    plt.close(fig)
    return _palette(buf.getvalue()) if fmt == "png" else buf.getvalue()


def _palette(png: bytes) -> bytes:
    """The PNG with a 128-colour palette: a diagram has few colours, and the file shrinks ~3x
    (Pillow comes with matplotlib)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="png", optimize=True)
    return out.getvalue()


def _edges(ax, lay: Layout) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MPath

    for r in lay.routes:
        verts, codes = [r.points[0]], [MPath.MOVETO]
        for i, (p, q) in enumerate(zip(r.points, r.points[1:], strict=False)):
            if i % 2:  # across a column, along a free slot
                verts.append(q)
                codes.append(MPath.LINETO)
            else:  # in the gap: an S-curve with horizontal ends, inside the gap
                dx = (q[0] - p[0]) / 2
                verts += [(p[0] + dx, p[1]), (q[0] - dx, q[1]), q]
                codes += [MPath.CURVE4] * 3
        ax.add_patch(FancyArrowPatch(
            path=MPath(verts, codes), arrowstyle="-|>", mutation_scale=12, shrinkA=0, shrinkB=0,
            color=CRITICAL if r.critical else EDGE, lw=2.4 if r.critical else 1.0,
            zorder=2 if r.critical else 1, gid=f"edge {r.a} -> {r.b}"))


def _boxes(ax, lay: Layout, nodes: dict) -> None:
    from matplotlib.patches import FancyBboxPatch

    for v, bx in lay.boxes.items():
        n = nodes[v]
        fill, stroke = FILL[n.status]
        ax.add_patch(FancyBboxPatch(
            (bx.x - bx.w / 2, bx.y - bx.h / 2), bx.w, bx.h,
            boxstyle="round,pad=0,rounding_size=0.07", facecolor=fill,
            edgecolor=CRITICAL if n.critical else stroke, lw=2.6 if n.critical else 1.1,
            ls="--" if n.status == "missing" else "-", zorder=3, gid=f"task {v}"))
        lines = label_lines(n.title, 26, 2)
        ax.text(bx.x, bx.y - bx.h / 2 + 0.15, v, ha="center", va="center", fontsize=11,
                weight="bold", zorder=4)
        ax.text(bx.x, bx.y + 0.1, "\n".join(lines), ha="center", va="center", fontsize=9.5,
                zorder=4, color="#212121", linespacing=1.1)


def _legend(fig, g: GraphModel) -> None:
    from matplotlib.patches import Patch

    present = sorted({n.status for n in g.nodes})
    handles = [Patch(facecolor=FILL[s][0], edgecolor=FILL[s][1], label=s.replace("_", " "))
               for s in present]
    if g.schedule.path:
        handles.append(Patch(facecolor="white", edgecolor=CRITICAL, lw=2.5,
                             label=f"critical path ({g.schedule.total:g} {g.schedule.weight})"))
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.005, 0.995),
                   ncol=len(handles), fontsize=9, frameon=False)


def label_lines(title: str, width: int, lines: int) -> list[str]:
    """The title wrapped to `lines` lines of `width` characters, the last one cut with an
    ellipsis when it does not fit; a leading 'Area - ' is dropped when the title is long (the
    id already says which task it is)."""
    if len(title) > width and " - " in title:
        title = title.split(" - ", 1)[1]
    out = textwrap.wrap(title, width, break_long_words=True) or [""]
    if len(out) > lines:
        rest = " ".join(out[lines - 1:])
        out = [*out[:lines - 1], rest[:width - 1].rstrip() + "\u2026"]
    return out
