"""The static HTML report: one self-contained page (inline CSS, JS, SVG and PNG data URIs; no
network), readable straight from disk. The graph needs igraph and the run curves matplotlib
(both imported lazily); without them the page says so and keeps the rest."""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import UTC, datetime

from taskctl import __version__
from taskctl.core.model import Backlog
from taskctl.core.plan import cpm
from taskctl.core.report import ReportData, Run
from taskctl.core.status import TaskStatus
from taskctl.errors import UsageError
from taskctl.render.graph import FILL
from taskctl.render.html_assets import CSS, JS

e = html.escape


def _script_json(data) -> str:
    """JSON safe inside <script>: no `</` can close the element early."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def graph_svgs(bl: Backlog) -> tuple[list[str], list[str]]:
    """The dependency graph as inline SVGs, one per connected group of tasks (a forest of
    small trees reads better than one very tall picture), critical path first and in red.
    Returns (svgs, ids of tasks with no dependency either way)."""
    import networkx as nx

    from taskctl.render import graph, html_graph

    g = graph.model(bl, cpm.schedule(bl, "auto"))
    ug = nx.Graph()
    ug.add_nodes_from(n.id for n in g.nodes)
    ug.add_edges_from((a, b) for a, b, _ in g.edges)
    crit = {n.id for n in g.nodes if n.critical}
    comps = sorted(nx.connected_components(ug), key=lambda c: (not c & crit, -len(c), min(c)))
    svgs, alone = [], []
    for comp in comps:
        if len(comp) == 1:
            alone.extend(comp)
            continue
        sub = graph.GraphModel([n for n in g.nodes if n.id in comp],
                               [x for x in g.edges if x[0] in comp], g.schedule)
        svgs.append(html_graph.svg(sub, f"g{len(svgs)}"))
    return svgs, sorted(alone)


def runs_png(runs: list[Run]) -> str:
    """Loss curves (left) and throughput (right) of every run, as a PNG data URI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    for r in runs:
        if r.steps:
            (line,) = ax1.plot(r.steps, r.loss, lw=1.2, label=f"{r.name} train")
            colour = line.get_color()
        else:
            colour = None
        if r.val_steps:
            ax1.plot(r.val_steps, r.val_loss, "o--", ms=3, lw=1, color=colour,
                     label=f"{r.name} val")
        if r.tps_steps:
            ax2.plot(r.tps_steps, r.tokens_per_sec, lw=1.2, color=colour, label=r.name)
    ax1.set(xlabel="step", ylabel="loss (nats/token)", title="Loss", yscale="log")
    ax2.set(xlabel="step", ylabel="tokens/s", title="Throughput")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _graph_section(bl: Backlog, data: ReportData) -> str:
    path = " \u2192 ".join(data.critical_path) or "(no remaining work)"
    head = (f"<p>Critical path ({e(f'{cpm.num(data.critical_total)}')} {e(data.weight)}): "
            f"<span class='path crit' id='critical-path'>{e(path)}</span></p>")
    if data.graph_note:
        return head + f"<p class='note'>Graph not drawn: {e(data.graph_note)}.</p>"
    try:
        svgs, alone = graph_svgs(bl)
    except UsageError as err:  # igraph (the `graph` extra) is not installed
        return head + f"<p class='note'>Graph not drawn: {e(err.message)} ({e(err.hint)}).</p>"
    parts = "".join(f"<div class='comp'>{svg}</div>" for svg in svgs)
    tail = (f"<p class='muted'>No dependencies either way ({len(alone)}): "
            f"{e(', '.join(alone))}</p>" if alone else "")
    tools = ("<p class='muted'><label><input type='checkbox' id='graph-fit'> fit the pictures "
             "to the page</label> (labels at full size otherwise; hover a box for its full "
             "title)</p>") if svgs else ""
    return head + tools + f"<div class='graph' id='graph'>{parts}</div>" + tail


def _runs_section(data: ReportData) -> str:
    if not data.runs:
        return "<p class='note'>No training runs found (runs/*/metrics.jsonl).</p>"
    rows = []
    for r in data.runs:
        d = r.to_dict()
        tps = d["median_tokens_per_sec"]
        rows.append(
            f"<tr class='run' data-run='{e(r.name)}'><td>{e(r.name)}</td>"
            f"<td class='num'>{d['steps']}</td><td class='num'>{_f(d['final_loss'])}</td>"
            f"<td class='num'>{_f(d['best_val_loss'])}</td>"
            f"<td class='num'>{'' if tps is None else f'{tps:,.0f}'}</td></tr>")
    try:
        img = f"<img class='curve' alt='loss and throughput curves' src='{runs_png(data.runs)}'>"
    except ImportError:
        img = "<p class='note'>Curves not drawn: matplotlib is not installed.</p>"
    return (img + "<table><thead><tr><th>run</th><th class='num'>steps</th>"
            "<th class='num'>final loss</th><th class='num'>best val loss</th>"
            "<th class='num'>median tokens/s</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _f(v) -> str:
    return "" if v is None else f"{v:.4f}"


def render(bl: Backlog, data: ReportData) -> str:
    name = (bl.manifest.data.get("project") or {}).get("name") if bl.manifest and isinstance(
        bl.manifest.data.get("project"), dict) else None
    title = f"{name or bl.repo_root.name}: taskctl report"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # [fill, border, progress-bar colour]: a pending bar in grey, not the border's near-black
    colours = {s: [*c, "#cfd8dc" if s == TaskStatus.PENDING else c[1]] for s, c in FILL.items()}
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="taskctl {e(__version__)}">
<title>{e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><h1>{e(title)}</h1>
<p>{data.total} task(s) · {data.counts.get('proven', 0)} proven by fresh evidence ·
generated {e(now)} by taskctl {e(__version__)}</p></header>
<main>
<noscript><p class="note">The board and the task table need JavaScript.</p></noscript>
<section id="board"><h2>Status board</h2>
<div class="cards" id="board-cards"></div>
<h3>By phase and milestone</h3>
<table><thead><tr id="groups-head"></tr></thead><tbody id="groups"></tbody></table>
</section>
<section id="dependencies"><h2>Dependency graph</h2>{_graph_section(bl, data)}</section>
<section id="task-list"><h2>Tasks and evidence</h2>
<div class="controls"><select id="status-filter" aria-label="status"></select>
<input id="search" type="search" placeholder="filter by id, title, phase"
 aria-label="search"><span class="muted" id="shown"></span></div>
<p class="muted">Click a task for its evidence history (records and status events).
Ids in red are on the critical path.</p>
<table><thead><tr><th>id</th><th>title</th><th>status</th><th>phase</th>
<th>depends on</th><th class="num">evidence</th></tr></thead><tbody id="tasks"></tbody></table>
</section>
<section id="runs"><h2>Training runs</h2>{_runs_section(data)}</section>
</main>
<script type="application/json" id="report-data">{_script_json(data.to_json())}</script>
<script type="application/json" id="report-colors">{_script_json(colours)}</script>
<script>{JS}</script>
</body>
</html>
"""
