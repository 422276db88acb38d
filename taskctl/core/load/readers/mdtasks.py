"""Shared by the Markdown dialects: one Markdown file -> one Record, and its write-back."""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load.readers import edits, mdmeta
from taskctl.core.load.readers.base import Build, Reader, Record
from taskctl.core.model import Backlog, Task

_NUM_PREFIX = re.compile(r"^([A-Za-z]*[-_]?\d+(?:\.\d+)*)(?=[-_ .]|$)")


def id_from_name(path: Path) -> str:
    """`01-setup.md` -> 01, `TASK-003-db.md` -> TASK-003, `T12_x.md` -> T12, else the stem."""
    m = _NUM_PREFIX.match(path.stem)
    return m.group(1) if m else path.stem


def record(b: Build, path: Path, fallback_id: str | None = None,
           **defaults) -> Record | None:
    """Read one Markdown task file (front matter, metadata lines or tables, first heading)."""
    text = b.text(path)
    if text is None:
        return None
    md = mdmeta.read(text)
    data = dict(md.data)
    for k, v in defaults.items():
        if v is not None:
            data.setdefault(k, v)
    if data.get("id") in (None, "") or not isinstance(data.get("id"), (str, int)):
        data["id"] = fallback_id or id_from_name(path)
    if isinstance(data.get("title"), str):
        # "Task 03: Database" / "TASK-003 — Database": the id is not part of the title
        data["title"] = re.sub(r"^(?:task|tâche|tarea|aufgabe)?\s*[#]?" + re.escape(
            str(data["id"])) + r"\s*[:—–-]\s*", "", data["title"], flags=re.IGNORECASE)
    return Record(data, path, md.lines, md.body, md.body_line, text)


class MarkdownReader(Reader):
    """A dialect of Markdown task files whose status lives in the file (line, cell or front
    matter): a status change rewrites that value in the tree's own words."""

    writable = True

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        return edits.markdown_status(task.path, bl.root, task.id, status,
                                     lambda s, o: edits.tree_word(bl, s, o))
