"""THE confined join: every path taskctl writes under `.tasks/` is built here.

`confined(root, "evidence", task_id, "item-01.json")` returns the path only when each part is
one plain path component (no separators, no `..`, no NUL) and no folder between `root` and the
file is a symlink — so neither a hostile id nor a symlinked `.tasks/evidence` (or `updates`,
`logs`, `.locks`, `tasks`) can make a write land outside the tasks directory. It raises
`UnsafePath` (exit 2) otherwise. `check_file` applies the same rule to a file path found by the
loader (task files) before it is rewritten.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from taskctl.errors import UnsafePath

_BAD_PARTS = ("", ".", "..")


def _check_part(part: str) -> None:
    if part in _BAD_PARTS or "/" in part or "\\" in part or "\0" in part or "\n" in part:
        raise UnsafePath(f"refusing to write: {part!r} is not a plain file name",
                         "task ids and file names may not contain path separators or '..'")


def _check_dirs(root: Path, parts: tuple[str, ...]) -> None:
    """No folder from `root` down to the file's parent may be a symlink (or a non-folder)."""
    d = root
    for part in parts:
        d = d / part
        try:
            st = os.lstat(d)
        except FileNotFoundError:
            return  # created later by us, as a real folder
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePath(f"refusing to write through a symlinked folder: {d} -> "
                             f"{os.readlink(d)}",
                             "replace the symlink with a real folder inside .tasks")


def confined(root: Path, *parts: str) -> Path:
    """`root/part/...`, guaranteed to stay inside `root` (see the module docstring)."""
    for part in parts:
        _check_part(part)
    _check_dirs(Path(root), parts[:-1])
    path = Path(root).joinpath(*parts)
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode) and not _inside(path, root):
            raise UnsafePath(f"refusing to write through a symlink out of the tasks "
                             f"directory: {path}", "replace the symlink with a real file")
    except FileNotFoundError:
        pass
    return path


def confined_dir(root: Path, *parts: str) -> Path:
    """A state folder under `root`, created (as a real folder) when missing."""
    d = confined(root, *parts, "_")  # checks every part, and that none is a symlink
    d = d.parent
    d.mkdir(parents=True, exist_ok=True)
    _check_dirs(Path(root), parts)  # a racing symlink swap shows up here
    return d


def git_ignored(d: Path) -> Path:
    """`d` with a `.gitignore` of `*` in it (written once): what taskctl keeps there is this
    machine's (locks, run logs), never committed."""
    ignore = d / ".gitignore"
    if not os.path.lexists(ignore):
        from taskctl.core.files import atomic

        try:
            atomic.write_text(ignore, "*\n", durable=False)
        except OSError:
            pass  # a read-only tree: nothing to commit by mistake either
    return d


STATE_DIRS = ("evidence", "updates", "logs", ".locks", "claims", "tasks",  # not a status:
              "completed", "milestones")  # not a status: folders


def check_state_dirs(root: Path, names: tuple[str, ...] = STATE_DIRS) -> None:
    """Refuse up front (UnsafePath) when a state folder of `root` is a symlink, so that a
    verify stops before it runs anything rather than at its first write."""
    for name in names:
        _check_dirs(Path(root), (name,))


def check_file(root: Path, path: Path) -> Path:
    """A loaded file about to be rewritten in place: it must lie under `root`, reached
    through real folders only."""
    path, root = Path(path), Path(root)
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise UnsafePath(f"refusing to write {path}: outside the tasks directory {root}",
                         "task files must live inside .tasks") from None
    return confined(root, *rel.parts)


def repo_relative_problem(value: str, what: str = "inputs glob") -> str | None:
    """Why a repository-relative pattern or folder (an `inputs` glob, a `cwd`) could reach
    outside the repository, or None when it cannot."""
    if "\0" in value:
        return f"{what} {value!r} contains a NUL byte"
    if value.startswith(("/", "\\", "~")) or (len(value) > 1 and value[1] == ":"):
        return f"{what} {value!r} is absolute; it must be relative to the repository"
    if ".." in value.replace("\\", "/").split("/"):
        return f"{what} {value!r} climbs out with '..'; it must stay inside the repository"
    return None


def inside(path: Path, root: Path) -> bool:
    """True when `path`, symlinks resolved, lies under `root` (also resolved)."""
    return _inside(path, root)


def _inside(path: Path, root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))
