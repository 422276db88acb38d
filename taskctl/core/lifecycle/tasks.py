"""Find one task without loading the whole tree, and run a change under the tree lock.

Single-task commands (claim, set, log, block, ...) read the manifest (one JSON file) and the
task's own file: a whole-tree load costs more than the command itself. The manifest entries
stand in for the other tasks (dependency statuses); every taskctl write keeps them equal to the
task files (docs/agents.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from taskctl.core.files import locks
from taskctl.core.load import specs, taskfile
from taskctl.core.load.safeyaml import FileIssue
from taskctl.core.model import Task
from taskctl.core.write import change
from taskctl.errors import UnknownTask, UsageError

# Not imported here: the loader (its module graph costs more than a one-task write). Only a
# task whose file is not where its manifest entry says needs its file search (`locate`).


def check_id(tid: str) -> str:
    """`tid` when it is a task id by THE grammar (`core/load/ids.py`: what the loader accepts;
    a newline at its end is refused too), else UsageError (exit 2)."""
    from taskctl.core.load import ids

    if ids.id_problem(tid) is not None:
        raise UsageError(f"bad task id {tid!r}", ids.ID_HINT)
    return tid


def check_agent(agent: str) -> str:
    a = (agent or "").strip()
    if not a or len(a) > 100 or any(c in a for c in "\n\r\t"):
        raise UsageError(f"bad agent name {agent!r}", "one line, 1-100 characters")
    return a


def manifest_or_why(root: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the manifest's data, None); (None, None) when there is none; (None, why) when one is
    there that a write cannot patch (`change.read_manifest`)."""
    path = root / "manifest.json"
    if not path.exists():
        return None, None
    return change.read_manifest(path)


def entries(data: dict[str, Any] | None) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for e in (data or {}).get("tasks", []) if isinstance((data or {}).get("tasks"), list) else []:
        if isinstance(e, dict) and isinstance(e.get("id"), str):
            out.setdefault(e["id"], e)
    return out


class TaskRef(NamedTuple):
    """One task as read from its file (the truth) plus its manifest entry, if any. (A
    NamedTuple, not a dataclass: defining one costs ~0.5 ms of every one-task write.)"""

    root: Path
    task: Task
    path: Path
    text: str
    format: str
    entry: dict | None
    others: dict[str, dict]  # all manifest entries, by id
    unusable: str | None = None  # why the manifest (there) cannot be patched: `left_alone`

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(self.root))

    def status_of(self, tid: str) -> str | None:
        """Another task's status, from its manifest entry."""
        e = self.others.get(tid)
        if e is None:
            return None
        t, _ = specs.from_mapping(e, "entry", tid)
        return t.status


def candidates(root: Path, tid: str, entry: dict | None) -> Iterator[Path]:
    """The files that may hold task `tid`, the likeliest first: its entry's `file`, that
    name in tasks/ or completed/ (moved), then every task file whose name says `tid`."""
    declared = entry.get("file") if entry else None
    if isinstance(declared, str) and declared:
        p = Path(os.path.normpath(root / declared))
        if root in p.parents and p.is_file():
            yield p
    from taskctl.core.load import loader

    if isinstance(declared, str) and declared:
        for sub in loader.TASK_DIRS:
            alt = root / sub / Path(declared).name
            if alt.is_file():
                yield alt
    for p in loader.task_files(root):
        if loader.filename_matches(p, tid):
            yield p


def find(root: Path, tid: str) -> TaskRef:
    """The task `tid`: its file parsed (UnknownTask / UsageError when it cannot be used). A
    completion summary in completed/ (no front matter, or none with an id: the loader skips
    those too) is passed over for the next candidate."""
    data, unusable = manifest_or_why(root)
    ents = entries(data)
    raw = None
    for path in candidates(root, check_id(tid), ents.get(tid)):
        summary_allowed = _in_completed(path, root)
        try:
            raw = taskfile.read(path, root, require_front_matter=not summary_allowed)
        except FileIssue as e:
            at = f"{path.relative_to(root.parent)}" + (f":{e.line}" if e.line else "")
            raise UsageError(f"{at}: {e.message}; not changed",
                             "fix the file first (`taskctl validate`)") from None
        if raw is not None and not (summary_allowed and "id" not in raw.data):
            break
        raw = None
    if raw is None:
        raise UnknownTask(f"unknown task id {tid}" if tid not in ents else
                          f"{tid} has no task file", "see `taskctl list` for the ids")
    # "entry": the same normalisation without the schema check (a compiled validator costs
    # more than the edit; `validate` reports schema problems)
    task, _ = specs.from_mapping(raw.data, "entry", _fallback_id(raw.data, path))
    if task.id != tid:
        raise UsageError(f"{path.name} says id {task.id}, not {tid}", "see `taskctl validate`")
    task.path, task.format = path, raw.format
    return TaskRef(root, task, path, raw.text, raw.format, ents.get(tid), ents, unusable)


def _in_completed(path: Path, root: Path) -> bool:
    from taskctl.core.load.taskpaths import rel_parts

    return rel_parts(path, root)[1]


def _fallback_id(data: dict, path: Path) -> str:
    """The id from the file name, which `from_mapping` uses only when the file names none."""
    tid = data.get("id")
    if isinstance(tid, str) and tid:
        return ""  # unused: the file's own id wins
    from taskctl.core.load import loader

    return loader.id_from_filename(path)


def left_alone(ref: TaskRef) -> list[str]:
    """The warning for a change of `ref` that would patch its manifest entry, when the
    manifest is there but cannot be patched (the task file is written all the same)."""
    return [change.not_patched(ref.unusable)] if ref.unusable else []


def said(out: dict, ch: change.Change | None) -> dict:
    """`out`, with what applying `ch` could not do (`Change.warnings`: a manifest it could
    not read, left as it was) under "warnings", for the command to say."""
    if ch is not None and ch.warnings:
        out["warnings"] = list(ch.warnings)
    return out


@contextmanager
def locked(root: Path) -> Iterator[list[str]]:
    """The tree lock, with any change a killed process left behind finished first.
    Yields a list of notes about such repairs."""
    with locks.tree_lock(root):
        note = change.recover(root)
        yield [note] if note else []


def run(root: Path, build: Callable[[], change.Change | None],
        task_id: str | None = None) -> change.Change | None:
    """Build a change under the tree lock (and the task's lock: a verification of it in
    progress makes this LockBusy, exit 3) and apply it there."""
    with locked(root):
        if task_id is None:
            ch = build()
        else:
            with locks.task_lock(root, check_id(task_id)):
                ch = build()
                if ch is not None:
                    change.apply(root, ch)
                return ch
        if ch is not None:
            change.apply(root, ch)
        return ch
