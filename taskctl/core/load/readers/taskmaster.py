"""Task Master's store: `.taskmaster/tasks/tasks.json` (docs.task-master.dev, "Task Structure").

Shape: tagged `{"master": {"tasks": [...], "metadata": {...}}, "<tag>": {...}}` or the legacy
`{"tasks": [...]}`. A task has integer `id`, `title`, `description`, `status` (pending,
in-progress, review, done, deferred, cancelled, blocked), `dependencies` (ids), `priority`
(high/medium/low), `details`, `testStrategy` and `subtasks` (ids 1..n inside their parent;
their dependencies name siblings by number or other subtasks as "P.S").

Mapping: subtask S of task P is task "P.S"; a parent depends on its subtasks (it is done when
they are). The tag read is `.taskmaster/state.json`'s `currentTag`, `$TASKCTL_TAG`, else
"master"; tasks in other tags are counted in a warning, never dropped silently. A
`testStrategy` that is a runnable command (a single backticked command, or one line starting
with a test runner) becomes an executable acceptance item.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from taskctl.core.load.readers import edits
from taskctl.core.load.readers.base import Build, Reader, Record, Top
from taskctl.core.model import Backlog, Task
from taskctl.core.problems import problem
from taskctl.core.status import TaskStatus

STATUS = {"pending": TaskStatus.PENDING, "in-progress": TaskStatus.IN_PROGRESS,
          "review": TaskStatus.IN_PROGRESS, "done": TaskStatus.COMPLETED,
          "deferred": TaskStatus.DEFERRED, "cancelled": TaskStatus.CANCELLED,
          "blocked": TaskStatus.BLOCKED}
BACK = {  # Task Master's own words, some spelled like ours
    TaskStatus.PENDING: "pending",  # not a status: Task Master's word
    TaskStatus.IN_PROGRESS: "in-progress", TaskStatus.COMPLETED: "done",
    TaskStatus.DEFERRED: "deferred",  # not a status: Task Master's word
    TaskStatus.CANCELLED: "cancelled",  # not a status: Task Master's word
    TaskStatus.BLOCKED: "blocked",  # not a status: Task Master's word
        TaskStatus.COMPLETED_UNVERIFIED: "review"}
_RUNNERS = re.compile(r"^(?:pytest|python3?|npm|npx|pnpm|yarn|bun|make|go|cargo|bash|sh|"
                      r"node|deno|uv|poetry|tox|nox|dotnet|mvn|gradle|\./)\b")
_BACKTICKED = re.compile(r"^`([^`\n]+)`\s*$")


def runnable(strategy: object) -> str | None:
    """The command in a testStrategy that is nothing but a command; None for prose."""
    if not isinstance(strategy, str):
        return None
    s = strategy.strip()
    m = _BACKTICKED.match(s)
    if m:
        return m.group(1).strip()
    if "\n" not in s and _RUNNERS.match(s):
        return s
    return None


def tasks_file(root: Path) -> Path:
    return root / "tasks" / "tasks.json"


def current_tag(root: Path) -> str:
    tag = os.environ.get("TASKCTL_TAG")
    if tag:
        return tag
    try:
        state = json.loads((root / "state.json").read_text(encoding="utf-8"))
        if isinstance(state, dict) and isinstance(state.get("currentTag"), str):
            return state["currentTag"]
    except (OSError, ValueError):
        pass
    return "master"


def task_list(data: object, tag: str) -> tuple[list | None, dict[str, int]]:
    """(the tag's task list, {other tag: task count})."""
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        return data["tasks"], {}  # legacy, untagged
    if not isinstance(data, dict):
        return None, {}
    others = {k: len(v["tasks"]) for k, v in data.items() if k != tag and isinstance(v, dict)
              and isinstance(v.get("tasks"), list)}
    chosen = data.get(tag)
    return (chosen["tasks"] if isinstance(chosen, dict) and isinstance(chosen.get("tasks"), list)
            else None), others


# a task's keys read into the task (its fields, body sections, subtasks); the others are kept
# in its `extra` as they are
_MODELLED = frozenset({"id", "title", "status", "priority", "dependencies", "description",
                       "details", "testStrategy", "subtasks"})


class TaskmasterReader(Reader):
    name = "taskmaster"
    label = "Task Master (.taskmaster/tasks/tasks.json)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return (root.name == ".taskmaster" or "config.json" in top.files
                or "state.json" in top.files) and tasks_file(root).is_file()

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        # config, state, complexity reports, PRDs and the generated task_NNN.txt views
        return (rel_parts[0] in ("config.json", "state.json", "reports", "docs", "templates")
                or (rel_parts[0] == "tasks" and rel_parts[-1].endswith(".txt")))

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self, int_ids_normal=True)
        path = tasks_file(root)
        b.read(root / "config.json", root / "state.json")
        doc = b.json(path)
        if doc is not None:
            tag = current_tag(root)
            tasks, others = task_list(doc.value, tag)
            if tasks is None:
                b.problem("task-schema", f"tasks.json has no task list for tag {tag!r}"
                          + (f" (tags: {', '.join(others)})" if others else ""), path, 1)
            for tname, n in others.items():
                b.bl.problems.append(problem(
                    "unread-file", f"tag {tname!r} holds {n} task(s), not read (reading tag "
                    f"{tag!r})", file=b.rel(path), line=1,
                    hint=f"TASKCTL_TAG={tname} taskctl ... reads that tag"))
            for t in tasks or []:
                self._task(b, doc, path, t, bodies)
        return b.finish()

    def _task(self, b: Build, doc, path: Path, t: object, bodies: bool, parent=None) -> None:
        if not isinstance(t, dict):
            return
        pid = parent["id"] if parent else None
        tid = f"{pid}.{t.get('id')}" if parent else t.get("id")
        deps = []
        for d in t.get("dependencies") or []:
            if parent and isinstance(d, int):
                deps.append(f"{pid}.{d}")  # a sibling subtask, by number
            elif not isinstance(d, bool) and isinstance(d, (int, str, float)):
                deps.append(str(d))
        subs = [s for s in t.get("subtasks") or [] if isinstance(s, dict)]
        if not parent:
            deps += [f"{tid}.{s.get('id')}" for s in subs]
        status = t.get("status")
        data = {"id": str(tid) if tid is not None else None, "title": t.get("title") or "",
                "status": STATUS.get(status, status) if isinstance(status, str) else status,
                "priority": t.get("priority") or (parent or {}).get("priority"),
                "depends_on": deps, "description": t.get("description") or ""}
        lines = {k: doc.line_of(t, src) for k, src in (
            ("id", "id"), ("title", "title"), ("status", "status"), ("priority", "priority"),
            ("depends_on", "dependencies"), ("description", "description"))}
        body = ""
        for head, key in (("Details", "details"), ("Test Strategy", "testStrategy")):
            if isinstance(t.get(key), str) and t[key].strip():
                body += f"## {head}\n{t[key].strip()}\n\n"
        task = b.add(Record(data, path, {k: v for k, v in lines.items() if v}, body,
                            doc.line_of(t) or 1), bodies)
        if task is None:
            return
        task.phase = f"task {pid}" if parent else None
        # what taskctl does not model stays the task's own (`show`, `convert`)
        task.extra.update({k: v for k, v in t.items() if k not in _MODELLED})
        cmd = runnable(t.get("testStrategy"))
        if cmd:
            from taskctl.core.load.specs import acceptance_items

            task.acceptance = acceptance_items([{"criterion": f"testStrategy: {cmd}",
                                                 "run": cmd}])
        for s in subs:
            self._task(b, doc, path, s, bodies, {"id": tid, "priority": t.get("priority")})

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        tag = current_tag(bl.root)
        top, _, sub = task.id.partition(".")

        def find(doc):
            for t in task_list(doc.value, tag)[0] or []:
                if isinstance(t, dict) and str(t.get("id")) == top:
                    if not sub:
                        return t
                    for s in t.get("subtasks") or []:
                        if isinstance(s, dict) and str(s.get("id")) == sub:
                            return s
            return None

        return edits.json_status(task.path, bl.root, task.id, find, BACK[TaskStatus(status)])


READER = TaskmasterReader()
