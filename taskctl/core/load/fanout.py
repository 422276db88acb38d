"""A cold load of a large tree on two cores: a forked helper parses part of the task files.

The helper parses files exactly as the loader would and sends back, for each file, the value
the per-file cache holds for it (front matter, normalised task as plain tuples, findings,
format: `parsefile.parse_file`'s `fresh` value). The loader then rebuilds those files' tasks
from the values as it does on a cache hit — the path the loader's tests hold equal to a fresh
parse — while it read the manifest and parsed files of its own in the meantime. A file the
helper sends nothing for (unparseable, not a task, a value `marshal` cannot carry, or a helper
that failed) is parsed by the loader itself, so the helper can only make a load faster, never
different.

Who parses what is decided as they go (`Split`): the files are cut into chunks, the loader
takes them from the front and the helper from the back until they meet, so a side slowed
down (the other core busy, a larger manifest to read, a slower share of files) leaves more
to the other instead of being waited for (a fixed share: the loader waited 40–520 ms for
its helper on 10,000 files, docs/taskctl-performance.md part 15).

Used only where it pays and is safe (`worth`): Linux, at least two usable cores, at least
`MIN_FILES` files to parse, a single thread in the process (a fork while other threads run
can leave the child holding a lock no one releases), and `TASKCTL_LOAD_JOBS` not `1`.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Iterator
from pathlib import Path

# Below this the gain is small next to a second process's CPU (a load without bodies, in
# process, one process vs a helper: 500 files 89 -> 82 ms, 1,000 187 -> 159, 2,000 388 -> 288;
# docs/taskctl-performance.md, part 7).
MIN_FILES = 2000
CHUNK = 32  # files a side takes at a time (at most; a small tree is cut finer, see Split)
# The longest the loader waits, once the two sides met, for the chunk the helper was at (1-9
# ms measured). A helper not done by then (stopped with SIGSTOP, hung on a file) is killed
# and the loader parses what it did not send: a load never waits on its helper for good.
LAST_CHUNK_S = 2.0


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


class Split:
    """The chunks of `n` files to parse, taken from the front by the loader and from the
    back by the helper, in a shared anonymous mapping made before the fork: two counts, each
    written by one side only (how many chunks it took) and read by the other. A side reads
    the other's count, then writes its own, then parses the chunk: a count read late can only
    make both parse one chunk (the loader keeps its own result), never leave one unparsed —
    a side stops only at a chunk the other has already written as taken."""

    def __init__(self, n: int):
        import mmap  # here: a small tree's load makes no Split (≈ 0.6 ms with struct)
        import struct

        self._count = struct.Struct("q")
        self.n = n
        self.size = max(1, min(CHUNK, n // 64))  # ~64 chunks or more: the last one is short
        self.chunks = -(-n // self.size)
        # anonymous and shared (MAP_SHARED), seen by both after the fork: the loader's count,
        # the helper's, and how many bytes of values the helper has written (`Helper`)
        self.mem = mmap.mmap(-1, 24)

    def _taken(self, side: int) -> int:
        return self._count.unpack_from(self.mem, 8 * side)[0]

    def _chunk(self, side: int, taken: int, c: int) -> range:
        self._count.pack_into(self.mem, 8 * side, taken)  # written before it is parsed
        return range(c * self.size, min(self.n, (c + 1) * self.size))

    def written(self) -> int:
        return self._count.unpack_from(self.mem, 16)[0]

    def wrote(self, end: int) -> None:
        self._count.pack_into(self.mem, 16, end)

    def front(self) -> Iterator[range]:
        """The loader's chunks (positions in the file list), first to last, until it meets
        the helper's."""
        for c in range(self.chunks):
            if c >= self.chunks - self._taken(1):
                return
            yield self._chunk(0, c + 1, c)

    def back(self) -> Iterator[range]:
        """The helper's chunks, last to first, until it meets the loader's."""
        for k in range(self.chunks):
            c = self.chunks - 1 - k
            if c < self._taken(0):
                return
            yield self._chunk(1, k + 1, c)


class Helper:
    """A forked process parsing, of `paths`, the chunks of `split` it takes from the back.
    It writes each chunk's values as it finishes it (`marshal`, length-prefixed) into a
    memory file (`memfd`) and then the count of bytes written into the shared mapping, so
    the loader takes them in between its own chunks (`received`) — rebuilding those tasks
    while the helper still parses, not after — and `finish` waits only for the chunk the
    helper was at. `cancel()` stops it. `start` gives None when no process could be started
    (no file descriptors, a process limit): the loader then parses everything itself."""

    def __init__(self, pid: int, fd: int, split: Split):
        self.pid: int | None = pid  # None once reaped
        self.fd, self.split = fd, split  # fd -1 once closed
        self.offset = 0  # the bytes of values read so far
        self.sent = 0  # values received (for tests and benchmarks)

    @classmethod
    def start(cls, paths: list[Path], root: Path) -> Helper | None:
        try:
            split = Split(len(paths))
        except OSError:
            return None
        try:
            fd = os.memfd_create("taskctl-load-helper")
        except (OSError, AttributeError):
            split.mem.close()
            return None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            split.mem.close()
            return None
        if pid == 0:  # the helper: never returns into the caller's code
            code = 1
            try:
                from taskctl.core.files import procctl  # ctypes: only the helper imports it

                if procctl.die_with_parent(parent):  # an interrupted command leaves no helper
                    _serve(paths, root, fd, split)
                    code = 0
            except BaseException:  # noqa: BLE001 - the loader parses what it did not send
                pass
            finally:
                os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
        return cls(pid, fd, split)

    def received(self) -> dict[int, tuple]:
        """{position in `paths`: cache value} of the chunks the helper has written since the
        last call (never a part of one: the count of bytes is written after them)."""
        if self.fd < 0:
            return {}
        end = self.split.written()
        if end <= self.offset:
            return {}
        try:
            blob = os.pread(self.fd, end - self.offset, self.offset)
        except OSError:
            return {}
        out: dict[int, tuple] = {}
        at, size = 0, len(blob)
        while at + 8 <= size:
            n = int.from_bytes(blob[at:at + 8], "little", signed=True)
            if n < 0 or at + 8 + n > size:
                break
            try:
                chunk = marshal.loads(blob[at + 8:at + 8 + n])
            except (EOFError, ValueError, TypeError):
                chunk = None
            if isinstance(chunk, dict):
                out.update(chunk)
            at += 8 + n
        self.offset += at
        self.sent += len(out)
        return out

    def finish(self, wait: float | None = None) -> dict[int, tuple]:
        """Wait for the helper to end, at most `wait` seconds (`LAST_CHUNK_S`), else kill it;
        what it wrote since the last `received` ({} if it failed before writing anything
        more). What it did not send, the loader parses."""
        if not self._ends_within(LAST_CHUNK_S if wait is None else wait):
            self._kill()
        self._reap()
        try:
            return self.received()
        finally:
            self._close()

    def cancel(self) -> None:
        """Stop the helper (the load failed or was interrupted): killed, reaped, its memory
        file closed — it holds no inherited lock afterwards. Nothing more once `finish` (or
        an earlier `cancel`) reaped it and closed the file: its pid and descriptor number
        may belong to others by then."""
        self._kill()
        self._reap()
        self._close()

    def _kill(self) -> None:
        import signal

        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)  # a stopped process too
            except OSError:
                pass

    def _ends_within(self, seconds: float) -> bool:
        """Does the helper exit within `seconds`? Waited on its pidfd (woken the moment it
        exits; it is reaped by `_reap`), else by polling its state without blocking."""
        if self.pid is None:
            return True
        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # not Linux 5.3+, or no descriptor left
            fd = -1
        if fd >= 0:
            import select

            try:
                poller = select.poll()
                poller.register(fd, select.POLLIN)
                return bool(poller.poll(int(seconds * 1000)))
            finally:
                os.close(fd)
        import time

        deadline, pause = time.monotonic() + seconds, 0.0005
        while True:
            try:
                done = os.waitpid(self.pid, os.WNOHANG)[0] != 0
            except ChildProcessError:
                done = True
            if done:
                self.pid = None  # reaped here
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(2 * pause, 0.01)

    def _reap(self) -> None:
        if self.pid is None:
            return
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = None

    def _close(self) -> None:
        if self.fd < 0:
            return
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.fd = -1
        self.split.mem.close()


def _serve(paths: list[Path], root: Path, fd: int, split: Split) -> None:
    """The helper's work: parse the chunks it takes, writing each one's values at once."""
    for chunk in split.back():
        send(parse_share(paths, root, (chunk,)), fd, split)


def parse_share(paths: list[Path], root: Path, chunks) -> dict[int, tuple]:
    """{position in `paths`: cache value} of the files of `chunks` (ranges of positions)."""
    from taskctl.core.load.parsefile import parse_file

    out: dict[int, tuple] = {}
    for chunk in chunks:
        for j in chunk:
            fresh: dict = {}
            parse_file(paths[j], root, False, None, fresh)
            if "value" in fresh:
                out[j] = fresh["value"]
    return out


def send(out: dict[int, tuple], fd: int, split: Split) -> None:
    """Append `out` to the memory file (length, then `marshal` bytes), then publish the new
    end in `split`: the loader reads whole chunks only."""
    from taskctl.core.load.filecache import marshallable

    try:
        blob = marshal.dumps(out)
    except ValueError:  # a value marshal cannot carry: those files are parsed by the loader
        blob = marshal.dumps({k: v for k, v in out.items() if marshallable(v)})
    data = memoryview(len(blob).to_bytes(8, "little", signed=True) + blob)
    end = split.written()
    while data:
        n = os.pwrite(fd, data, end)
        data, end = data[n:], end + n
    split.wrote(end)
