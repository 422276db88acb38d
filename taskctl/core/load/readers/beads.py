"""beads' store: `.beads/issues.jsonl`, one issue per line (github.com/steveyegge/beads).

An issue has `id` ("bd-a1b2", children "bd-a1b2.1"), `title`, `description`, `status` (open,
in_progress, blocked, deferred, closed; `tombstone` is a deleted issue and is skipped),
`priority` 0..4 (P0..P4), `issue_type`, `labels`, timestamps and `dependencies`: records
`{"issue_id", "depends_on_id", "type"}` where type `blocks` is a scheduling dependency (other
types — parent-child, related, discovered-from — are kept as `extra`). `acceptance_criteria`
text is kept as a section.
"""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load.readers import edits, jsonpos
from taskctl.core.load.readers.base import Build, Reader, Record, Top
from taskctl.core.model import Backlog, Task
from taskctl.core.status import TaskStatus

STATUS = {"open": TaskStatus.PENDING, "in_progress": TaskStatus.IN_PROGRESS,
          "blocked": TaskStatus.BLOCKED, "deferred": TaskStatus.DEFERRED,
          "closed": TaskStatus.COMPLETED, "pinned": TaskStatus.PENDING,
          "hooked": TaskStatus.IN_PROGRESS}
BACK = {  # beads' own words, some spelled like ours
    TaskStatus.PENDING: "open",
    TaskStatus.IN_PROGRESS: "in_progress",  # not a status: beads' word
    TaskStatus.BLOCKED: "blocked",  # not a status: beads' word
    TaskStatus.DEFERRED: "deferred",  # not a status: beads' word
        TaskStatus.COMPLETED: "closed", TaskStatus.CANCELLED: "closed"}
STORE = "issues.jsonl"
LEGACY = "beads.jsonl"


def store(root: Path) -> Path:
    return root / STORE if (root / STORE).exists() or not (root / LEGACY).exists() \
        else root / LEGACY


# an issue's keys read into the task (its fields, its body's sections); the others are kept
# in its `extra` as they are
_MODELLED = frozenset({"id", "title", "status", "priority", "dependencies", "labels",
                       "description", "created_at", "updated_at", "closed_at", "design",
                       "acceptance_criteria", "notes"})


class BeadsReader(Reader):
    name = "beads"
    label = "beads (.beads/issues.jsonl)"
    writable = True

    def detect(self, root: Path, top: Top) -> bool:
        return STORE in top.files or (root.name == ".beads" and LEGACY in top.files)

    def known(self, rel_parts: tuple[str, ...]) -> bool:
        # the SQLite cache, daemon state, config, deletion and interaction logs
        return len(rel_parts) == 1 and not rel_parts[0].endswith(".md")

    def load(self, root: Path, bodies: bool = True, use_cache: bool = True) -> Backlog:
        b = Build(root, self)
        path = store(root)
        text = b.text(path, 64 << 20) if path.exists() else ""
        for n, line in enumerate((text or "").split("\n"), 1):
            if not line.strip():
                continue
            try:
                doc = jsonpos.parse(line)
            except jsonpos.JsonError as e:
                b.bl.problems.append(problem_at(b, path, n, e))
                continue
            issue = doc.value
            if not isinstance(issue, dict) or issue.get("status") == "tombstone":
                continue
            deps, other = [], []
            for d in issue.get("dependencies") or []:
                if isinstance(d, dict) and d.get("depends_on_id"):
                    kind = d.get("type") or "blocks"
                    (deps if kind == "blocks" else other).append(
                        d["depends_on_id"] if kind == "blocks"
                        else {"type": kind, "id": d["depends_on_id"]})
                elif isinstance(d, str):
                    deps.append(d)
            st = issue.get("status", "open")
            data = {"id": issue.get("id"), "title": issue.get("title") or "",
                    "status": STATUS.get(st, st) if isinstance(st, str) else st,
                    "priority": issue.get("priority"), "depends_on": deps,
                    "tags": issue.get("labels") if isinstance(issue.get("labels"), list) else [],
                    "description": issue.get("description") or "",
                    "created_at": issue.get("created_at"), "updated_at": issue.get("updated_at"),
                    "completed_at": issue.get("closed_at")}
            body = ""
            for head, key in (("Design", "design"), ("Acceptance Criteria", "acceptance_criteria"),
                              ("Notes", "notes")):
                if isinstance(issue.get(key), str) and issue[key].strip():
                    body += f"## {head}\n{issue[key].strip()}\n\n"
            task = b.add(Record(data, path, {"id": n, "status": n, "depends_on": n}, body, n),
                         bodies)
            if task is not None:
                if st == "closed" and issue.get("close_reason") in ("wontfix", "won't fix",
                                                                    "duplicate"):
                    task.status = TaskStatus.CANCELLED
                # what taskctl does not model stays the task's own (`show`, `convert`)
                task.extra.update({k: v for k, v in issue.items() if k not in _MODELLED})
                if other:
                    task.extra["links"] = other
        return b.finish()

    def write_status(self, bl: Backlog, task: Task, status: str,
                     completed_at: str | None) -> bool:
        from taskctl.core.files import atomic
        from taskctl.core.load import safeyaml

        new = BACK.get(TaskStatus(status))
        if new is None:
            raise edits._refuse(task.id, f"beads has no status for {status}")
        text = safeyaml.read_text(task.path, bl.root, limit=64 << 20)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if f'"{task.id}"' not in line:
                continue
            doc = jsonpos.parse(line)
            if isinstance(doc.value, dict) and doc.value.get("id") == task.id:
                if doc.value.get("status") == new:
                    return False
                lines[i] = jsonpos.set_member(line, doc, doc.value, "status", new)
                atomic.write_text(task.path, "\n".join(lines))
                return True
        raise edits._refuse(task.id, f"it is no longer in {task.path.name}")


def problem_at(b: Build, path: Path, n: int, e: jsonpos.JsonError):
    from taskctl.core.problems import problem

    return problem("json-syntax", f"JSON syntax error on line {n}: {e.msg}", file=b.rel(path),
                   line=n, column=e.pos + 1)


READER = BeadsReader()
