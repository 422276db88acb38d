"""Feature folders of user stories as JSON: `FEAT-001-login/stories/US-001.json`. A story's
phase is its feature folder; an optional `FEAT-*/feature.json` describes the feature."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load.readers import edits
from taskctl.core.load.readers.base import Build, Reader, Record, Top, json_task
from taskctl.core.model import Backlog, Task


def _features(root: Path, top: Top) -> list[str]:
    return sorted(d for d in top.dirs if d.upper().startswith("FEAT"))


class StoriesReader(Reader):
    name = "stories"
    label = "feature folders of user stories (FEAT-*/stories/US-*.json)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return any((root / d / "stories").is_dir() for d in _features(root, top))

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        return len(rel_parts) == 2 and rel_parts[1] in ("feature.json", "feature.md")

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "this dialect reads FEAT-*/stories/*.json only"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        for feat in _features(root, Top(root)):
            for path in sorted((root / feat / "stories").glob("*.json")):
                doc = b.json(path)
                if doc is None:
                    continue
                if not isinstance(doc.value, dict):
                    b.problem("task-schema", "a story file must hold one JSON object", path, 1)
                    continue
                data, lines = json_task(doc.value, doc)
                if data.get("id") in (None, ""):
                    data["id"] = path.stem
                data.setdefault("phase", feat)
                if isinstance(doc.value.get("acceptanceCriteria"), list):
                    data["_criteria"] = doc.value["acceptanceCriteria"]
                task = b.add(Record(data, path, lines), bodies)
                if task is not None and isinstance(data.get("_criteria"), list):
                    task.extra.pop("_criteria", None)
                    task.description = task.description or "\n".join(
                        f"- {c}" for c in data["_criteria"] if isinstance(c, str))
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        return edits.json_file_status(bl, task, status)


READER = StoriesReader()
