"""One walk of a store per read answer, shared by everything that lists or stats its files.

A read of a large tree looked at the same files four times: the plan cache's fingerprint
(every file, stat), the task-file listing (`tasks/`, `completed/`), the stored backlog's stat
keys (one `lstat` per task file) and the files-not-read scan (every folder again). Within
`with held():` (the console script's read answer: `cli/quick.py`) each folder is listed once
with `os.scandir`, when one of them first needs it, and its `DirEntry` objects are kept for the
others. A `DirEntry` fetches its stat on first use and keeps it (a regular file's `stat()` and
`lstat()` are one system call), so a listing costs no stat nobody asked for.

What a held listing says is the tree as it was when it was walked — a little earlier than a
fresh look. Every user is safe with that: a file changed since has a newer stat key than the
one recorded, so the caches that record a key see it as changed next time (the key is taken
before the file is read, as they already required). Outside `held()` (writers, the full CLI,
a resident process) nothing is held and each caller walks as before. Not reentrant.
"""

from __future__ import annotations

import os
import stat as _stat

_held: dict[str, Listing] | None = None  # root -> its listing, inside `held()`
MISSING = object()  # `key`: no held listing has the path


class held:  # noqa: N801 - used as `with treewalk.held():`, like a function
    """One read answer's scope: its listings (and what is worked out from them) are kept
    until it ends."""

    def __init__(self, keep=None):
        """`keep`: called with what was held when the scope ends, instead of leaving it to be
        freed there (a short-lived read answer holds it to its exit: ~6 ms of freeing on
        10,000 files, `core.load.hold_to_exit`)."""
        self.keep = keep

    def __enter__(self) -> held:
        global _held
        _held = {}
        return self

    def __exit__(self, *exc) -> None:
        global _held
        if self.keep is not None:
            self.keep(_held)
        _held = None


# On Windows a `DirEntry`'s stat has no inode (st_ino is 0): its keys would not be the
# `lstat` keys the caches hold, so nothing is held there.
_USABLE = os.name == "posix"


def listing(root) -> Listing | None:
    """The held listing of the store at `root` (its folders listed as they are first
    needed), or None outside `held()`."""
    if _held is None or not _USABLE:
        return None
    key = str(root)
    got = _held.get(key)
    if got is None:
        got = _held[key] = Listing(key)
    return got


def key(path: str):
    """`filecache.file_key(path)` from a held listing, or MISSING (outside `held()`, or a
    path no listing holds: the caller stats it)."""
    return keys([path])[0]


def keys(paths: list[str]) -> list:
    """`key` of each path, in bulk: paths of one folder in a row look it up once."""
    if not _held:
        return [MISSING] * len(paths)
    lists = list(_held.values())
    out, folder, names = [], None, None
    sep = os.sep
    for path in paths:
        i = path.rfind(sep)
        d, name = (path[:i], path[i + 1:]) if i >= 0 else ("", path)
        if d != folder:
            folder, names = d, None
            for lst in lists:
                names = lst.names(d)
                if names is not None:
                    break
        e = None if names is None else names.get(name)
        out.append(MISSING if e is None else _lkey(e))
    return out


class Listing:
    """The folders under `root` as far as anyone asked, each listed once: folder path -> its
    `os.DirEntry`s (a folder that could not be listed is in `unreadable`: `os.walk` yields
    nothing for it). Symlinked folders are listed as entries, not entered, as `os.walk` does
    by default."""

    def __init__(self, root: str):
        self.root = root
        self.dirs: dict[str, list[os.DirEntry]] = {}
        self.unreadable: set[str] = set()
        self._names: dict[str, dict[str, os.DirEntry]] = {}
        self.memo: dict[str, object] = {}  # what a user works out from it once (a cache key)

    def entries(self, d: str) -> list[os.DirEntry]:
        """The entries of folder `d`, listed on first use."""
        ents = self.dirs.get(d)
        if ents is None:
            try:
                with os.scandir(d) as it:
                    ents = list(it)
            except OSError:
                ents = []
                self.unreadable.add(d)
            self.dirs[d] = ents
        return ents

    def walk(self, top: str):
        """As `os.walk(top)`: top-down, `dirs` may be pruned in place, symlinked folders
        listed but not entered."""
        ents = self.entries(top)
        if top in self.unreadable:
            return
        dirs, names, real = [], [], set()
        for e in ents:
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(e.name)
            if is_dir and not e.is_symlink():
                real.add(e.name)
        yield top, dirs, names
        for d in dirs:
            if d in real:
                yield from self.walk(os.path.join(top, d))

    def files(self, top: str, skip_top: frozenset = frozenset()):
        """(path, DirEntry) of every file (anything but a real folder) under `top`, folders
        named in `skip_top` directly under `top` left out; symlinked folders count as files
        (the plan cache's fingerprint stats their target)."""
        for e in self.entries(top):
            try:
                real_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                real_dir = False
            if real_dir:
                if e.name not in skip_top:
                    yield from self.files(e.path)
            else:
                yield e.path, e

    def names(self, d: str) -> dict[str, os.DirEntry] | None:
        """Folder `d`'s entries by name, or None when nobody listed it."""
        names = self._names.get(d)
        if names is None:
            ents = self.dirs.get(d)
            if ents is None:
                return None
            names = self._names[d] = {e.name: e for e in ents}
        return names

def _lkey(e: os.DirEntry):
    try:
        st = e.stat(follow_symlinks=False)  # kept by the entry: no second system call
    except OSError:
        return None
    return lstat_key(st)


def lstat_key(st: os.stat_result) -> tuple[int, int, int, int] | None:
    """The cache key of a file from its `lstat`: (size, mtime_ns, ctime_ns, inode), or None
    for a symlink (its target can change without the link's own stat changing)."""
    return None if _stat.S_ISLNK(st.st_mode) else (
        st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
