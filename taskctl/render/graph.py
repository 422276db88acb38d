"""Dependency graph as text: Mermaid (GitHub renders it), Graphviz DOT, a Mermaid Gantt chart
of the CPM schedule; and the node/edge model that the pictures (`render/picture.py`, the HTML
report) draw on the shared layout of `render/layout.py` (no graphviz binary needed).

Statuses are coloured; the critical path's tasks and edges are drawn thick and red.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taskctl.core.model import Backlog
from taskctl.core.order import by_id, natural_key
from taskctl.core.plan.cpm import Schedule
from taskctl.core.status import TaskStatus

MISSING = "missing"  # a dependency with no task
FILL = {  # status -> (fill, border)
    TaskStatus.COMPLETED: ("#c8e6c9", "#2e7d32"), TaskStatus.CANCELLED: ("#eeeeee", "#9e9e9e"),
    TaskStatus.IN_PROGRESS: ("#bbdefb", "#1565c0"), TaskStatus.PENDING: ("#ffffff", "#616161"),
    TaskStatus.BLOCKED: ("#ffcdd2", "#c62828"), TaskStatus.DEFERRED: ("#e1bee7", "#6a1b9a"),
    TaskStatus.COMPLETED_UNVERIFIED: ("#fff9c4", "#f9a825"), MISSING: ("#fafafa", "#bdbdbd"),
}
CRITICAL = "#d32f2f"


@dataclass
class Node:
    id: str
    title: str
    status: str  # a task status, or "missing" for a dependency with no task
    critical: bool


@dataclass
class GraphModel:
    nodes: list[Node]
    edges: list[tuple[str, str, bool]]  # (dependency, dependent, on the critical path)
    schedule: Schedule


def model(bl: Backlog, sched: Schedule) -> GraphModel:
    on_path = set(sched.path)
    pairs = set(zip(sched.path, sched.path[1:], strict=False))
    nodes = [Node(t.id, t.title, t.status, t.id in on_path) for _, t in by_id(bl.tasks)]
    missing = sorted({d for t in bl.tasks.values() for d in t.depends_on if d not in bl.tasks},
                     key=natural_key)
    nodes += [Node(m, TaskStatus.DEFERRED if m in bl.deferred else MISSING, MISSING, False)
              for m in missing]
    edges = sorted({(d, t.id, (d, t.id) in pairs) for t in bl.tasks.values()
                    for d in t.depends_on if d != t.id})
    return GraphModel(nodes, edges, sched)


def _mid(s: str) -> str:
    """A Mermaid-safe node id (ids like `T-1.2` or `end` would break the syntax), one per
    task id: `_` is written `__`, another character `_` and its hex code (`api-1` ->
    `n_api_2d1`, `api.1` -> `n_api_2e1`, `api_1` -> `n_api__1`)."""
    return "n_" + re.sub(r"[^A-Za-z0-9]", _escaped, s)


def _escaped(m: re.Match) -> str:
    c = m.group(0)
    return "__" if c == "_" else f"_{ord(c):02x}" if ord(c) < 256 else f"_u{ord(c):x}_"


def _mlabel(s: str) -> str:
    return s.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(g: GraphModel) -> str:
    out = ["flowchart LR"] + ([] if g.nodes else ["    %% no tasks"])
    for n in g.nodes:
        label = f"{n.id}<br/>{_mlabel(n.title)}" if n.title else n.id
        out.append(f'    {_mid(n.id)}["{label}"]:::{n.status}')
    crit_links = []
    for i, (a, b, crit) in enumerate(g.edges):
        out.append(f"    {_mid(a)} {'==>' if crit else '-->'} {_mid(b)}")
        if crit:
            crit_links.append(str(i))
    for status, (fill, stroke) in FILL.items():
        dash = ",stroke-dasharray:4 3" if status == "missing" else ""
        out.append(f"    classDef {status} fill:{fill},stroke:{stroke},color:#212121{dash}")
    out.append(f"    classDef critical stroke:{CRITICAL},stroke-width:3px")
    crit = [_mid(n.id) for n in g.nodes if n.critical]
    if crit:
        out.append(f"    class {','.join(crit)} critical")
    if crit_links:
        out.append(f"    linkStyle {','.join(crit_links)} stroke:{CRITICAL},stroke-width:3px")
    return "\n".join(out) + "\n"


def _dq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(g: GraphModel) -> str:
    out = ["digraph tasks {", "    rankdir=LR;",
           '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
           '    edge [color="#757575"];'] + ([] if g.nodes else ["    // no tasks"])
    for n in g.nodes:
        fill, stroke = FILL[n.status]
        label = f"{n.id}\n{n.title}" if n.title else n.id
        attrs = [f"label={_dq(label)}",
                 f'fillcolor="{fill}"', f'color="{CRITICAL if n.critical else stroke}"',
                 f'tooltip={_dq(n.status)}']
        if n.critical:
            attrs.append("penwidth=3")
        if n.status == "missing":
            attrs.append('style="rounded,dashed"')
        out.append(f"    {_dq(n.id)} [{', '.join(attrs)}];")
    for a, b, crit in g.edges:
        extra = f' [color="{CRITICAL}", penwidth=3]' if crit else ""
        out.append(f"    {_dq(a)} -> {_dq(b)}{extra};")
    out.append("}")
    return "\n".join(out) + "\n"


def gantt(bl: Backlog, sched: Schedule) -> str:
    """Mermaid Gantt of the CPM schedule; 1 weight unit = 1 second on a `dateFormat X` axis."""
    unit = {"hours": "hours", "tokens": "tokens", "count": "tasks"}[sched.weight]
    out = ["gantt", f"    title Remaining work, earliest start (unit: {unit}, total "
           f"{sched.total:g})", "    dateFormat X", "    axisFormat %s"]
    on_path = set(sched.path)
    groups = [("Critical path", [t for t in sched.path if t in sched.tasks]),
              ("Other work", sorted((t for t in sched.tasks if t not in on_path),
                                    key=lambda t: (sched.tasks[t].earliest_start, natural_key(t))))]
    for name, ids in groups:
        if not ids:
            continue
        out.append(f"    section {name}")
        for tid in ids:
            tm = sched.tasks[tid]
            title = re.sub(r"[:#;]", " ", f"{tid} {bl.tasks[tid].title}").strip()
            tags = ["crit"] if tid in on_path else []
            if bl.tasks[tid].status == TaskStatus.IN_PROGRESS:
                tags.append("active")
            end = tm.earliest_finish if tm.weight > 0 else tm.earliest_start + 0.001
            out.append(f"    {title} :{', '.join([*tags, _mid(tid)])}, "
                       f"{round(tm.earliest_start, 3):g}, {round(end, 3):g}")
    return "\n".join(out) + "\n"
