"""One JSON file per task: `tasks/00012.json` (integer `id`), beside a `manifest.json` that
holds project data but no `tasks` list. Keys read: see `base.JSON_KEYS`."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load.readers import edits
from taskctl.core.load.readers.base import Build, Reader, Record, Top, json_task
from taskctl.core.model import Backlog, Task


class JsonFilesReader(Reader):
    name = "json-files"
    label = "one JSON file per task (tasks/00012.json)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return "tasks" in top.dirs and top.first_in("tasks", (".json",)) == ".json"

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        return rel_parts == ("index.json",)  # the tool's own index of tasks/*.json

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads tasks/*.json only"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self, int_ids_normal=True)
        if (root / "manifest.json").is_file():
            b.read(root / "manifest.json")  # project data; its own tasks list, if any, is
            # an index of these files
        for path in sorted((root / "tasks").rglob("*.json")):
            doc = b.json(path)
            if doc is None:
                continue
            if not isinstance(doc.value, dict):
                b.problem("task-schema", "a task file must hold one JSON object", path, 1)
                continue
            data, lines = json_task(doc.value, doc)
            if data.get("id") in (None, ""):
                data["id"] = path.stem.lstrip("0") or path.stem
            b.add(Record(data, path, lines), bodies)
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        return edits.json_file_status(bl, task, status)


READER = JsonFilesReader()
