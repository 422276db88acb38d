"""Find the task store without importing the loader (and so yaml/jsonschema).

The one implementation (the loader re-exports it); import-light so the cached planning fast
path can use it. Rules: --tasks-dir, else $TASKCTL_DIR, else the nearest task store upward
from the working directory: a `.tasks/` folder, else the store of another task manager that
taskctl reads (`.taskmaster/`, `.beads/`, Backlog.md's `backlog/`; docs/format.md "Dialects").
A directory given explicitly may be the store itself or the project folder that holds one.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.errors import TasksDirNotFound, UnsafePath


def _refuse_escaping_link(tasks: Path, repo: Path) -> None:
    """A committed `.tasks` symlink pointing out of its repository would make every write
    land there: refuse it (an explicit --tasks-dir is the user's own choice)."""
    if tasks.is_symlink() and not Path(os.path.realpath(tasks)).is_relative_to(
            os.path.realpath(repo)):
        raise UnsafePath(f"{tasks} is a symlink out of its repository "
                         f"(to {os.path.realpath(tasks)})",
                         "pass --tasks-dir to use it on purpose, or make .tasks a real folder")


STORES = (".tasks", ".taskmaster", ".beads", "backlog")  # first found in a folder wins
_MARKERS = {".taskmaster": "tasks/tasks.json", ".beads": "", "backlog": "tasks"}


def store_in(d: Path) -> Path | None:
    """The task store directly inside `d`, if any (a few stat calls)."""
    for name in STORES:
        p = d / name
        marker = _MARKERS.get(name)
        if p.is_dir() and (not marker or (p / marker).exists()):
            return p
    return None


def _given(explicit: str | os.PathLike | None, stores: bool = True) -> Path | None:
    """The directory named by --tasks-dir or $TASKCTL_DIR; a project folder given there stands
    for the store inside it (only `.tasks/` when `stores` is False: a tree to create)."""
    given = explicit or os.environ.get("TASKCTL_DIR")
    if not given:
        return None
    p = Path(given).expanduser()
    if p.is_dir() and p.name not in STORES:
        inner = store_in(p) if stores else (p / ".tasks" if (p / ".tasks").is_dir() else None)
        p = inner or p
    return p


def discover_or_new(explicit: str | os.PathLike | None = None) -> Path:
    """Where a command that creates a tree (`import`) writes: the given directory (it may not
    exist yet), else the nearest `.tasks/` upward, else `./.tasks`."""
    p = _given(explicit, stores=False)
    if p is not None:
        return p.resolve()
    try:
        return discover()
    except TasksDirNotFound:
        return (Path.cwd() / ".tasks").resolve()


def discover(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    """The task store: --tasks-dir, else $TASKCTL_DIR, else the nearest store upward."""
    p = _given(explicit)
    if p is not None:
        given = explicit or os.environ.get("TASKCTL_DIR")
        if not p.is_dir():
            raise TasksDirNotFound(f"tasks directory not found: {given}",
                                   "pass --tasks-dir PATH to an existing .tasks directory")
        return p.resolve()
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        found = store_in(d)
        if found is not None:
            _refuse_escaping_link(found, d)
            return found
    raise TasksDirNotFound(f"no .tasks directory (or other task store) in {here} or any "
                           "parent",
                           "run inside a project with .tasks/, or pass --tasks-dir PATH "
                           "(or set TASKCTL_DIR)")
