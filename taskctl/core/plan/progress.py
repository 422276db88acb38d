"""Status summaries: counts, progress per phase and milestone, filters, one task in full.

All results are JSON-ready dicts; renderers turn them into tables.
"""

from __future__ import annotations

import difflib
from collections import Counter

from taskctl.core.load.ids import ID_HINT, id_problem
from taskctl.core.model import Backlog, Task
from taskctl.core.order import by_id, natural_key
from taskctl.core.plan import estimates
from taskctl.core.plan.cpm import num
from taskctl.core.plan.ranking import blockers
from taskctl.core.status import DONE, PARKED, PLANNED, STATUSES, TaskStatus
from taskctl.errors import UnknownTask, UsageError


def group(bl: Backlog, ids: list[str], weights: dict[str, float]) -> dict:
    """Progress of a set of task ids (phase, milestone): done share of the non-parked ones."""
    known = [bl.tasks[i] for i in ids if i in bl.tasks]
    by = Counter(t.status for t in known)
    done = sum(by[s] for s in DONE)
    counted = len(known) - sum(by[s] for s in PARKED)
    remaining = [t for t in known if t.status in PLANNED]
    return {"total": len(known), "done": done, "remaining": len(remaining),
            "parked": sum(by[s] for s in PARKED), "unverified": by[TaskStatus.COMPLETED_UNVERIFIED],
            # no task at all is not "100 % done": percent is None, shown as "no tasks"
            "percent": round(100 * done / counted, 1) if counted else (100.0 if known else None),
            "remaining_weight": num(sum(weights.get(t.id, 0.0) for t in remaining)),
            "unknown": [i for i in ids if i not in bl.tasks],
            "by_status": {s: by[s] for s in STATUSES if by[s]}}


def phases(bl: Backlog) -> list[tuple[str, list[str]]]:
    """Named manifest phases when there are any, else tasks grouped by their `phase` field."""
    if bl.phases:
        return [(p.name, list(p.tasks)) for p in bl.phases]
    groups: dict[str, list[str]] = {}
    for tid, t in by_id(bl.tasks):
        groups.setdefault(t.phase or "(no phase)", []).append(tid)
    return list(groups.items())


def _weights(bl: Backlog, weight: str) -> estimates.Weights:
    return estimates.weigh([t for t in bl.tasks.values() if t.status in PLANNED], weight)


def status_report(bl: Backlog, weight: str = "auto") -> dict:
    from taskctl.core.plan import cpm

    sched = cpm.schedule(bl, weight)
    w = {tid: t.weight for tid, t in sched.tasks.items()}
    w.update({tid: 0.0 for c in sched.cycles for tid in c})
    by = Counter(t.status for t in bl.tasks.values())
    return {
        "tasks": len(bl.tasks), "dialect": bl.dialect, "store": bl.rel(bl.root),
        "files_not_read": len(bl.unread),
        "by_status": {s: by[s] for s in STATUSES if by[s]},
        "overall": group(bl, sorted(bl.tasks, key=natural_key), w),
        "phases": [{"name": n, **group(bl, ids, w)} for n, ids in phases(bl)],
        "milestones": [{"id": m.id, "title": m.title, **group(bl, m.tasks, w)}
                       for m in sorted(bl.milestones.values(), key=lambda m: m.id)],
        "mvp": group(bl, bl.mvp, w) if bl.mvp else None,
        "weight": sched.weight, "remaining_estimate": num(sum(w.values())),
        "critical_path_total": num(sched.total), "critical_path": sched.path,
        "unverified": sorted((t.id for t in bl.tasks.values()
                              if t.status == TaskStatus.COMPLETED_UNVERIFIED), key=natural_key),
        "deferred_without_entry": sorted(bl.deferred - set(bl.tasks)),
        "warnings": sched.warnings,
    }


def filter_tasks(bl: Backlog, status: str | None = None, priority: str | None = None,
                 tag: str | None = None, phase: str | None = None,
                 milestone: str | None = None) -> list[Task]:
    """Tasks matching every given filter (status/priority accept the usual aliases)."""
    from taskctl.core.load import normalize as n

    try:
        st = n.status(status, ("status",), []) if status and status != "remaining" else None
        pr = n.priority(priority, ("priority",), [])[0] if priority else None
    except n.UnknownValue as e:
        raise UsageError(f"unknown filter value: {e}",
                         "status: pending, in_progress, blocked, deferred, completed, cancelled, "
                         "completed_unverified; priority: P0..P4") from None
    phase_ids = {i for name, ids in phases(bl) if name == phase for i in ids} if phase else set()
    out = []
    for tid, t in by_id(bl.tasks):
        if status == "remaining" and t.status not in PLANNED:
            continue
        if st and t.status != st:
            continue
        if priority and t.priority != pr:
            continue
        if tag and tag not in t.tags:
            continue
        if phase and t.phase != phase and tid not in phase_ids:
            continue
        if milestone and t.milestone != milestone and tid not in (
                bl.milestones[milestone].tasks if milestone in bl.milestones else []):
            continue
        out.append(t)
    return out


def task_row(t: Task) -> dict:
    return {"id": t.id, "title": t.title, "status": t.status, "priority": t.priority_label,
            "phase": t.phase, "milestone": t.milestone, "tags": list(t.tags),
            "depends_on": list(t.depends_on), "estimated_hours": t.estimated_hours,
            "estimated_tokens": t.estimated_tokens}


def get_task(bl: Backlog, tid: str) -> Task:
    """The task with id `tid` (case-insensitive); UnknownTask with close matches otherwise."""
    if tid in bl.tasks:
        return bl.tasks[tid]
    if (why := id_problem(tid)) is not None:
        raise UnknownTask(why, ID_HINT)
    folded = {k.lower(): k for k in bl.tasks}
    if tid.lower() in folded:
        return bl.tasks[folded[tid.lower()]]
    close = difflib.get_close_matches(tid, list(bl.tasks), n=5, cutoff=0.5)
    hint = (f"did you mean {', '.join(close)}?" if close
            else "`taskctl list` shows every task id")
    raise UnknownTask(f"unknown task {tid!r}", hint)


def task_report(bl: Backlog, tid: str) -> dict:
    """One task in full: fields, sections, acceptance items, checkboxes, neighbours."""
    t = get_task(bl, tid)
    dependents = sorted((o.id for o in bl.tasks.values() if t.id in o.depends_on),
                        key=natural_key)

    def ref(i: str) -> dict:
        o = bl.tasks.get(i)
        if o is None:
            return {"id": i, "status": "deferred (no entry)" if i in bl.deferred else "missing",
                    "title": ""}
        return {"id": i, "status": o.status, "title": o.title}

    return {
        **task_row(t), "file": bl.rel(t.path) if t.path else None, "format": t.format,
        "mvp": t.mvp, "actual_hours": t.actual_hours, "actual_tokens": t.actual_tokens,
        "created_at": t.created_at, "updated_at": t.updated_at, "started_at": t.started_at,
        "completed_at": t.completed_at, "description": t.description,
        "blockers": [] if t.status in DONE else blockers(bl, t),
        "acceptance": [{"index": a.index, "criterion": a.criterion, "run": a.run,
                        "timeout": a.timeout, "requires": list(a.requires),
                        "inputs": list(a.inputs), "manual": a.manual} for a in t.acceptance],
        "criteria": [{"text": c.text, "checked": c.checked, "line": c.line} for c in t.criteria],
        "scenarios": [{"title": s.title, "body": s.body} for s in t.scenarios],
        "sections": [{"title": s.title, "body": s.body} for s in t.sections.values()],
        "dependencies": [ref(i) for i in t.depends_on],
        "dependents": [ref(i) for i in dependents],
        # an entry standing in for its file: its `file` is the manifest's pointer, said (or
        # not, the file missing) by "file" above, not one of the task's own keys
        "extra": json_ready({k: v for k, v in t.extra.items()
                             if not (k == "file" and t.format == "manifest")}),
    }


def json_ready(value):
    """A value of a task file's own keys as JSON holds it: YAML gives dates, times, sets and
    keys of any type (`history: {2026-03-02: created}`), which a JSON writer refuses. Dates
    and times in ISO form, keys as JSON writes them (`3` -> "3", `null` -> "null") or as
    text, sets as lists; texts, numbers, booleans and null as they are."""
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, dict):
        return {_key(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((json_ready(v) for v in value), key=repr)
    iso = getattr(value, "isoformat", None)  # date, datetime, time
    return iso() if callable(iso) else str(value)


def _key(k) -> str:
    if isinstance(k, str):
        return k
    if k is None or isinstance(k, bool):
        return {None: "null", True: "true", False: "false"}[k]
    if isinstance(k, int | float):
        return repr(k) if isinstance(k, float) else str(k)
    v = json_ready(k)
    return v if isinstance(v, str) else str(v)


def milestone_report(bl: Backlog, mid: str | None, weight: str = "auto") -> dict:
    """Without an id: every milestone's progress. With one: its progress and what remains."""
    w = _weights(bl, weight)
    if mid is None:
        return {"weight": w.unit, "milestones": [
            {"id": m.id, "title": m.title, **group(bl, m.tasks, w.values)}
            for m in sorted(bl.milestones.values(), key=lambda m: m.id)]}
    if mid not in bl.milestones:
        close = difflib.get_close_matches(mid, list(bl.milestones), n=5, cutoff=0.5)
        hint = (f"did you mean {', '.join(close)}?" if close else
                "`taskctl milestone` lists them" if bl.milestones else
                "define milestones in .tasks/milestones/*.yaml or a task's `milestone:` field")
        raise UnknownTask(f"unknown milestone {mid!r}", hint)
    m = bl.milestones[mid]
    remaining = [bl.tasks[i] for i in m.tasks if i in bl.tasks and bl.tasks[i].status not in DONE]
    return {"weight": w.unit, "id": m.id, "title": m.title, "description": m.description,
            "definition_of_done": m.definition_of_done, **group(bl, m.tasks, w.values),
            "complete": not remaining and all(i in bl.tasks for i in m.tasks),
            "remaining_tasks": [{**task_row(t), "blockers": blockers(bl, t)} for t in remaining]}
