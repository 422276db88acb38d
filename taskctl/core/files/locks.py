"""Per-task and manifest locks (fcntl) and in-progress markers under `.tasks/.locks/`.

Names live in separate namespaces: `task.<ID>.lock` / `task.<ID>.inprogress.json` for tasks,
`global.manifest.lock` for the manifest — no task id (not even `manifest`) can name another
lock. Every path goes through the confined join (`paths.confined`).

`flock` locks are released by the kernel when the holder dies, so there is never a stale lock
to clean up. A marker file (pid, host, run id) is written before a verification runs anything
and removed after the status change; one left by a dead process means that run never finished.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from taskctl.core.files import atomic, jsonread
from taskctl.core.files.claims import hostname
from taskctl.core.files.paths import confined, confined_dir, git_ignored
from taskctl.errors import LockBusy

LOCK_DIR = ".locks"


def lock_dir(root: Path) -> Path:
    return git_ignored(confined_dir(root, LOCK_DIR))


@contextmanager
def _flock(path: Path, blocking: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BlockingIOError(str(path)) from None
            raise
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def task_lock(root: Path, task_id: str) -> Iterator[None]:
    """Exclusive lock on one task; raises LockBusy at once if another process holds it."""
    try:
        with _flock(confined(lock_dir(root), f"task.{task_id}.lock"), blocking=False):
            yield
    except BlockingIOError:
        raise LockBusy(f"{task_id} is being verified by another taskctl process",
                       "wait for it to finish (the lock is freed when that process exits)"
                       ) from None


@contextmanager
def manifest_lock(root: Path) -> Iterator[None]:
    """Exclusive, waiting lock for read-modify-write of manifest.json."""
    with _flock(confined(lock_dir(root), "global.manifest.lock"), blocking=True):
        yield


@contextmanager
def policy_lock(root: Path) -> Iterator[None]:
    """Exclusive, waiting lock for read-modify-write of trust.yaml (`keys trust` run side by
    side, the first verifies of a tree each making its repo_id)."""
    with _flock(confined(lock_dir(root), "global.trust.lock"), blocking=True):
        yield


# a plain namedtuple: one-task writes and reads of in-progress tasks import this module, and
# neither `dataclasses` nor `typing.NamedTuple` (typing ≈ 4 ms) is worth its import here
class Marker(namedtuple("Marker", "pid host run_id")):  # pid: int, host: str, run_id: str
    __slots__ = ()

    @property
    def alive(self) -> bool:
        if self.host != hostname():
            return True  # cannot tell; the task lock decides
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def marker_path(root: Path, task_id: str) -> Path:
    return confined(root, LOCK_DIR, f"task.{task_id}.inprogress.json")


def write_marker(root: Path, task_id: str, run_id: str) -> None:
    lock_dir(root)
    atomic.write_json(marker_path(root, task_id),
                      {"pid": os.getpid(), "host": hostname(), "run_id": run_id})


def read_marker(root: Path, task_id: str) -> Marker | None:
    try:
        d = jsonread.load(marker_path(root, task_id), jsonread.MAX_RECORD_BYTES)
        pid = d["pid"]
        if not isinstance(pid, int) or not 0 < pid < 1 << 31:
            return None  # a forged pid: kill(2) would overflow or signal a process group
        return Marker(pid, str(d["host"]), str(d["run_id"]))
    except (OSError, jsonread.JsonLimit, ValueError, KeyError, TypeError):
        return None


def remove_marker(root: Path, task_id: str) -> None:
    try:
        marker_path(root, task_id).unlink()
    except FileNotFoundError:
        return
    atomic.fsync_dir(root / LOCK_DIR)


TREE_LOCK_TIMEOUT_S = 60.0  # 16 agents x a few hundred ms each, with room to spare


@contextmanager
def tree_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Exclusive lock on the whole tree for lifecycle writes (read, pick, write as one step).

    Waits up to `timeout` seconds (default $TASKCTL_LOCK_TIMEOUT or 60), then raises LockBusy.
    Polls a non-blocking flock so a stuck holder turns into a clear error, not a hang.
    """
    import time

    if timeout is None:
        try:
            timeout = float(os.environ.get("TASKCTL_LOCK_TIMEOUT", TREE_LOCK_TIMEOUT_S))
        except ValueError:
            timeout = TREE_LOCK_TIMEOUT_S
    path = lock_dir(root) / "tree.lock"
    deadline, pause = time.monotonic() + timeout, 0.002
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                raise LockBusy(f"the tasks tree is locked by another taskctl for over "
                               f"{timeout:g} s", "retry; raise $TASKCTL_LOCK_TIMEOUT if many "
                               "agents write at once")
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        yield
    finally:
        os.close(fd)
