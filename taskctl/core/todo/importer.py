"""Plan the import of a Markdown TODO list into a backlog: what to create, update, report.

Pure: takes the loaded `Backlog` and the parsed `TodoDoc`, returns an `ImportPlan`; writing is
`todo_apply.apply`. Rules (docs/integrations.md):
- identity: a task remembers `import_source` (the list's file name) and `import_key` (heading
  path + normalised item text; the parent's text, then an ordinal, break ties). A line written
  by `taskctl export` carries the task id and matches by id. A key that no longer matches but
  whose item text is unique among the unmatched items of the same list is a move (key updated).
- structure: a parent item depends on its children (`depends_on`), children name it (`parent`).
  Dependencies added by hand (not to an imported child) are kept.
- status: a new ticked item is `completed_unverified` (nobody proved it), `[~]` is in_progress,
  else pending. On re-import a tick moves pending/in_progress/blocked to completed_unverified,
  an untick moves completed_unverified back to pending; a `completed` task is never downgraded
  by a checkbox (reported as a conflict). For export lines only a box the user changed counts.
- removal: tasks of this source whose item is gone are reported, never deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from taskctl.core.load.ids import ID_HINT, id_problem
from taskctl.core.model import Backlog, Task
from taskctl.core.order import by_id
from taskctl.core.status import REMAINING, TaskStatus
from taskctl.core.todo.parse import TodoDoc, TodoItem, normalise
from taskctl.errors import UsageError

UNVERIFIED = TaskStatus.COMPLETED_UNVERIFIED
# front-matter keys the importer owns on tasks it created (others are the user's)
OWNED = ("title", "status", "phase", "milestone", "section", "parent", "depends_on", "notes",
         "refs", "dates", "import_key")


@dataclass
class NewTask:
    id: str
    item: TodoItem
    fields: dict[str, Any]  # front matter, canonical keys, in writing order


@dataclass
class Update:
    id: str
    task: Task
    changes: dict[str, tuple[Any, Any]]  # key -> (old, new)


@dataclass
class ImportPlan:
    source: str
    creates: list[NewTask] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (id, title): not deleted
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (id, message)
    milestones: list[tuple[str, str]] = field(default_factory=list)  # new (id, title)
    milestone_ids: dict[str, str] = field(default_factory=dict)  # heading title -> id
    skipped: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.creates or self.updates or self.milestones)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "created": [{"id": c.id, "title": c.fields["title"], "status": c.fields["status"],
                         "line": c.item.line} for c in self.creates],
            "updated": [{"id": u.id, "changes": {k: {"from": a, "to": b}
                                                 for k, (a, b) in u.changes.items()}}
                        for u in self.updates],
            "unchanged": len(self.unchanged),
            "removed": [{"id": i, "title": t} for i, t in self.removed],
            "conflicts": [{"id": i, "message": m} for i, m in self.conflicts],
            "milestones_created": [{"id": i, "title": t} for i, t in self.milestones],
            "skipped_lines": self.skipped,
        }


def item_keys(items: list[TodoItem]) -> list[str]:
    """Stable keys: heading path + item text, disambiguated by parent text, then ordinal."""
    def base(it: TodoItem) -> str:
        path = " / ".join(normalise(p) for p in (it.milestone, it.phase, it.section) if p)
        return f"{path} :: {normalise(it.title)}"

    keys = [base(it) for it in items]
    for i, it in enumerate(items):
        if keys.count(keys[i]) > 1 and it.parent is not None:
            keys[i] += f" <- {normalise(items[it.parent].title)}"
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        seen[k] = seen.get(k, 0) + 1
        if seen[k] > 1:
            keys[i] = f"{k} #{seen[k]}"
    return keys


def next_ids(existing: set[str], prefix: str, n: int, width: int = 3) -> list[str]:
    """`n` fresh ids `<prefix><number>`; UsageError when the prefix breaks the id grammar."""
    if (why := id_problem(f"{prefix}{1:0{width}d}")) is not None:
        raise UsageError(f"id prefix {prefix!r} makes invalid ids: {why}", ID_HINT)
    pat = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    top = max((int(m.group(1)) for i in existing if (m := pat.match(i))), default=0)
    return [f"{prefix}{top + k:0{width}d}" for k in range(1, n + 1)]


def desired_status(it: TodoItem, current: str | None) -> tuple[str | None, str | None]:
    """(new status or None for "leave it", conflict message or None)."""
    if current is None:
        return (UNVERIFIED if it.checked else TaskStatus.IN_PROGRESS if it.in_progress
                else TaskStatus.PENDING), None
    if it.exported_status is not None and it.checked == it.exported_proven \
            and not it.in_progress:
        return None, None  # an export line nobody toggled
    if it.checked:
        if current in REMAINING:
            return UNVERIFIED, None
        if current in (TaskStatus.DEFERRED, TaskStatus.CANCELLED):
            return None, f"ticked in the list but {current} in .tasks; left {current}"
        return None, None
    if it.in_progress:
        if current in (TaskStatus.PENDING, UNVERIFIED):
            return TaskStatus.IN_PROGRESS, None
        return None, None
    if current == UNVERIFIED:
        return TaskStatus.PENDING, None
    if current == TaskStatus.COMPLETED:
        return None, "unticked in the list but completed (proven) in .tasks; left completed"
    return None, None


def _match(bl: Backlog, items: list[TodoItem], keys: list[str], source: str) -> list[str | None]:
    own = {tid: t for tid, t in bl.tasks.items() if t.extra.get("import_source") == source}
    by_key = {t.extra.get("import_key"): tid for tid, t in own.items()}
    out: list[str | None] = []
    for it, key in zip(items, keys, strict=True):
        if it.task_id and it.task_id in bl.tasks:
            out.append(it.task_id)
        else:
            out.append(by_key.get(key))
    taken = {m for m in out if m}
    free = {tid: normalise(t.title) for tid, t in own.items() if tid not in taken}
    unmatched = [i for i, m in enumerate(out) if m is None]
    titles = [normalise(items[i].title) for i in unmatched]
    for i, title in zip(unmatched, titles, strict=True):
        cands = [tid for tid, tt in free.items() if tt == title]
        if len(cands) == 1 and titles.count(title) == 1:
            out[i] = cands[0]
            del free[cands[0]]
    return out


def plan(bl: Backlog, doc: TodoDoc, source: str, prefix: str = "T",
         now: str = "") -> ImportPlan:
    """What importing `doc` (read from a file named `source`) into `bl` would do."""
    res = ImportPlan(source, skipped=list(doc.skipped))
    items = doc.items
    _milestones(bl, items, res)
    keys = item_keys(items)
    matched = _match(bl, items, keys, source)
    fresh = iter(next_ids(set(bl.tasks), prefix, sum(m is None for m in matched)))
    ids = [m if m is not None else next(fresh) for m in matched]
    children: dict[int, list[str]] = {}
    for i, it in enumerate(items):
        if it.parent is not None:
            children.setdefault(it.parent, []).append(ids[i])
    for i, (it, tid) in enumerate(zip(items, ids, strict=True)):
        want = {
            "title": it.title,
            "phase": it.phase, "milestone": res.milestone_ids.get(it.milestone or ""),
            "section": it.section,
            "parent": ids[it.parent] if it.parent is not None else None,
            "depends_on": children.get(i, []), "notes": it.notes, "refs": it.refs,
            "dates": it.dates, "import_key": keys[i],
        }
        task = bl.tasks.get(tid) if matched[i] else None
        status, conflict = desired_status(it, task.status if task else None)
        if conflict:
            res.conflicts.append((tid, conflict))
        if task is None:
            res.creates.append(NewTask(tid, it, _new_fields(tid, want, status, source, now)))
            continue
        changes = _changes(bl, task, want, status, by_id=it.task_id == tid)
        if changes:
            res.updates.append(Update(tid, task, changes))
        else:
            res.unchanged.append(tid)
    seen = set(ids)
    res.removed = [(tid, t.title) for tid, t in by_id(bl.tasks)
                   if t.extra.get("import_source") == source and tid not in seen]
    return res


def _milestones(bl: Backlog, items: list[TodoItem], res: ImportPlan) -> None:
    known = {normalise(m.title or m.id): m.id for m in bl.milestones.values()}
    titles = list(dict.fromkeys(it.milestone for it in items if it.milestone))
    new = [t for t in titles if normalise(t) not in known]
    fresh = iter(next_ids(set(bl.milestones), "M", len(new), width=1))
    for t in titles:
        if normalise(t) in known:
            res.milestone_ids[t] = known[normalise(t)]
        else:
            mid = next(fresh)
            res.milestone_ids[t] = mid
            res.milestones.append((mid, t))


def _new_fields(tid: str, want: dict, status: str, source: str, now: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": tid, "title": want["title"], "status": status}
    for k in ("phase", "milestone", "section", "parent", "depends_on"):
        if want[k]:
            out[k] = want[k]
    out["tags"] = ["imported"]
    if now:
        out["created_at"] = now
    for k in ("notes", "refs", "dates"):
        if want[k]:
            out[k] = want[k]
    out["import_source"] = source
    out["import_key"] = want["import_key"]
    return out


def _changes(bl: Backlog, task: Task, want: dict, status: str | None,
             by_id: bool) -> dict[str, tuple[Any, Any]]:
    """Owned fields that differ. Tasks matched through an export line (or not created by an
    import) only take status, title and notes: their structure is not the list's to change."""
    fm = task.extra
    out: dict[str, tuple[Any, Any]] = {}
    if status is not None and status != task.status:
        out["status"] = (task.status, status)
    if want["title"] != task.title:
        out["title"] = (task.title, want["title"])
    if want["notes"] != (fm.get("notes") or []):
        out["notes"] = (fm.get("notes") or [], want["notes"])
    if by_id or "import_key" not in fm:
        return out
    current = {"phase": task.phase, "milestone": task.milestone, "section": fm.get("section"),
               "parent": fm.get("parent"), "refs": fm.get("refs") or [],
               "dates": fm.get("dates") or [], "import_key": fm.get("import_key")}
    for k, v in current.items():
        new = want[k] if want[k] not in ("",) else None
        if (new or None) != (v or None):
            out[k] = (v, new)
    old_children = {o.id for o in bl.tasks.values() if o.extra.get("parent") == task.id}
    deps = [d for d in task.depends_on if d not in old_children]
    deps += [c for c in want["depends_on"] if c not in deps]
    if deps != task.depends_on:
        out["depends_on"] = (list(task.depends_on), deps)
    return out
