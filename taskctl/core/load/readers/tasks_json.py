"""One `tasks.json` holding every task: an object with a `tasks` list, or a bare array.
Dependencies may be spelled `blockedBy`, `dependencies`, `depends_on`, `dependsOn`…
(see `base.JSON_KEYS`)."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load.readers import edits
from taskctl.core.load.readers.base import Build, Reader, Record, Top, json_task
from taskctl.core.model import Backlog, Task

STORE = "tasks.json"


def task_list(value) -> list | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(value.get("tasks"), list):
        return value["tasks"]
    return None


class TasksJsonReader(Reader):
    name = "tasks-json"
    label = "a single tasks.json (object with `tasks`, or an array)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return STORE in top.files

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self, int_ids_normal=True)
        path = root / STORE
        doc = b.json(path)
        tasks = task_list(doc.value) if doc is not None else []
        if tasks is None:
            b.problem("task-schema", "tasks.json must be an array of tasks or an object with "
                      "a `tasks` array", path, 1)
        for i, obj in enumerate(tasks or [], 1):
            if not isinstance(obj, dict):
                continue
            data, lines = json_task(obj, doc)
            if data.get("id") in (None, ""):
                data["id"] = str(i)
            b.add(Record(data, path, lines), bodies)
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        old = task.front_matter.get("status")
        new = edits.tree_word(bl, status, old)

        def find(doc):
            for obj in task_list(doc.value) or []:
                if isinstance(obj, dict) and str(json_task(obj)[0].get("id")) == task.id:
                    return obj
            return None

        return edits.json_status(task.path, bl.root, task.id, find, new)


READER = TasksJsonReader()
