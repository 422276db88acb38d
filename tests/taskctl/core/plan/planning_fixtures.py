"""Small in-memory backlogs for planning tests (no files, no subprocesses)."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.model import Backlog, Task


def backlog(*tasks: Task, deferred: set[str] | None = None) -> Backlog:
    return Backlog(root=Path("/nonexistent/.tasks"), tasks={t.id: t for t in tasks},
                   manifest=None, deferred=set(deferred or ()))


def task(tid: str, status: str = "pending", deps=(), hours=None, tokens=None,
         priority=None, **kw) -> Task:
    return Task(id=tid, title=f"task {tid}", status=status, depends_on=list(deps),
                estimated_hours=hours, estimated_tokens=tokens, priority=priority, **kw)
