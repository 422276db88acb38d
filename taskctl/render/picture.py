"""PNG/SVG of the dependency graph, drawn with matplotlib (imported lazily; the `training`
extra installs it). Layered left-to-right layout by topological generation, boxes coloured by
status, the critical path in thick red, a legend of the statuses present."""

from __future__ import annotations

import textwrap
from pathlib import Path

from taskctl.errors import UsageError
from taskctl.render.graph import CRITICAL, FILL, GraphModel, layers

COL_W, ROW_H = 3.0, 1.1  # inches per layer / per node row: room for two 22-char label lines


def draw(g: GraphModel, path: Path, fmt: str) -> None:
    """Write the picture of `g` to `path` in `fmt` (png or svg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
    except ImportError:
        raise UsageError("drawing PNG/SVG needs matplotlib",
                         "pip install 'taskctl[training]' (or pip install matplotlib), "
                         "or use --format mermaid|dot") from None
    cols = layers(g)
    rows = max((len(c) for c in cols), default=1)
    width, height = max(4.0, COL_W * len(cols) + 0.5), max(2.5, ROW_H * rows + 1.2)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(-0.5, len(cols) * COL_W - COL_W + 2.6)
    ax.set_ylim(-rows * ROW_H - 0.1, 0.5)
    ax.axis("off")
    nodes = {n.id: n for n in g.nodes}
    box_w, box_h = 2.3, 0.78
    centre = {}
    for i, col in enumerate(cols):
        offset = (rows - len(col)) * ROW_H / 2  # centre short layers vertically
        for j, v in enumerate(col):
            centre[v] = (i * COL_W + box_w / 2, -(offset + j * ROW_H + ROW_H / 2))
    outs = {v: sorted((b for a, b, _ in g.edges if a == v), key=lambda b: -centre[b][1])
            for v in centre}
    ins = {v: sorted((a for a, b, _ in g.edges if b == v), key=lambda a: -centre[a][1])
           for v in centre}
    for a, b, crit in g.edges:
        (xa, ya), (xb, yb) = centre[a], centre[b]
        # spread several arrows over the box side so they do not merge into one
        ya += _port(outs[a].index(b), len(outs[a]), box_h)
        yb += _port(ins[b].index(a), len(ins[b]), box_h)
        ax.add_patch(FancyArrowPatch(
            (xa + box_w / 2, ya), (xb - box_w / 2, yb), arrowstyle="-|>", mutation_scale=14,
            color=CRITICAL if crit else "#9e9e9e", lw=2.6 if crit else 1.1,
            connectionstyle="arc3,rad=0.0", zorder=1 if not crit else 2))
    for v, (x, y) in centre.items():
        n = nodes[v]
        fill, stroke = FILL[n.status]
        ax.add_patch(FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2), box_w, box_h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=fill, edgecolor=CRITICAL if n.critical else stroke,
            lw=2.8 if n.critical else 1.2, ls="--" if n.status == "missing" else "-", zorder=3))
        title = "\n".join(textwrap.wrap(_short(n.title), 24)[:2])
        ax.text(x, y + 0.17, v, ha="center", va="center", fontsize=10, weight="bold", zorder=4)
        ax.text(x, y - 0.13, title, ha="center", va="center", fontsize=7.5, zorder=4,
                color="#212121", linespacing=1.1)
    present = sorted({n.status for n in g.nodes})
    handles = [Patch(facecolor=FILL[s][0], edgecolor=FILL[s][1], label=s.replace("_", " "))
               for s in present]
    if g.schedule.path:
        handles.append(Patch(facecolor="white", edgecolor=CRITICAL, lw=2.5,
                             label=f"critical path ({g.schedule.total:g} {g.schedule.weight})"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 1.0), ncol=min(4, len(handles)),
              fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format=fmt, dpi=110)
    plt.close(fig)


def _port(i: int, n: int, box_h: float) -> float:
    """Vertical offset of the i-th of n arrow ends on a box side (top first)."""
    return 0.0 if n < 2 else (box_h * 0.6) * (0.5 - i / (n - 1))


def _short(title: str) -> str:
    """Drop a leading 'Area - ' prefix when the title is long; the id already identifies it."""
    if len(title) > 24 and " - " in title:
        return title.split(" - ", 1)[1]
    return title
