"""The canonical dialect: manifest.json + front-matter task files under tasks/ and completed/
(docs/format.md). The loading itself lives in `taskctl.core.load.loader`; this reader adds
detection and the files-not-read listing; core/write/status.py writes it back."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load import loader
from taskctl.core.load.kept import keeper
from taskctl.core.load.readers import scan
from taskctl.core.load.readers.base import Reader, Top, report_int_ids
from taskctl.core.model import Backlog

TASK_SUFFIXES = (".md", ".yaml", ".yml")


class TasksReader(Reader):
    name = "tasks"
    label = "canonical .tasks (manifest.json + front-matter task files in tasks/)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        if "tasks" not in top.dirs:
            return "manifest.json" in top.files and loader.COMPLETED_DIR in top.dirs
        return top.first_in("tasks", (*TASK_SUFFIXES, ".json")) in TASK_SUFFIXES

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        bl = loader.load_canonical(root, use_cache, bodies)
        read = bl.files_read  # the task files, listed once by the loader
        read.add(str(root / "manifest.json"))
        ms = root / "milestones"
        if ms.is_dir():
            read.update(str(p) for p in ms.iterdir() if p.suffix in (".yaml", ".yml"))
        bl.dialect = self.name
        report_int_ids(bl, bl.int_ids if bl.int_ids is not None else [
            t.id for t in bl.tasks.values() if type(t.front_matter.get("id")) is int])
        kept = keeper(root)  # a resident process's: its last walk, when still good
        scan.report_unread(bl, self, kept.walked(bl) if kept is not None else None)
        if kept is not None:
            kept.remember_walk(bl)
        return bl

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        if rel_parts[0] in loader.TASK_DIRS:
            return (f"{rel_parts[0]}/ holds .md/.yaml/.yml task files; a "
                    f"{Path(rel_parts[-1]).suffix or 'suffix-less'} file there is not read")
        if rel_parts[0] == "milestones":
            return "milestones/ holds .yaml milestone files"
        return "outside tasks/ and completed/, where canonical task files live"


READER = TasksReader()
