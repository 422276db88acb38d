"""The backlog as a Markdown checklist model: grouped by milestone (H1), phase (H2) and section
(H3), items nested under their `parent`. Pure; `render.markdown_export` writes the text.

A box is ticked ONLY for a completed task with fresh evidence or a sign-off for every
acceptance item. Everything else is unticked, with a visible marker for statuses other than
pending (`completed_unverified` shows **(unverified)**). Each line carries
`<!-- taskctl:ID STATUS[ proven] -->` so `taskctl import` of the file matches tasks by id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from taskctl.core.model import Backlog, Task
from taskctl.core.order import by_id, natural_key
from taskctl.core.status import TaskStatus

# the marker of an unticked line; "completed" is marked only when it is not proven
MARKERS = {TaskStatus.COMPLETED_UNVERIFIED: "unverified", TaskStatus.IN_PROGRESS: "in progress",
           TaskStatus.COMPLETED: "completed, evidence stale",
           **{s: str(s) for s in (TaskStatus.BLOCKED, TaskStatus.DEFERRED, TaskStatus.CANCELLED)}}


@dataclass
class Line:
    id: str
    title: str
    status: str
    proven: bool
    notes: list[str]
    children: list[Line] = field(default_factory=list)

    @property
    def marker(self) -> str | None:
        return None if self.proven else MARKERS.get(self.status)


@dataclass
class Group:
    milestone: str | None  # milestone title (or id)
    phase: str | None
    section: str | None
    lines: list[Line]


@dataclass
class ExportDoc:
    groups: list[Group]
    counts: dict[str, int]  # by status, plus "proven"
    total: int


def proven(bl: Backlog) -> dict[str, bool]:
    """completed task id -> proven? Every acceptance item has a fresh pass or a current
    sign-off (the judgement of `gate --check`, nothing run or written); a completed task with
    no acceptance items is not proven."""
    from taskctl.core.verify.task import Context, assess

    ctx = Context(bl, "proof", frozenset(), "", dry_run=True, input_cache={})
    out: dict[str, bool] = {}
    for tid, t in by_id(bl.tasks):
        if t.status == TaskStatus.COMPLETED:
            out[tid] = bool(t.acceptance) and all(assess(ctx, t, it)[0].ok
                                                  for it in t.acceptance)
    return out


def id_key(tid: str) -> tuple:
    """Natural order: T2 before T10."""
    return natural_key(tid)


def _milestone(bl: Backlog, t: Task) -> str | None:
    mid = t.milestone or next((m.id for m in bl.milestones.values() if t.id in m.tasks), None)
    if mid is None:
        return None
    m = bl.milestones.get(mid)
    return (m.title or m.id) if m else mid


def _phase(bl: Backlog, t: Task) -> str | None:
    return t.phase or next((p.name for p in bl.phases if t.id in p.tasks), None)


def build(bl: Backlog) -> ExportDoc:
    proof = proven(bl)
    order = sorted(bl.tasks, key=id_key)
    lines = {tid: Line(tid, bl.tasks[tid].title, bl.tasks[tid].status, proof.get(tid, False),
                       [str(n) for n in bl.tasks[tid].extra.get("notes") or []
                        if isinstance(n, (str, int, float))]) for tid in order}
    where = {tid: (_milestone(bl, t), _phase(bl, t), _section(t))
             for tid, t in bl.tasks.items()}
    groups: dict[tuple, Group] = {}
    for tid in order:
        parent = bl.tasks[tid].extra.get("parent")
        if isinstance(parent, str) and parent in lines and parent != tid \
                and where[parent] == where[tid] and not _ancestor(bl, tid, parent):
            lines[parent].children.append(lines[tid])
            continue
        key = where[tid]
        groups.setdefault(key, Group(*key, [])).lines.append(lines[tid])
    # tasks without a milestone first: an H1 would otherwise swallow them on re-import
    ordered = [g for k, g in groups.items() if k[0] is None] + \
              [g for k, g in groups.items() if k[0] is not None]
    counts = Counter(t.status for t in bl.tasks.values())
    counts["proven"] = sum(proof.values())
    return ExportDoc(_regroup(ordered), dict(counts), len(bl.tasks))


def _section(t: Task) -> str | None:
    s = t.extra.get("section")
    return s if isinstance(s, str) and s else None


def _ancestor(bl: Backlog, tid: str, parent: str) -> bool:
    """True when `tid` is an ancestor of `parent` (a parent cycle): nest neither."""
    seen, p = set(), parent
    while isinstance(p, str) and p in bl.tasks and p not in seen:
        if p == tid:
            return True
        seen.add(p)
        p = bl.tasks[p].extra.get("parent")
    return False


def _regroup(groups: list[Group]) -> list[Group]:
    """Keep each milestone's groups together (in first-appearance order)."""
    by_m: dict[str | None, list[Group]] = {}
    for g in groups:
        by_m.setdefault(g.milestone, []).append(g)
    return [g for gs in by_m.values() for g in gs]
