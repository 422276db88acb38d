"""Rich tables for planning results (the JSON-ready dicts from taskctl.core.plan/cpm/progress)."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from taskctl.core.status import TaskStatus

STATUS_STYLE = {
    TaskStatus.COMPLETED: "green", TaskStatus.CANCELLED: "dim", TaskStatus.IN_PROGRESS: "cyan",
    TaskStatus.PENDING: "white", TaskStatus.BLOCKED: "red", TaskStatus.DEFERRED: "magenta",
    TaskStatus.COMPLETED_UNVERIFIED: "yellow",
}


def status_text(status: str) -> Text:
    label = "completed?" if status == TaskStatus.COMPLETED_UNVERIFIED else status
    return Text(label, style=STATUS_STYLE.get(status, ""))


def fmt(value, unit: str) -> str:
    from taskctl.core.plan.estimates import fmt as f

    return f(float(value), unit) if value is not None else "-"


def bar(percent: float, width: int = 20) -> Text:
    filled = round(width * percent / 100)
    t = Text("█" * filled, style="green")
    t.append("░" * (width - filled), style="dim")
    t.append(f" {percent:5.1f}%")
    return t


def next_table(report: dict, explain: bool = False):
    unit = report["weight"]
    t = Table(title=f"Next (critical path {fmt(report['total'], unit)})", title_justify="left")
    for col in ("#", "id", "title", "pri", "status", "slack", "unblocks"):
        t.add_column(col, no_wrap=col != "title")
    for i, r in enumerate(report["tasks"], 1):
        slack = Text("critical", style="bold red") if r["critical"] else Text(fmt(r["slack"], unit))
        row = [str(i), r["id"], escape(r["title"]), r["priority"], status_text(r["status"]),
               slack, f"{fmt(r['unblocks'], unit)} ({r['unblocks_count']})"]
        t.add_row(*row)
    parts = [t] if report["tasks"] else [Text("nothing is actionable right now", style="yellow")]
    if explain and report["tasks"]:
        why = Text()
        for i, r in enumerate(report["tasks"], 1):
            why.append(f"{i}. {r['id']}: ", style="bold")
            why.append(r["reason"] + "\n")
        parts.append(why)
    if explain and report.get("not_listed"):
        nl = Table(title="Not listed", title_justify="left")
        for col in ("id", "status", "why not"):
            nl.add_column(col)
        for r in report["not_listed"]:
            nl.add_row(r["id"], status_text(r["status"]), escape(r["reason"]))
        parts.append(nl)
    return Group(*parts)


def waves_view(report: dict):
    unit = report["weight"]
    parts = []
    for w in report["waves"]:
        t = Table(title=f"Wave {w['wave']} ({len(w['tasks'])} task(s), longest "
                  f"{fmt(w['weight'], unit)})", title_justify="left")
        for col in ("id", "title", "pri", "status", "weight", "note"):
            t.add_column(col)
        for r in w["tasks"]:
            note = "; ".join(r["held_by"]) or ("critical" if r["critical"] else "")
            t.add_row(r["id"], escape(r["title"]), r["priority"], status_text(r["status"]),
                      fmt(r["weight"], unit), escape(note))
        parts.append(t)
    if not parts:
        parts.append(Text("no remaining work", style="green"))
    parts.append(Text(f"{len(report['waves'])} wave(s); at most {report['max_parallel']} "
                      f"task(s) in parallel; critical path {fmt(report['total'], unit)}"))
    return Group(*parts)


def cpm_table(report: dict):
    unit = report["weight"]
    t = Table(title=f"Critical path: {' → '.join(report['path']) or '(none)'}  "
              f"total {fmt(report['total'], unit)}", title_justify="left")
    for col in ("id", "weight", "ES", "EF", "LS", "LF", "slack"):
        t.add_column(col, justify="left" if col == "id" else "right")
    on_path = set(report["path"])
    for r in report["tasks"]:
        style = "bold red" if r["id"] in on_path else ""
        t.add_row(r["id"], *(fmt(r[k], unit) for k in (
            "weight", "earliest_start", "earliest_finish", "latest_start", "latest_finish",
            "slack")), style=style)
    return t


def list_table(rows: list[dict]):
    t = Table(title=f"{len(rows)} task(s)", title_justify="left")
    for col in ("id", "title", "status", "pri", "phase", "milestone", "depends on", "tags"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], escape(r["title"]), status_text(r["status"]), r["priority"],
                  r["phase"] or "", r["milestone"] or "", ", ".join(r["depends_on"]),
                  ", ".join(r["tags"]))
    return t
