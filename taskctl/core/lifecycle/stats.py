"""`taskctl stats` and `metrics.json`: what the events say about actual work.

- actual duration of a task: its first claim/start (or first event into `in_progress`) to its
  last completion event. Without events, the task's `started_at`/`completed_at` fields.
- estimate accuracy: actual / estimated hours per task and summed per phase (a ratio above 1
  means it took longer than estimated); tokens likewise from `actual_tokens` (which agents
  record with `taskctl set ID actual_tokens=...`) against `estimated_tokens`.
- throughput: completions per ISO week.
`metrics.json` is this report without anything clock-dependent, so regenerating it from the
same events gives the same bytes (`taskctl sync --write` writes it; never by hand).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from taskctl.core.files import atomic
from taskctl.core.files.claims import parse_time
from taskctl.core.lifecycle.events import Events, read
from taskctl.core.model import Backlog
from taskctl.core.status import TaskStatus

METRICS = "metrics.json"
METRICS_VERSION = 1
_STARTS = frozenset({"claim", "start"})


def _r(v: float | None, nd: int = 2) -> float | None:
    return None if v is None else round(v, nd)


def spans(bl: Backlog, evs: Events) -> dict[str, dict[str, Any]]:
    """Per task with a known start and end: started_at, completed_at, actual_hours, source."""
    out: dict[str, dict[str, Any]] = {}
    by_task: dict[str, list] = defaultdict(list)
    for e in evs.events:
        by_task[e.task].append(e)
    for tid, t in bl.tasks.items():
        start = end = None
        for e in by_task.get(tid, []):
            if start is None and (e.action in _STARTS or
                                  e.to_status == TaskStatus.IN_PROGRESS):
                start = e.at
            if e.to_status == TaskStatus.COMPLETED:
                end = e.at
            elif e.action == "reopen":
                end = None
        src = "events"
        if start is None and t.started_at:
            start, src = t.started_at, "fields"
        if end is None and t.status == TaskStatus.COMPLETED and t.completed_at:
            end = t.completed_at
        a, b = parse_time(start) if start else None, parse_time(end) if end else None
        if a is None or b is None or b < a:
            continue
        out[tid] = {"started_at": start, "completed_at": end, "source": src,
                    "actual_hours": _r((b - a).total_seconds() / 3600, 3)}
    return out


def report(bl: Backlog, evs: Events | None = None) -> dict[str, Any]:
    """Durations, estimate accuracy per task and phase, throughput per week."""
    evs = evs if evs is not None else read(bl.root)
    sp = spans(bl, evs)
    tasks, phases = [], defaultdict(lambda: {"tasks": 0, "actual_hours": 0.0,
                                              "estimated_hours": 0.0, "actual_tokens": 0.0,
                                              "estimated_tokens": 0.0})
    for tid in sorted(sp):
        t, s = bl.tasks[tid], sp[tid]
        row = {"id": tid, "phase": t.phase, **s, "estimated_hours": t.estimated_hours,
               "hours_ratio": _r(s["actual_hours"] / t.estimated_hours)
               if t.estimated_hours else None,
               "actual_tokens": t.actual_tokens, "estimated_tokens": t.estimated_tokens,
               "tokens_ratio": _r(t.actual_tokens / t.estimated_tokens)
               if t.actual_tokens and t.estimated_tokens else None}
        tasks.append(row)
        p = phases[t.phase or "(no phase)"]
        p["tasks"] += 1
        if t.estimated_hours:
            p["actual_hours"] += s["actual_hours"]
            p["estimated_hours"] += t.estimated_hours
        if t.actual_tokens and t.estimated_tokens:
            p["actual_tokens"] += t.actual_tokens
            p["estimated_tokens"] += t.estimated_tokens
    phase_rows = []
    for name in sorted(phases):
        p = phases[name]
        phase_rows.append({"phase": name, "tasks": p["tasks"],
                           "actual_hours": _r(p["actual_hours"]),
                           "estimated_hours": _r(p["estimated_hours"]),
                           "hours_ratio": _r(p["actual_hours"] / p["estimated_hours"])
                           if p["estimated_hours"] else None,
                           "tokens_ratio": _r(p["actual_tokens"] / p["estimated_tokens"])
                           if p["estimated_tokens"] else None})
    return {"tasks": tasks, "phases": phase_rows, "weeks": throughput(bl, evs, sp),
            "totals": _totals(tasks, bl), "events": len(evs.events),
            "skipped_files": evs.skipped}


def throughput(bl: Backlog, evs: Events, sp: dict) -> list[dict[str, Any]]:
    """Completions per ISO week (`2026-W47`), oldest first."""
    weeks: dict[str, list[str]] = defaultdict(list)
    done = {tid: s["completed_at"] for tid, s in sp.items()}
    for e in evs.events:  # completions with no known start count too
        if e.to_status == TaskStatus.COMPLETED and e.task in bl.tasks:
            done.setdefault(e.task, e.at)
    for tid, at in done.items():
        if bl.tasks[tid].status != TaskStatus.COMPLETED:
            continue  # reopened since
        dt = parse_time(at)
        if dt is not None:
            y, w, _ = dt.isocalendar()
            weeks[f"{y}-W{w:02d}"].append(tid)
    return [{"week": w, "completed": len(ids), "tasks": sorted(ids)}
            for w, ids in sorted(weeks.items())]


def _totals(rows: list[dict], bl: Backlog) -> dict[str, Any]:
    act = sum(r["actual_hours"] for r in rows if r["estimated_hours"])
    est = sum(r["estimated_hours"] for r in rows if r["estimated_hours"])
    return {"measured_tasks": len(rows),
            "completed_tasks": sum(t.status == TaskStatus.COMPLETED for t in bl.tasks.values()),
            "actual_hours": _r(sum(r["actual_hours"] for r in rows)),
            "hours_ratio": _r(act / est) if est else None}


def metrics(bl: Backlog) -> dict[str, Any]:
    """The `metrics.json` document (deterministic: no clock, no file list)."""
    rep = report(bl)
    return {"schema_version": METRICS_VERSION, "generated_by": "taskctl sync --write",
            "totals": rep["totals"], "phases": rep["phases"], "weeks": rep["weeks"],
            "tasks": rep["tasks"]}


def write_metrics(bl: Backlog) -> Path:
    path = bl.root / METRICS
    atomic.write_json(path, metrics(bl))
    return path
