"""Find the `.tasks` directory without importing the loader (and so yaml/jsonschema).

The one implementation (the loader re-exports it); import-light so the cached planning fast
path can use it. Rules: --tasks-dir, else $TASKCTL_DIR, else the nearest `.tasks/` upward
from the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.errors import TasksDirNotFound


def discover(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    given = explicit or os.environ.get("TASKCTL_DIR")
    if given:
        p = Path(given).expanduser()
        if p.is_dir() and p.name != ".tasks" and (p / ".tasks").is_dir():
            p = p / ".tasks"
        if not p.is_dir():
            raise TasksDirNotFound(f"tasks directory not found: {given}",
                                   "pass --tasks-dir PATH to an existing .tasks directory")
        return p.resolve()
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / ".tasks").is_dir():
            return d / ".tasks"
    raise TasksDirNotFound(f"no .tasks directory in {here} or any parent",
                           "run inside a project with .tasks/, or pass --tasks-dir PATH "
                           "(or set TASKCTL_DIR)")
