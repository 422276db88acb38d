"""Merge-friendly status changes: an event file per change, plus in-place edits of the task
file (front matter `status:`/`completed_at:`, acceptance checkboxes) and the manifest entry.

Order: event file → task file → manifest. The task file wins on load (docs/format.md), so once
it says `completed` the task is completed; the manifest follows under its own lock. Every write
is atomic; re-applying a completion is idempotent (the manifest is brought in line again).

Other dialects (docs/format.md, "Dialects"): the task's reader writes the status back in the
store's own words, touching only that value (taskctl/core/load/readers/), or raises
NotWritable before anything is recorded.

Checkbox rule: a checkbox of `## Acceptance Criteria` belongs to an item when their texts are
equal after normalising (case, whitespace, Markdown emphasis/code marks, trailing punctuation).
Items that passed tick their box; items that failed untick it; others are left alone.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from taskctl.core import records
from taskctl.core.files import atomic, claims, locks
from taskctl.core.files.paths import check_file, confined
from taskctl.core.load import journal
from taskctl.core.load.markdown import CHECKBOX, locate_checkboxes
from taskctl.core.model import Backlog, Task
from taskctl.core.status import TaskStatus
from taskctl.core.write.frontmatter import put

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

UPDATES_DIR = "updates"


def new_run_id(now: str) -> str:
    """`20261122T100000Z-1a2b3c`: sortable, unique enough for per-run file names."""
    # os.urandom, not `secrets`: importing secrets (hmac tables) costs more than a one-task
    # write; these are names, not keys
    return now.replace("-", "").replace(":", "") + "-" + os.urandom(3).hex()


def normalise(text: str) -> str:
    t = re.sub(r"[*_`~]+", "", text).casefold()
    return re.sub(r"\s+", " ", t).strip().rstrip(".:;!").strip()


def event(task_id: str, action: str, old: str, new: str, by: str, evidence_id: str | None,
          at: str, **extra: Any) -> tuple[str, str]:
    """(path relative to the tasks dir, JSON text) of one event file: who, when, from -> to.
    Keys with a None value among `extra` are left out."""
    stamp = at.replace(":", "-")
    run = evidence_id or new_run_id(at)
    # `at` has second resolution; `at_ns` keeps events of one second in the order they
    # happened (history sorts on it; file names end in a random run id)
    data = {"task": task_id, "action": action, "from": old, "to": new, "by": by, "at": at,
            "at_ns": time.time_ns(), "evidence_id": evidence_id,
            **{k: v for k, v in extra.items() if v is not None}}
    return (f"{UPDATES_DIR}/{stamp}-{task_id}-{run}.json",
            json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def record_event(root: Path, task_id: str, action: str, old: str, new: str, by: str,
                 evidence_id: str | None, at: str, **extra: Any) -> Path:
    rel, text = event(task_id, action, old, new, by, evidence_id, at, **extra)
    path = confined(root, *rel.split("/"))  # an id can never place it outside updates/
    atomic.write_text(path, text)
    return path


_DONE_AT_ALIASES = ("completed",)  # not a status: the key alias of completed_at


def edit_status(text: str, fmt: str, status: str, completed_at: str | None,
                drop_completed_at: bool = False) -> str:
    """Set top-level `status:` (after `id:` when it has none) and `completed_at:` (after
    `status:`; `completed:` keeps its spelling), or drop it when a task is reopened, in the
    YAML part (`frontmatter.put`: whatever the key's YAML style); nothing else changes."""
    text = put(text, fmt, "status", status, after=("id",))
    if drop_completed_at:
        text = put(text, fmt, "completed_at", None, _DONE_AT_ALIASES)
    if completed_at:
        text = put(text, fmt, "completed_at", f'"{completed_at}"', _DONE_AT_ALIASES,
                   after=("status",), keep_name=True)
    return text


def edit_checkboxes(text: str, passed: list[str], failed: list[str]) -> str:
    want = {normalise(c): False for c in failed}
    want.update({normalise(c): True for c in passed})
    lines = text.split("\n")
    for box in locate_checkboxes(text):
        state = want.get(normalise(box.text))
        if state is None or state == box.checked:
            continue
        m = CHECKBOX.match(lines[box.line - 1])
        lines[box.line - 1] = m.group(1) + ("x" if state else " ") + m.group(3) + m.group(4)
    return "\n".join(lines)


CANONICAL_FORMATS = ("front-matter", "yaml", "manifest")


def in_dialect(task: Task) -> bool:
    """Was `task` read by another dialect's reader (not the canonical loader)?"""
    return task.format not in CANONICAL_FORMATS


def write_back(bl: Backlog, task: Task, status: str, completed_at: str | None) -> bool:
    """Write a status change in the task's own dialect. True if a file changed."""
    from taskctl.core.load.readers.registry import get

    return get(task.format).write_status(bl, task, status, completed_at)


def update_task_file(task: Task, status: str | None, completed_at: str | None,
                     passed: list[str], failed: list[str], root: Path | None = None,
                     bl: Backlog | None = None) -> bool:
    """Rewrite the task file atomically when something changes. True if it was written.
    With `root` (the tasks directory) the file must lie under it, through real folders."""
    if in_dialect(task):
        return bl is not None and status is not None and write_back(bl, task, status,
                                                                    completed_at)
    if task.path is None or task.format == "manifest":
        return False
    text = task.path.read_text(encoding="utf-8")
    new = text
    if status is not None:
        new = edit_status(new, task.format, status, completed_at)
    if task.format == "front-matter":
        new = edit_checkboxes(new, passed, failed)
    if new == text:
        return False
    atomic.write_text(check_file(root, task.path) if root is not None else task.path, new)
    return True


def update_manifest(root: Path, task_id: str, status: str, completed_at: str | None,
                    bl: Backlog | None = None, drop_completed_at: bool = False) -> str | None:
    """Read-modify-write of the manifest entry under the manifest lock. With `bl`, the derived
    data (stats, critical path) is regenerated in the same write, so `taskctl sync` stays clean.
    Returns the warning to say when the manifest is there but cannot be patched (not JSON, not
    an object with a `tasks` list: `change.read_manifest`); it is left as it is, the task file
    stays the truth and `taskctl validate` reports it. None otherwise (patched, or nothing to
    patch: no manifest, no entry, the entry already says so)."""
    from taskctl.core.write import change

    path = confined(root, "manifest.json")
    if not path.exists():
        return None
    with locks.manifest_lock(root):
        data, why, before = change.read_manifest_bytes(path)
        if data is None:
            return change.not_patched(why or "it cannot be read")
        tasks = data.get("tasks", [])
        for i, entry in enumerate(tasks):
            if isinstance(entry, dict) and entry.get("id") == task_id:
                if entry.get("status") == status and (
                        completed_at is None or entry.get("completed_at")) and not (
                        drop_completed_at and "completed_at" in entry):
                    return None
                entry["status"] = status
                if drop_completed_at:
                    entry.pop("completed_at", None)
                if completed_at:
                    entry["completed_at"] = completed_at
                derived: dict = {}
                if bl is not None:
                    from taskctl.core.write import sync

                    derived = _derived(bl, tasks)
                    sync.put_derived(data, derived)
                change.write_recorded(root, path, data, journal.digest(before), {i: entry}
                                      if set(derived) <= journal.DERIVED else None)
                return None
    return None


def _derived(bl: Backlog, entries: list) -> dict:
    """Derived manifest data from the statuses in the locked manifest (other verify processes
    may have completed tasks since `bl` was loaded: the manifest holds the merged truth)."""
    from taskctl.core.load import normalize
    from taskctl.core.write import sync

    statuses = {}
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("status"), str):
            try:
                statuses[e.get("id")] = normalize.status(e["status"], ("status",), [])
            except normalize.UnknownValue:
                pass
    tasks = dict(bl.tasks)
    for tid, s in statuses.items():  # a task copied only when its status differs
        t = tasks.get(tid)
        if t is not None and s and not (type(s) is type(t.status) and s == t.status):
            tasks[tid] = records.replace(t, status=s)
    return sync.derived(records.replace(bl, tasks=tasks))


def complete(bl: Backlog, task: Task, at: str, by: str, evidence_id: str,
             passed: list[str], items: dict[str, str]) -> list[str]:
    """Mark `task` completed (event, task file, manifest). Returns the warnings of what could
    not be written (a manifest left as it was: `update_manifest`)."""
    old = task.status
    done = TaskStatus.COMPLETED
    if in_dialect(task):  # write first: a store that cannot take it records nothing
        write_back(bl, task, done, at if old != done else None)
        if old != done:
            record_event(bl.root, task.id, "complete", old, done, by, evidence_id, at,
                         items=items)
        task.status = done
        return []
    if old != done:
        record_event(bl.root, task.id, "complete", old, done, by, evidence_id, at, items=items)
    update_task_file(task, done, at if old != done else None, passed, [], bl.root)
    why = update_manifest(bl.root, task.id, done, at if old != done else None, bl)
    claims.remove(bl.root, task.id)  # done work holds nobody
    task.status = done
    return [why] if why else []


def reopen(bl: Backlog, task: Task, at: str, by: str, reason: str) -> list[str]:
    """A completed task whose acceptance failed again goes back to pending (event, task file
    without `completed_at`, manifest). The failing evidence is already recorded. Returns the
    warnings of what could not be written, as `complete` does."""
    old, new = task.status, TaskStatus.PENDING
    record_event(bl.root, task.id, "reopen", old, new, by, None, at, reason=reason)
    if task.path is not None and task.format != "manifest":
        text = task.path.read_text(encoding="utf-8")
        atomic.write_text(task.path, edit_status(text, task.format, new, None, True))
    why = update_manifest(bl.root, task.id, new, None, bl, drop_completed_at=True)
    task.status, task.completed_at = new, None
    return [why] if why else []
