"""Rendering for the lifecycle commands: state-change lines, history, stats, who holds what."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from taskctl.core.files.claims import Claim, fmt_duration


def claim_cell(claim: dict | None, now: datetime | None = None) -> Text:
    """`agent · 12m old · 1h48m left` (or `lease expired` / `agent gone`)."""
    if not claim:
        return Text("in progress, no claim", style="yellow")
    c = Claim(**{k: claim[k] for k in ("task", "agent", "claimed_at", "host", "pid", "lease_s",
                                       "expires_at") if k in claim})
    now = now or datetime.now(UTC)
    st = c.state(now)
    t = Text(c.agent, style="bold")
    t.append(f" · {fmt_duration(c.age_s(now))} old")
    if st == "expired":
        t.append(" · lease expired: can be taken over", style="yellow")
    elif st == "dead":
        t.append(" · agent gone: can be taken over", style="yellow")
    elif (left := c.left_s(now)) is not None:
        t.append(f" · {fmt_duration(left)} left")
    return t


def held_table(rows: list[dict], status_text) -> Table:
    """Actionable work somebody holds (`next` lists it apart from free work). `status_text`
    is the tables' status cell (passed in: tables imports this module)."""
    t = Table(title="Held (claimed or in progress: not free work)", title_justify="left")
    for col in ("id", "title", "status", "held by"):
        t.add_column(col, no_wrap=col != "title")
    for r in rows:
        t.add_row(r["id"], escape(r["title"]), status_text(r["status"]),
                  claim_cell(r.get("claim")))
    return t


def claims_table(holders: dict[str, dict]) -> Table:
    t = Table(title=f"Claims ({len(holders)})", title_justify="left")
    for col in ("id", "owner", "state", "age", "lease left"):
        t.add_column(col)
    for tid, h in sorted(holders.items()):
        left = h.get("lease_left_s")
        t.add_row(tid, escape(h["agent"]), h["state"],
                  fmt_duration(h["age_s"]) if h.get("age_s") is not None else "-",
                  fmt_duration(left) if left is not None and left > 0 else "-")
    return t


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
    if rep.get("skipped_files"):
        parts.append(Text(f"{len(rep['skipped_files'])} file(s) in updates/ are not events: "
                          + ", ".join(rep["skipped_files"][:5]), style="yellow"))
    return Group(*parts)
