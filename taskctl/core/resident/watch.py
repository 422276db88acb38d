"""Change notification for a resident process: every file the plan cache's fingerprint covers
(`core/plan/cache.py`: the task store minus `.cache/`, `evidence/`, `updates/`, `.git/`, and
the project's `.taskctl/` sidecar), watched with Linux inotify.

Why inotify and not a stat walk: a 10,000-file walk costs ~0.1 s per question, about what a
whole answer may cost. The kernel queues an event while the write, rename or unlink that
causes it runs, before that call returns; so a question asked after a change was made finds
its event queued, and `drain()` (called before every answer) sees it. What inotify cannot
see, and so where `Watcher` refuses to start or stops (`Unwatchable`): a symbolic link in the
store (its target may change elsewhere), a file with a second name when the watch starts or
when it is created in the store (a hard link: written through a name outside the store, no
event names it here), a platform without inotify. Not seen, and documented: a second name
given later, outside the store, to a file of the store (the kernel tells only watches of
that file, not of its folder); a change made on another machine sharing the directory over a
network filesystem, or through a shared memory mapping.
"""

from __future__ import annotations

import ctypes
import os
import struct

from taskctl.core.plan.cache import UNWATCHED

# inotify(7)
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_DONT_FOLLOW = 0x4000, 0x8000, 0x1000000, 0x2000000
IN_ISDIR = 0x40000000
_ANY = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
_NAMES = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW
_EVENT = struct.Struct("iIII")
SIDECAR = ".taskctl"


class Unwatchable(Exception):
    """The store cannot be watched reliably (the reason is the message)."""


class Gone(Exception):
    """The store itself was removed or moved away."""


def _libc():
    if not hasattr(os, "O_CLOEXEC") or not os.uname().sysname == "Linux":
        raise Unwatchable("change notification needs Linux inotify")
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "inotify_init1"):
        raise Unwatchable("this C library has no inotify")
    return libc


class Watcher:
    """Watches the store at `root` (a `.tasks` directory). `drain()` says whether anything the
    fingerprint covers may have changed since the last call."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)  # as the loader spells it: events name its paths
        self.project = os.path.dirname(self.root)
        self._libc = _libc()
        self.fd = -1
        self._start()

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _start(self) -> None:
        self.close()
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise Unwatchable(f"inotify_init1: {os.strerror(ctypes.get_errno())}")
        self.fd = fd
        self.dirs: dict[int, str] = {}  # watch descriptor -> directory
        self.root_wd = self._add(self.root, _ANY)
        self.project_wd = self._add(self.project, _NAMES)  # only for `.taskctl` appearing
        self._tree(self.root, top=True)
        sidecar = os.path.join(self.project, SIDECAR)
        if os.path.isdir(sidecar) and not os.path.islink(sidecar):
            self._tree(sidecar, top=False, add_self=True)

    def _add(self, path: str, mask: int) -> int:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            err = ctypes.get_errno()
            raise Unwatchable(f"cannot watch {path}: {os.strerror(err)}"
                              + (" (raise fs.inotify.max_user_watches)" if err == 28 else ""))
        self.dirs[wd] = path
        return wd

    def _tree(self, d: str, top: bool, add_self: bool = False) -> None:
        """Watch `d`'s subdirectories (and `d` itself when `add_self`); refuse symlinks."""
        if add_self:
            self._add(d, _ANY)
        try:
            it = os.scandir(d)
        except OSError:
            return  # gone already: its parent's event said so
        with it:
            for e in it:
                if top and e.name in UNWATCHED:
                    continue
                if e.is_symlink():
                    raise Unwatchable(f"{e.path} is a symbolic link (its target may change "
                                      "where no watch sees it)")
                if e.is_dir(follow_symlinks=False):
                    self._tree(e.path, top=False, add_self=True)
                else:
                    _one_name(e.path)

    def drain(self) -> set[str] | None:
        """Read every queued event: the paths they name that the fingerprint covers (an
        empty set: nothing that matters), or None when what changed is not known (the queue
        overflowed: the watches are then set up again). Raises `Gone` when the store itself
        went away, `Unwatchable` when a symbolic link appeared in it."""
        changed: set[str] | None = set()
        while True:
            try:
                buf = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return changed
            pos = 0
            while pos < len(buf):
                wd, mask, _cookie, n = _EVENT.unpack_from(buf, pos)
                name = buf[pos + 16:pos + 16 + n].rstrip(b"\0").decode("utf-8", "surrogateescape")
                pos += 16 + n
                if mask & IN_Q_OVERFLOW:  # watches set up afresh; the rest of this
                    self._start()  # buffer names the old ones: read the new queue instead
                    changed = None
                    break
                path = self._event(wd, mask, name)
                if path and changed is not None:
                    changed.add(path)

    def _event(self, wd: int, mask: int, name: str) -> str:
        """The path an event concerns, or "" when it does not matter."""
        if wd == self.root_wd and mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED):
            raise Gone(self.root)
        d = self.dirs.get(wd)
        if d is None:
            return ""  # a watch removed earlier
        path = os.path.join(d, name) if name else d
        if mask & IN_IGNORED:  # its directory went away (its parent's event names it too)
            self.dirs.pop(wd, None)
            return path
        if wd == self.project_wd:
            if name != SIDECAR:
                return ""
            if mask & (IN_CREATE | IN_MOVED_TO) and os.path.isdir(path) \
                    and not os.path.islink(path):
                self._tree(path, top=False, add_self=True)
            return path
        if wd == self.root_wd and name in UNWATCHED:
            return ""
        if mask & (IN_CREATE | IN_MOVED_TO) and name:
            if os.path.islink(path):
                raise Unwatchable(f"{path} is a symbolic link (its target may change "
                                  "where no watch sees it)")
            if mask & IN_ISDIR:
                self._tree(path, top=False, add_self=True)
            else:
                _one_name(path)
        return path


def _one_name(path: str) -> None:
    """Refuse a file with another name (a hard link): written through a name outside the
    store, it changes with no event here."""
    try:
        st = os.lstat(path)
    except OSError:
        return  # gone again
    if st.st_nlink > 1:
        raise Unwatchable(f"{path} has {st.st_nlink} names (hard links): written through "
                          "another one, it would change unseen")
