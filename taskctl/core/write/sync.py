"""Regenerate the manifest's index and derived data from the task files (which win).

Kept as written: project, mvp, deferred_tasks, milestones, metadata and any unknown top-level
keys; unknown keys inside an entry (e.g. completed_by) are kept too.
Regenerated: `tasks` entries, `dependency_graph`, `stats`, `critical_path`.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import atomic
from taskctl.core.files.paths import check_file
from taskctl.core.load.normalize import DEPENDENCY_KEYS, KEY_ALIASES
from taskctl.core.model import Backlog, Task

ENTRY_FIELDS = ("title", "file", "status", "priority", "phase", "milestone", "depends_on",
                "blocks", "tags", "estimated_hours", "estimated_tokens", "actual_hours",
                "actual_tokens", "created_at", "started_at", "completed_at")


@dataclass
class SyncResult:
    path: Path
    data: dict[str, Any]
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def entry_for(bl: Backlog, t: Task, old: dict[str, Any] | None) -> dict[str, Any]:
    e = {k: v for k, v in (old or {}).items()
         if k not in DEPENDENCY_KEYS and k not in KEY_ALIASES}
    dependents = sorted(o.id for o in bl.tasks.values() if t.id in o.depends_on)
    # keep `blocks` ids that name deferred tasks (they have no spec to depend back)
    kept = [b for b in t.blocks if b not in bl.tasks]
    values = {
        "title": t.title, "status": t.status,
        "file": str(t.path.relative_to(bl.root)) if t.path else (old or {}).get("file"),
        "priority": t.priority_label if t.priority is not None else None,
        "phase": t.phase, "milestone": t.milestone, "depends_on": list(t.depends_on),
        "blocks": dependents + [b for b in kept if b not in dependents], "tags": list(t.tags),
        "estimated_hours": t.estimated_hours, "estimated_tokens": t.estimated_tokens,
        "actual_hours": t.actual_hours, "actual_tokens": t.actual_tokens,
        "created_at": t.created_at, "started_at": t.started_at, "completed_at": t.completed_at,
    }
    out: dict[str, Any] = {"id": t.id}
    for k in ENTRY_FIELDS:
        v = values[k]
        if v is None or (k in ("phase", "milestone") and v == ""):
            e.pop(k, None)
            continue
        if v == [] and k not in (old or {}) and old is not None:
            continue  # an absent list and an empty one mean the same: no churn
        out[k] = v
    for k, v in e.items():  # unknown keys kept, after the canonical ones
        out.setdefault(k, v)
    return out


def derived(bl: Backlog) -> dict[str, Any]:
    by_status = Counter(t.status for t in bl.tasks.values())
    out: dict[str, Any] = {
        "dependency_graph": {t.id: list(t.depends_on) for t in bl.tasks.values()},
        "stats": {"total": len(bl.tasks), "by_status": dict(sorted(by_status.items())),
                  "deferred": len(bl.deferred)},  # not a status: a count
    }
    try:
        from taskctl.core.plan import cpm
    except ImportError:  # planning not installed in this build
        return out
    cp = cpm.schedule(bl, "auto")
    out["critical_path"] = {"weight": cp.weight, "total": cp.total, "path": cp.path}
    return out


def plan(bl: Backlog) -> SyncResult:
    path = bl.root / "manifest.json"
    old = copy.deepcopy(bl.manifest.data) if bl.manifest else {}
    new = copy.deepcopy(old)
    old_entries = {e.get("id"): e for e in old.get("tasks", []) if isinstance(e, dict)}
    order = [e.get("id") for e in old.get("tasks", []) if isinstance(e, dict)]
    ids = [i for i in order if i in bl.tasks] + sorted(i for i in bl.tasks if i not in order)
    seen: set[str] = set()
    entries = []
    for tid in ids:
        if tid in seen:
            continue
        seen.add(tid)
        entries.append(entry_for(bl, bl.tasks[tid], old_entries.get(tid)))
    new["tasks"] = entries
    new.update(derived(bl))
    res = SyncResult(path, new)
    for tid in ids:
        before, after = old_entries.get(tid), next(e for e in entries if e["id"] == tid)
        if before is None:
            res.changes.append(f"add entry {tid}")
            continue
        for k in sorted(set(before) | set(after)):
            if before.get(k) != after.get(k):
                res.changes.append(f"{tid}.{k}: {before.get(k)!r} -> {after.get(k)!r}")
    for tid in old_entries:
        if tid not in bl.tasks:
            res.changes.append(f"remove entry {tid} (no task file)")
    if len(old.get("tasks", [])) != len(entries) and not any("remove" in c for c in res.changes):
        res.changes.append("drop duplicate entries")
    for k in ("dependency_graph", "stats", "critical_path"):
        if k in new and old.get(k) != new[k]:
            res.changes.append(f"{k}: regenerated")
    return res


# errors that regenerating the manifest repairs: it is derived from the task files
REPAIRABLE = frozenset({"E023"})


def blocking_errors(bl: Backlog) -> list:
    """Errors that make a regenerated manifest wrong: those in task files. Manifest-side errors
    (schema, duplicates, drift) and orphan files are what `sync` exists to repair."""
    manifest = bl.rel(bl.root / "manifest.json")
    return [p for p in bl.errors if p.code not in REPAIRABLE and p.file != manifest]


def write(bl: Backlog, res: SyncResult) -> None:
    atomic.write_json(check_file(res.path.parent, res.path), res.data)
