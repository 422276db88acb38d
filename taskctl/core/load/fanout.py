"""A cold load of a large tree on two cores: a forked helper parses part of the task files.

The helper parses its share exactly as the loader would and sends back, for each file, the
value the per-file cache holds for it (front matter, normalised task as plain tuples,
findings, format: `parsefile.parse_file`'s `fresh` value). The loader then rebuilds those
files' tasks from the values as it does on a cache hit — the path the loader's tests hold
equal to a fresh parse — while it parsed its own share in the meantime. A file the helper
sends nothing for (unparseable, not a task, a value `marshal` cannot carry, or a helper that
failed) is parsed by the loader itself, so the helper can only make a load faster, never
different.

Used only where it pays and is safe (`worth`): Linux, at least two usable cores, at least
`MIN_FILES` files to parse, a single thread in the process (a fork while other threads run
can leave the child holding a lock no one releases), and `TASKCTL_LOAD_JOBS` not `1`.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path

# Below this the gain is small next to a second process's CPU (a load without bodies, in
# process, one process vs a helper: 500 files 89 -> 82 ms, 1,000 187 -> 159, 2,000 388 -> 288;
# docs/taskctl-performance.md, part 7).
MIN_FILES = 2000
SHARE = 0.58  # of the files to parse, the helper's part: the loader also reads the manifest


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container limited to one CPU gains nothing from a second process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota = quota_cores(f.read())
    except OSError:
        quota = None
    return cores if quota is None else min(cores, quota)


def quota_cores(cpu_max: str) -> int | None:
    """The cores a cgroup v2 `cpu.max` ("QUOTA PERIOD", or "max PERIOD") allows, rounded up;
    None when unlimited or unreadable."""
    try:
        quota, period = cpu_max.split()[:2]
        return None if quota == "max" else max(1, -(-int(quota) // int(period)))
    except ValueError:
        return None


def worth(n_files: int) -> bool:
    """Whether parsing `n_files` files should fan out to a helper process."""
    if os.environ.get("TASKCTL_LOAD_JOBS", "") == "1" or n_files < MIN_FILES:
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    import threading  # here: a small tree's read does not import it (≈ 1 ms)

    return threading.active_count() == 1 and usable_cores() >= 2


def split(misses: list[int]) -> tuple[list[int], list[int]]:
    """(the loader's part, the helper's part) of the indexes of the files to parse."""
    cut = len(misses) - int(len(misses) * SHARE)
    return misses[:cut], misses[cut:]


class Helper:
    """A forked process parsing `paths`; `values()` waits for it and returns what it sent,
    `cancel()` stops it. `start` gives None when no process could be started (no file
    descriptors, a process limit): the loader then parses everything itself."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd

    @classmethod
    def start(cls, paths: list[Path], root: Path) -> Helper | None:
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # the helper: never returns into the caller's code
            code = 1
            try:
                from taskctl.core.files import procctl  # ctypes: only the helper imports it

                os.close(read_fd)
                if procctl.die_with_parent(parent):  # an interrupted command leaves no helper
                    _serve(paths, root, write_fd)
                    code = 0
            except BaseException:  # noqa: BLE001 - the loader parses what it did not send
                pass
            finally:
                os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
        os.close(write_fd)
        return cls(pid, read_fd)

    def values(self) -> dict[str, tuple]:
        """{path: cache value} for the files the helper parsed ({} if it failed)."""
        try:
            with os.fdopen(self.fd, "rb") as f:
                blob = f.read()
        except OSError:
            blob = b""
        finally:
            self._reap()
        try:
            out = marshal.loads(blob)
        except (EOFError, ValueError, TypeError):
            return {}
        return out if isinstance(out, dict) else {}

    def cancel(self) -> None:
        """Stop the helper (the load failed or was interrupted before it was asked for its
        values): killed, reaped, its pipe closed — it holds no inherited lock afterwards."""
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass
        self._reap()

    def _reap(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _serve(paths: list[Path], root: Path, fd: int) -> None:
    from taskctl.core.load.filecache import marshallable
    from taskctl.core.load.parsefile import parse_file

    out: dict[str, tuple] = {}
    for p in paths:
        fresh: dict = {}
        parse_file(p, root, False, None, fresh)
        if "value" in fresh:
            out[str(p)] = fresh["value"]
    try:
        blob = marshal.dumps(out)
    except ValueError:  # a value marshal cannot carry: those files are parsed by the loader
        blob = marshal.dumps({k: v for k, v in out.items() if marshallable(v)})
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
