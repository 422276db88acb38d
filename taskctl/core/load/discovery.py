"""Find the task store without importing the loader (and so yaml/jsonschema).

The one implementation (the loader re-exports it); import-light so the cached planning fast
path can use it. Rules: --tasks-dir, else $TASKCTL_DIR, else the nearest task store upward
from the working directory: a `.tasks/` folder, else the store of another task manager that
taskctl reads (`.taskmaster/`, `.beads/`, Backlog.md's `backlog/`; docs/format.md "Dialects").
A directory given explicitly may be the store itself or the project folder that holds one.

`find` does it with `os.path` alone and gives a string: a warm read (`cli/quick.py`, its
answer replayed) imports neither `pathlib` (with `re`, `fnmatch`, `urllib.parse`,
`ipaddress`: ≈ 8 ms of a start-up that is ≈ 13 ms without them) nor `taskctl.errors` (and
`enum`) unless it has an error to raise. `discover` is the same as a `Path`.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False  # pathlib only for annotations and where a Path is returned
if TYPE_CHECKING:
    from pathlib import Path

STORES = (".tasks", ".taskmaster", ".beads", "backlog")  # first found in a folder wins
_MARKERS = {".taskmaster": "tasks/tasks.json", ".beads": "", "backlog": "tasks"}


def _name(p: str) -> str:
    """The last part of `p` as `PurePath(p).name` gives it (trailing `/` and `.` parts do
    not count; `..` does)."""
    parts = [c for c in p.split(os.sep) if c not in ("", ".")]
    return parts[-1] if parts else ""


def _within(path: str, base: str) -> bool:
    """`PurePath(path).is_relative_to(base)` for two normalised absolute paths."""
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


_ABSENT = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what pathlib reads as False


def _mode(p: str) -> int | None:
    """`p`'s st_mode (links followed); None where `Path.is_dir`/`Path.exists` say False. Any
    other error (a folder that cannot be searched, a name too long) stops the search with a
    clear error: going on upward would find another project's store."""
    try:
        return os.stat(p).st_mode
    except ValueError:  # a NUL in the name
        return None
    except OSError as e:
        if e.errno in _ABSENT:
            return None
        from taskctl.errors import TasksDirNotFound

        raise TasksDirNotFound(f"cannot look for a task store in {p}: {e.strerror}",
                               "check its permissions, or pass --tasks-dir PATH") from None


def _is_dir(p: str) -> bool:
    m = _mode(p)
    return m is not None and stat.S_ISDIR(m)


def _refuse_escaping_link(tasks: str, repo: str) -> None:
    """A committed `.tasks` symlink pointing out of its repository would make every write
    land there: refuse it (an explicit --tasks-dir is the user's own choice)."""
    if os.path.islink(tasks) and not _within(os.path.realpath(tasks), os.path.realpath(repo)):
        from taskctl.errors import UnsafePath

        raise UnsafePath(f"{tasks} is a symlink out of its repository "
                         f"(to {os.path.realpath(tasks)})",
                         "pass --tasks-dir to use it on purpose, or make .tasks a real folder")


def _store_in(d: str) -> str | None:
    """The task store directly inside `d`, if any (a few stat calls)."""
    for name in STORES:
        p = os.path.join(d, name)
        marker = _MARKERS.get(name)
        if _is_dir(p) and (not marker or _mode(os.path.join(p, marker)) is not None):
            return p
    return None


def _given(explicit: str | os.PathLike | None, stores: bool = True) -> str | None:
    """The directory named by --tasks-dir or $TASKCTL_DIR; a project folder given there stands
    for the store inside it (only `.tasks/` when `stores` is False: a tree to create)."""
    given = explicit or os.environ.get("TASKCTL_DIR")
    if not given:
        return None
    p = os.path.expanduser(os.fspath(given))
    if p.startswith("~"):  # no such user, or no home
        from taskctl.errors import TasksDirNotFound

        raise TasksDirNotFound(f"cannot expand {p.split(os.sep)[0]} in {given}",
                               "give the path in full")
    if _is_dir(p) and _name(p) not in STORES:
        dot = os.path.join(p, ".tasks")
        inner = _store_in(p) if stores else (dot if _is_dir(dot) else None)
        p = inner or p
    return p


def discover_or_new(explicit: str | os.PathLike | None = None) -> Path:
    """Where a command that creates a tree (`import`) writes: the given directory (it may not
    exist yet), else the nearest `.tasks/` upward, else `./.tasks`."""
    from pathlib import Path

    from taskctl.errors import TasksDirNotFound

    p = _given(explicit, stores=False)
    if p is not None:
        return Path(os.path.realpath(p))
    try:
        return discover()
    except TasksDirNotFound as e:
        try:
            cwd = os.getcwd()
        except FileNotFoundError:  # removed under the shell: `find` said so
            raise e from None
        return Path(os.path.realpath(os.path.join(cwd, ".tasks")))


def find(explicit: str | os.PathLike | None = None, cwd: str | None = None) -> str:
    """The task store: --tasks-dir, else $TASKCTL_DIR, else the nearest store upward; raises
    `TasksDirNotFound` (or `UnsafePath` for a `.tasks` link out of its repository)."""
    p = _given(explicit)
    if p is not None:
        if not _is_dir(p):
            from taskctl.errors import TasksDirNotFound

            given = explicit or os.environ.get("TASKCTL_DIR")
            raise TasksDirNotFound(f"tasks directory not found: {given}",
                                   "pass --tasks-dir PATH to an existing .tasks directory")
        return os.path.realpath(p)
    try:
        here = d = os.path.realpath(cwd or os.getcwd())
    except FileNotFoundError:  # the working directory was removed under the shell
        from taskctl.errors import TasksDirNotFound

        raise TasksDirNotFound("the working directory no longer exists",
                               "cd to a project folder, or pass --tasks-dir PATH") from None
    while True:
        found = _store_in(d)
        if found is not None:
            _refuse_escaping_link(found, d)
            return found
        up = os.path.dirname(d)
        if up == d:
            break
        d = up
    from taskctl.errors import TasksDirNotFound

    raise TasksDirNotFound(f"no .tasks directory (or other task store) in {here} or any "
                           "parent",
                           "run inside a project with .tasks/, or pass --tasks-dir PATH "
                           "(or set TASKCTL_DIR)")


def discover(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    """`find`'s store as a `Path`."""
    from pathlib import Path

    return Path(find(explicit, None if cwd is None else str(cwd)))
