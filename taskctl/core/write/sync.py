"""Regenerate the manifest's index and derived data from the task files (which win).

Kept as written: project, mvp, deferred_tasks, milestones, metadata and any unknown top-level
keys; unknown keys inside an entry (e.g. completed_by) are kept too, and so are the keys of
`stats` taskctl does not compute (e.g. `mvp_tasks`: it cannot tell how another tool counted).
Regenerated: `tasks` entries, `dependency_graph`, `stats` (total, by_status, deferred),
`critical_path`.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taskctl.core.files import atomic
from taskctl.core.files.paths import check_file
from taskctl.core.load.normalize import DEPENDENCY_KEYS, KEY_ALIASES
from taskctl.core.load.taskpaths import under
from taskctl.core.model import Backlog, Task
from taskctl.core.order import natural_key
from taskctl.core.write.phases import move_phase

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


def dependents_of(bl: Backlog) -> dict[str, list[str]]:
    """Task id -> sorted ids of the tasks that depend on it (one pass: O(edges))."""
    out: dict[str, set[str]] = {}
    for o in bl.tasks.values():
        for d in o.depends_on:
            out.setdefault(d, set()).add(o.id)
    return {k: sorted(v, key=natural_key) for k, v in out.items()}


_DROPPED = frozenset(DEPENDENCY_KEYS) | frozenset(KEY_ALIASES)  # rewritten from the task
_BLANK_IS_NONE = frozenset({"phase", "milestone"})


def entry_for(bl: Backlog, t: Task, old: dict[str, Any] | None,
              dependents: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The manifest entry of `t`; pass `dependents` (dependents_of) when building many."""
    if dependents is None:
        dependents = dependents_of(bl)
    dependents = dependents.get(t.id, [])
    # keep `blocks` ids that name deferred tasks (they have no spec to depend back)
    tasks = bl.tasks
    kept = [b for b in t.blocks if b not in tasks]
    if t.path:
        file: Any = under(t.path, bl.root) or str(t.path.relative_to(bl.root))
    else:
        file = (old or {}).get("file")
    values = (  # in ENTRY_FIELDS' order
        t.title, file, t.status, t.priority_label if t.priority is not None else None, t.phase,
        t.milestone, list(t.depends_on),
        dependents + [b for b in kept if b not in dependents] if kept else list(dependents),
        list(t.tags), t.estimated_hours, t.estimated_tokens, t.actual_hours, t.actual_tokens,
        t.created_at, t.started_at, t.completed_at)
    out: dict[str, Any] = {"id": t.id}
    dropped: set[str] = set()  # canonical keys with no value: not kept from the old entry
    for k, v in zip(ENTRY_FIELDS, values, strict=True):
        if v is None or (v == "" and k in _BLANK_IS_NONE):
            dropped.add(k)
            continue
        if v == [] and old is not None and k not in old:
            continue  # an absent list and an empty one mean the same: no churn
        out[k] = v
    if old:
        for k, v in old.items():  # unknown keys kept, after the canonical ones
            if k not in out and k not in _DROPPED and k not in dropped:
                out[k] = v
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


def put_derived(data: dict[str, Any], regenerated: dict[str, Any]) -> list[str]:
    """`data.update(regenerated)`, except that the keys of the old `stats` object taskctl does
    not compute stay, where they were, with the computed ones in their old places (new ones
    after them). Returns the kept keys. Every write that regenerates the derived data uses it:
    a `stats` another tool wrote is not lost to the first status change."""
    old, new = data.get("stats"), regenerated.get("stats")
    data.update(regenerated)
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return []
    kept = [k for k in old if k not in new]
    if kept:
        data["stats"] = {**{k: new.get(k, v) for k, v in old.items()}, **new}
    return kept


def plan(bl: Backlog) -> SyncResult:
    path = bl.root / "manifest.json"
    old = bl.manifest.data if bl.manifest else {}  # read only
    regenerated = derived(bl)
    # a deep copy of what is kept as written (project, mvp, milestones, ...); the entries and
    # the derived data are rebuilt, so copying them (most of the document) would be wasted
    new = {k: None if k == "tasks" or k in regenerated else copy.deepcopy(v)
           for k, v in old.items()}
    raw = old.get("tasks") if isinstance(old.get("tasks"), list) else []
    old_entries: dict[Any, dict] = {}  # copies of one id merged: no copy's own keys lost
    for e in raw:
        if isinstance(e, dict):
            tid = e.get("id")
            old_entries[tid] = {**old_entries[tid], **e} if tid in old_entries else e
    order = list(old_entries)  # first appearance, each id once
    listed = set(order)  # a set: `in` on the list made this O(n²)
    ids = [i for i in order if i in bl.tasks] + sorted((i for i in bl.tasks if i not in listed),
                                                          key=natural_key)
    seen: set[str] = set()
    entries = []
    deps = dependents_of(bl)  # once, not per entry: sync stays O(n log n)
    for tid in ids:
        if tid in seen:
            continue
        seen.add(tid)
        entries.append(entry_for(bl, bl.tasks[tid], old_entries.get(tid), deps))
    new["tasks"] = entries
    if "stats" in old:
        new["stats"] = old["stats"]  # put_derived keeps its other keys (and reads it alone)
    kept = put_derived(new, regenerated)
    res = SyncResult(path, new)
    res.changes += phases_in_step(new, bl, ids)
    by_id = {e["id"]: e for e in entries}
    for tid in ids:
        before, after = old_entries.get(tid), by_id[tid]
        if before is None:
            res.changes.append(f"add entry {tid}")
            continue
        if before == after:  # most entries of a synced manifest: one comparison in C
            continue
        for k in sorted(set(before) | set(after)):
            if before.get(k) != after.get(k):
                res.changes.append(f"{tid}.{k}: {before.get(k)!r} -> {after.get(k)!r}")
    for tid in old_entries:
        if tid not in bl.tasks:
            res.changes.append(f"remove entry {tid} (no task file)")
    copies = sum(isinstance(e, dict) for e in raw) - len(old_entries)
    if copies:
        res.changes.append(f"merge {copies} duplicate entr{'y' if copies == 1 else 'ies'} "
                           "(each id's copies into one)")
    others = sum(not isinstance(e, dict) for e in raw)
    if others:
        res.changes.append(f"drop {others} entr{'y' if others == 1 else 'ies'} that "
                           f"{'is' if others == 1 else 'are'} not an object")
    for k in ("dependency_graph", "stats", "critical_path"):
        if k in new and old.get(k) != new[k]:
            res.changes.append(f"{k}: regenerated" + (
                f" (kept as written: {', '.join(map(str, kept))})" if k == "stats" and kept
                else ""))
    return res


def phases_in_step(data: dict, bl: Backlog, ids: list[str]) -> list[str]:
    """Move each task whose phase its file or entry names into that phase's list of the
    manifest's `phases` (the form `[{name, tasks}]`), out of the others, as `set phase=` does
    (`phases.move_phase`); a task with no phase is left where the lists have it. The changes
    made, one line a task."""
    ph = data.get("phases")
    if not isinstance(ph, list) or not any(isinstance(p, dict) for p in ph):
        return []  # no list of phase objects: nothing to keep in step (as `phases.move_phase`)
    member: dict[str, list[str]] = {}
    for p in ph:
        if isinstance(p, dict) and isinstance(p.get("tasks"), list):
            for tid in p["tasks"]:
                if isinstance(tid, str):
                    member.setdefault(tid, []).append(p.get("name"))
    out = []
    for tid in ids:
        name = bl.tasks[tid].phase
        was = member.get(tid, [])
        if isinstance(name, str) and name and was != [name]:
            move_phase(data, tid, name)
            out.append(f"phases: {tid} into {name}" + (f" (from {', '.join(map(str, was))})"
                                                       if was else ""))
    return out


def removed_ids(res: SyncResult, bl: Backlog) -> list[str]:
    """Ids whose manifest entry the regenerated manifest drops."""
    old = bl.manifest.data.get("tasks", []) if bl.manifest else []
    ids = [str(e["id"]) for e in old if isinstance(e, dict)
           and isinstance(e.get("id"), (str, int)) and not isinstance(e.get("id"), bool)]
    return [i for i in dict.fromkeys(ids) if i and i not in bl.tasks]


CARRIER_SKIP = frozenset({".cache", "evidence", "updates", "logs", ".git"})


def carriers(bl: Backlog, ids: list[str]) -> dict[str, list[Path]]:
    """Files under the tree (other than the manifest, evidence and event logs) that carry one
    of `ids`: by a file name starting with it, or an `id:` line / `"id":` member naming it.
    A manifest entry is never dropped while such a file exists: it was not read, not gone."""
    import os
    import re

    from taskctl.core.load.loader import filename_matches

    if not ids:
        return {}
    pat = re.compile(r'^\s*"?id"?\s*:\s*["\']?(' + "|".join(map(re.escape, ids))
                     + r')["\']?\s*,?\s*$', re.MULTILINE)
    out: dict[str, list[Path]] = {}
    manifest = bl.root / "manifest.json"
    for dirpath, dirs, names in os.walk(bl.root):
        if Path(dirpath) == bl.root:
            dirs[:] = [d for d in dirs if d not in CARRIER_SKIP]
        for n in names:
            p = Path(dirpath, n)
            if p == manifest:
                continue
            for tid in ids:
                if filename_matches(p, tid):
                    out.setdefault(tid, []).append(p)
            try:
                if p.stat().st_size > 1 << 20:
                    continue
                text = p.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for m in pat.finditer(text):
                if p not in out.get(m.group(1), []):
                    out.setdefault(m.group(1), []).append(p)
    return out


def unreadable_manifest(bl: Backlog):
    """The problem that kept `manifest.json` from being read (not valid JSON, not an object,
    not readable), or None when it was read or there is none: `sync` must not replace a
    manifest it could not read with one built from the task files alone (its other keys,
    entries' own fields and phases would be lost)."""
    path = bl.root / "manifest.json"
    if bl.manifest is not None or not os.path.lexists(path):
        return None
    from taskctl.core.problems import problem  # not on the one-task write path

    rel = bl.rel(path)
    return next((p for p in bl.errors if p.file == rel), None) or problem(
        "unreadable-file", "manifest.json could not be read", file=rel)


# errors that regenerating the manifest repairs: it is derived from the task files
REPAIRABLE = frozenset({"E023"})


def blocking_errors(bl: Backlog) -> list:
    """Errors that make a regenerated manifest wrong: those in task files. Manifest-side errors
    (schema, duplicates, drift) and orphan files are what `sync` exists to repair."""
    manifest = bl.rel(bl.root / "manifest.json")
    return [p for p in bl.errors if p.code not in REPAIRABLE and p.file != manifest]


def write(bl: Backlog, res: SyncResult) -> None:
    atomic.write_json(check_file(res.path.parent, res.path), res.data)
