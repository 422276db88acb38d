"""Status by folder: `PENDING/`, `IN_PROGRESS/`, `COMPLETED/`, `active/`, `archive/`… each
holding Markdown task files, with no front matter or with front matter that is not valid YAML
(`status: !normal`, `owner: @orchestrator`) — read leniently, line by line.

The folder is the status (a status written in the file is ignored: the folder is what people
move). Writing a status moves the file to the folder of the new status when the tree has one;
otherwise it refuses (nothing is created).
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.load.readers import edits, mdtasks, words
from taskctl.core.load.readers.base import Build, Reader, Top
from taskctl.core.model import Backlog, Task
from taskctl.core.status import TaskStatus

FOLDERS = {  # folder name (lower case, - and space as _) -> status
    "pending": TaskStatus.PENDING, "todo": TaskStatus.PENDING, "backlog": TaskStatus.PENDING,
    "open": TaskStatus.PENDING, "planned": TaskStatus.PENDING, "queue": TaskStatus.PENDING,
    "ready": TaskStatus.PENDING, "new": TaskStatus.PENDING,
    "active": TaskStatus.IN_PROGRESS, "in_progress": TaskStatus.IN_PROGRESS,
    "doing": TaskStatus.IN_PROGRESS, "current": TaskStatus.IN_PROGRESS,
    "wip": TaskStatus.IN_PROGRESS, "review": TaskStatus.IN_PROGRESS,
    "blocked": TaskStatus.BLOCKED, "completed": TaskStatus.COMPLETED,
    "done": TaskStatus.COMPLETED, "finished": TaskStatus.COMPLETED,
    "closed": TaskStatus.COMPLETED, "archive": TaskStatus.COMPLETED,
    "archived": TaskStatus.COMPLETED, "cancelled": TaskStatus.CANCELLED,
    "canceled": TaskStatus.CANCELLED, "deferred": TaskStatus.DEFERRED,
    "on_hold": TaskStatus.DEFERRED, "someday": TaskStatus.DEFERRED}


def folder_status(name: str) -> str | None:
    key = name.lower().replace("-", "_").replace(" ", "_")
    return FOLDERS.get(key) or words.STATUS_WORDS.get(name.lower().replace("_", " "))


class StatusFoldersReader(Reader):
    name = "status-folders"
    label = "status by folder (PENDING/, COMPLETED/, active/, archive/…)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return any(folder_status(d) for d in top.dirs)

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads Markdown files inside status folders (PENDING/, done/…)"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        for d in sorted(Top(root).dirs):
            st = folder_status(d)
            if st is None:
                continue
            for path in sorted((root / d).rglob("*.md")):
                rec = mdtasks.record(b, path)
                if rec is None:
                    continue
                if "status" in rec.data:
                    rec.data["status_in_file"] = rec.data.pop("status")
                rec.data["status"] = st
                rec.lines["status"] = 1
                task = b.add(rec, bodies)
                if task is not None and d != path.parent.name:
                    task.phase = task.phase or path.parent.name
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        here = task.path.relative_to(bl.root).parts[0]
        if folder_status(here) == status:
            return False
        targets = sorted(d for d in Top(bl.root).dirs if folder_status(d) == status)
        if not targets:
            raise edits._refuse(task.id, f"this tree keeps status by folder and has no folder "
                                f"for {status}")
        dest = bl.root / targets[0] / task.path.relative_to(bl.root / here)
        if dest.exists():
            raise edits._refuse(task.id, f"{bl.rel(dest)} already exists")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(task.path, dest)  # the file moves unchanged: its folder is its status
        task.path = dest
        return True


READER = StatusFoldersReader()
