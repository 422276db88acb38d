"""Backlog.md's store: `backlog/tasks/task-<n> - <Title>.md` (github.com/MrLesk/Backlog.md).

Front matter: `id` (task-12, subtasks task-12.1), `title`, `status` (the words of
`backlog/config.yml` `statuses`, by default "To Do", "In Progress", "Done"), `assignee`,
`labels`, `milestone`, `dependencies` (ids), `priority` (high/medium/low), `parent_task_id`,
dates; the body holds `## Description` and `## Acceptance Criteria` checkboxes. Finished tasks
may move to `backlog/completed/`; `drafts/`, `archive/`, `docs/` and `decisions/` are not tasks.
"""

from __future__ import annotations

import re
from pathlib import Path

from taskctl.core.load import safeyaml
from taskctl.core.load.readers import edits, mdmeta
from taskctl.core.load.readers.base import Build, Reader, Record, Top
from taskctl.core.model import Backlog, Task
from taskctl.core.status import TaskStatus

COMPLETED_DIR = "completed"  # not a status: the folder of finished tasks
DIRS = ("tasks", COMPLETED_DIR)
NOT_TASKS = ("drafts", "archive", "docs", "decisions", "config.yml", "config.yaml")
BACK = {TaskStatus.PENDING: "To Do", TaskStatus.IN_PROGRESS: "In Progress",
        TaskStatus.COMPLETED: "Done"}


def statuses(root: Path) -> list[str]:
    """The configured status words, first = to do, last = done."""
    try:
        cfg = safeyaml.load(safeyaml.read_text(root / "config.yml", root))
        st = cfg.get("statuses") if isinstance(cfg, dict) else None
        if isinstance(st, list) and len(st) >= 2 and all(isinstance(s, str) for s in st):
            return st
    except (OSError, safeyaml.FileIssue):
        pass
    return ["To Do", "In Progress", "Done"]


class BacklogMdReader(Reader):
    name = "backlog-md"
    label = "Backlog.md (backlog/tasks/*.md)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        if "tasks" not in top.dirs:
            return False
        return root.name == "backlog" or ("config.yml" in top.files
                                          and top.first_in("tasks", (".md",)) == ".md")

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        return rel_parts[0] in NOT_TASKS

    def unread_reason(self, rel_parts: tuple[str, ...]) -> str:
        return "Backlog.md keeps tasks in tasks/ and completed/"

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        words = statuses(root)
        vocab = {w.casefold(): TaskStatus.PENDING for w in words[:1]}
        vocab.update({w.casefold(): TaskStatus.IN_PROGRESS for w in words[1:-1]})
        vocab[words[-1].casefold()] = TaskStatus.COMPLETED
        for sub in DIRS:
            d = root / sub
            for path in sorted(d.glob("*.md")) if d.is_dir() else []:
                text = b.text(path)
                if text is None:
                    continue
                md = mdmeta.read(text)
                data = dict(md.data)
                if "id" not in data:
                    m = re.match(r"^([A-Za-z]+-[\d.]+)", path.stem)
                    data["id"] = m.group(1) if m else path.stem
                st = data.get("status")
                if isinstance(st, str) and st.casefold() in vocab:
                    data["status"] = vocab[st.casefold()]
                elif sub == COMPLETED_DIR and not st:
                    data["status"] = TaskStatus.COMPLETED
                data["depends_on"] = [str(x) for x in data.get("depends_on") or []] \
                    if isinstance(data.get("depends_on"), list) else data.get("depends_on")
                if isinstance(data.get("labels"), list):
                    data["tags"] = data.pop("labels")
                if isinstance(data.get("tags"), str):
                    data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
                task = b.add(Record(data, path, md.lines, md.body, md.body_line, text), bodies)
                if task is not None and data.get("parent_task_id"):
                    task.extra["parent_task_id"] = data["parent_task_id"]
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        words = statuses(bl.root)
        back = {TaskStatus.PENDING: words[0], TaskStatus.IN_PROGRESS: words[1],
                TaskStatus.COMPLETED: words[-1]}
        new = back.get(TaskStatus(status))
        if new is None:
            raise edits._refuse(task.id, f"Backlog.md has no status for {status} (statuses: "
                                f"{', '.join(words)})")
        return edits.markdown_status(task.path, bl.root, task.id, status, lambda s, old: new)


READER = BacklogMdReader()
