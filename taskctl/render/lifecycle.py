"""Rendering for the lifecycle commands: history and stats (who holds what: render/claims.py
and the tables built from it in render/tables.py)."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text


def history_table(tid: str, events: list[dict]) -> Table:
    t = Table(title=f"History of {tid} ({len(events)} event(s))", title_justify="left")
    for col in ("at", "action", "from → to", "by", "note"):
        t.add_column(col, no_wrap=col in ("at", "action"))
    for e in events:
        change = f"{e.get('from') or '-'} → {e.get('to') or '-'}"
        note = e.get("note") or ""
        if e.get("source") == "agent":
            note = (note + " " if note else "") + "(agent update file)"
        t.add_row(e["at"], e["action"], change, escape(e.get("by", "")), escape(note))
    return t


def _ratio(v) -> str:
    return "-" if v is None else f"{v:.2f}×"


def _h(v) -> str:
    return "-" if v is None else f"{v:.2f} h"


def stats_view(rep: dict):
    parts = []
    tot = rep["totals"]
    parts.append(Text(f"{tot['completed_tasks']} completed task(s); {tot['measured_tasks']} with "
                      f"a measured duration ({_h(tot['actual_hours'])}); actual/estimate "
                      f"{_ratio(tot['hours_ratio'])}; {rep['events']} event(s)"))
    if rep["tasks"]:
        t = Table(title="Actual vs estimate per task", title_justify="left")
        for col in ("id", "phase", "actual", "estimate", "ratio", "tokens ratio"):
            t.add_column(col)
        for r in rep["tasks"]:
            t.add_row(r["id"], r["phase"] or "", _h(r["actual_hours"]),
                      _h(r["estimated_hours"]), _ratio(r["hours_ratio"]),
                      _ratio(r["tokens_ratio"]))
        parts.append(t)
    if rep["phases"]:
        t = Table(title="Per phase", title_justify="left")
        for col in ("phase", "tasks", "actual", "estimate", "ratio", "tokens ratio"):
            t.add_column(col)
        for r in rep["phases"]:
            t.add_row(escape(r["phase"]), str(r["tasks"]), _h(r["actual_hours"]),
                      _h(r["estimated_hours"]), _ratio(r["hours_ratio"]),
                      _ratio(r["tokens_ratio"]))
        parts.append(t)
    if rep["weeks"]:
        t = Table(title="Throughput", title_justify="left")
        for col in ("week", "completed", "tasks"):  # not a status
            t.add_column(col)
        for w in rep["weeks"]:
            t.add_row(w["week"], str(w["completed"]), ", ".join(w["tasks"]))  # not a status
        parts.append(t)
    return Group(*parts)
