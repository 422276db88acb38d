"""Find the `.tasks` directory without importing the loader (and so yaml/jsonschema).

The one implementation (the loader re-exports it); import-light so the cached planning fast
path can use it. Rules: --tasks-dir, else $TASKCTL_DIR, else the nearest `.tasks/` upward
from the working directory.
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


def _given(explicit: str | os.PathLike | None) -> Path | None:
    given = explicit or os.environ.get("TASKCTL_DIR")
    if not given:
        return None
    p = Path(given).expanduser()
    if p.is_dir() and p.name != ".tasks" and (p / ".tasks").is_dir():
        p = p / ".tasks"
    return p


def discover_or_new(explicit: str | os.PathLike | None = None) -> Path:
    """Where a command that creates a tree (`import`) writes: the given directory (it may not
    exist yet), else the nearest `.tasks/` upward, else `./.tasks`."""
    p = _given(explicit)
    if p is not None:
        return p.resolve()
    try:
        return discover()
    except TasksDirNotFound:
        return (Path.cwd() / ".tasks").resolve()


def discover(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    """The tasks directory: --tasks-dir, else $TASKCTL_DIR, else the nearest `.tasks/` upward."""
    p = _given(explicit)
    if p is not None:
        given = explicit or os.environ.get("TASKCTL_DIR")
        if not p.is_dir():
            raise TasksDirNotFound(f"tasks directory not found: {given}",
                                   "pass --tasks-dir PATH to an existing .tasks directory")
        return p.resolve()
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / ".tasks").is_dir():
            _refuse_escaping_link(d / ".tasks", d)
            return d / ".tasks"
    raise TasksDirNotFound(f"no .tasks directory in {here} or any parent",
                           "run inside a project with .tasks/, or pass --tasks-dir PATH "
                           "(or set TASKCTL_DIR)")
