"""Archive: move completed task files from `tasks/` to `completed/` (the seed format's workflow).

Optional. `taskctl archive [ID...]` does it now; `taskctl verify --archive`, or the tree setting
`"taskctl": {"archive": true}` in manifest.json, does it to each task verify completes. The
loader reads both folders and a manifest `file` that moved still resolves; the entry's `file`
is updated anyway. The new file is written first (the commit point), then the old one removed.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.files import claims as cl
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.lifecycle.transitions import now_utc
from taskctl.core.load.loader import COMPLETED_DIR
from taskctl.core.status import TaskStatus
from taskctl.core.write import status as sw
from taskctl.core.write.change import Change
from taskctl.errors import UsageError


def enabled(root: Path) -> bool:
    """The tree setting: manifest.json `"taskctl": {"archive": true}`."""
    settings = (tk.manifest_or_why(root)[0] or {}).get("taskctl")
    return isinstance(settings, dict) and settings.get("archive") is True


def archive(root: Path, ids: list[str] | None, by: str) -> list[dict]:
    """Move the named completed tasks (all completed ones under tasks/ when `ids` is None).
    Every task is checked before any is moved: one that is not completed, or whose name is
    taken in completed/ (by another file: never overwritten), refuses the whole call."""
    moved: list[dict] = []
    with tk.locked(root):
        if ids is None:
            ids = _completed_in_tasks(root)
        todo = []
        for tid in dict.fromkeys(ids):  # each once
            ref = tk.find(root, tid)
            if ref.task.status != TaskStatus.COMPLETED:
                raise UsageError(f"{tid} is {ref.task.status}, not completed",
                                 "only verified (completed) work is archived")
            if ref.path.parent.name == COMPLETED_DIR:
                continue
            new_rel = f"{COMPLETED_DIR}/{ref.path.name}"
            if os.path.lexists(root / new_rel):
                raise UsageError(f"{tid}: {new_rel} already exists; nothing archived",
                                 "move or rename that file, then archive again")
            todo.append((tid, ref, new_rel))
        for tid, ref, new_rel in todo:
            at = cl.fmt_time(now_utc())
            ev = sw.event(tid, "archive", ref.task.status, ref.task.status, by, None, at,
                          file=new_rel)
            ch = Change("archive", tid, [(new_rel, ref.text), ev], [ref.rel],
                        warnings=tk.left_alone(ref))
            if ref.entry is not None:
                ch.entries[tid] = {"file": new_rel}
            from taskctl.core.write import change

            change.apply(root, ch)
            moved.append(tk.said({"task": tid, "from": ref.rel, "to": new_rel,
                                  "event": ev[0]}, ch))
    return moved


def _completed_in_tasks(root: Path) -> list[str]:
    from taskctl.core.load import loader

    bl = loader.load(root, bodies=False)
    return sorted(t.id for t in bl.tasks.values()
                  if t.status == TaskStatus.COMPLETED and t.path is not None
                  and t.path.parent.name != COMPLETED_DIR and t.format != "manifest")
