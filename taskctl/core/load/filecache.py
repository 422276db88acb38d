"""Per-file cache of parsed task files: after an edit only that file is parsed again.

Key of each entry: the file's path and (size, mtime_ns, ctime_ns, inode); key of the whole
cache: taskctl's version, the core's code stamp (`files/codestamp.py`: an upgraded or edited
taskctl starts afresh), Python's and PyYAML's versions. Values: the file's front matter as
parsed (dates as strings), its schema findings, the normalised task as plain tuples
(`taskplain.py`) with its findings, and the file's format (front matter or plain YAML); the
loader rebuilds the `Task` from those (measured: unpickling `Task` objects is slower than
normalising again, rebuilding from tuples is ~5x faster) and reads the file's text only when
something needs it. The manifest's entries are cached by content instead (`recall` and
`remember`: each entry's normalisation and schema findings, valid while the entry's data is
equal), so rewriting the manifest (every `claim` or `set` does) recomputes only the entries
that changed.

Trust: the file is `marshal` data in `.tasks/.cache/task-files.marshal`, sealed with the
per-user key of `files/cachekey.py`, so one committed by someone else (or corrupted) is ignored
before a byte is decoded. Nothing here decides evidence: verify and gate hash file contents
themselves. A file written within `RACY_NS` of the load is not stored (an edit in the same
timestamp tick with the same size would be invisible); it is simply parsed again next time.
Written atomically, only when something changed; entries of files that are gone are dropped.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.core.files import atomic, cachekey, codestamp, regular

NAME = "task-files.marshal"
RACY_NS = 2_000_000_000
MAX_BYTES = 1 << 30  # ~1 KiB a task: a million-task tree


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_key(path: str) -> tuple[int, int, int, int] | None:
    """The cache key of a task file, or None (never cached): a symlink's target can change
    without the link's own stat changing, and a hit skips reading (and guarding) the text."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return None if stat.S_ISLNK(st.st_mode) else stat_key(st)


class FileCache:
    """path string -> (stat key, value). `get` and `put` record what this load used."""

    def __init__(self, root: Path, enabled: bool = True):
        self.root = root
        self.path = root / ".cache" / NAME
        self.enabled = enabled
        self.entries: dict[str, tuple[tuple, Any]] = {}
        self.used: dict[str, tuple[tuple, Any]] = {}
        self.changed = False
        self.racy: set[str] = set()
        self.now_ns = time.time_ns()
        if enabled:
            self.entries = self._read()

    @staticmethod
    def _header() -> tuple:
        import yaml

        return ("taskctl-file-cache/3", __version__, sys.version, yaml.__version__,
                codestamp.stamp())

    def _read(self) -> dict:
        try:
            # a regular file only (a committed link to /dev/zero or a FIFO: no cache)
            payload = cachekey.unseal(regular.read_bytes(self.path, MAX_BYTES, follow=False))
            if payload is None:
                return {}  # not sealed by this user: never decoded
            header, entries = marshal.loads(payload)
        except Exception:  # noqa: BLE001 - a broken cache is no cache
            return {}
        return entries if header == self._header() and isinstance(entries, dict) else {}

    def get(self, path: str, key: tuple) -> Any | None:
        hit = self.entries.get(path)
        if hit is not None and hit[0] == key:
            self.used[path] = hit
            return hit[1]
        return None

    def put(self, path: str, key: tuple, value: Any) -> None:
        if not self.enabled:
            return
        if self.now_ns - max(key[1], key[2]) < RACY_NS:
            self.racy.add(path)  # too fresh to trust its stat: parse again next time
            return
        self.used[path] = (key, value)  # held by reference: `save` before changing it
        self.changed = True

    def recall(self, table: str, ident: str, data: Any) -> Any | None:
        """A value stored for `ident` in a content-keyed `table`, if it was computed from data
        equal to `data` (the manifest's entries: one changed entry, or a rewritten manifest,
        recomputes only the entries that differ)."""
        new = self._table(table)
        hit = self.entries.get(table, ((), {}))[1].get(ident)
        if hit is not None and hit[0] == data:
            new[ident] = hit
            return hit[1]
        return None

    def remember(self, table: str, ident: str, data: Any, value: Any) -> None:
        """Store `value`, computed from `data`, for `ident` in a content-keyed `table`. Both are
        plain data that is not changed before `save` (which snapshots them)."""
        if self.enabled:
            self._table(table)[ident] = (data, value)
            self.changed = True

    def _table(self, table: str) -> dict:
        if table not in self.used:
            self.used[table] = ((), {})
        return self.used[table][1]

    def _dropped(self) -> bool:
        """Entries to drop: files gone. A racy file's old entry is kept (its stat no longer
        matches, so it is never used) rather than rewriting the whole cache for it."""
        if len(self.used) + len(self.racy) < len(self.entries):
            return True
        return any(p not in self.used and p not in self.racy for p in self.entries)

    def save(self) -> None:
        """Keep the entries this load used (files that are gone drop out). Values are held
        by reference until here (a copy per file cost ~15 µs): the loader saves before
        anything can change the objects it cached."""
        if not self.enabled or not (self.changed or self._dropped()):
            return
        if not atomic.writable_dir(self.root):  # read-only tree: leave it alone
            return
        try:
            payload = marshal.dumps((self._header(), self.used))
        except ValueError:  # a value marshal cannot hold (e.g. a nested date): drop those
            payload = marshal.dumps((self._header(), {
                p: e for p, e in self.used.items() if _marshallable(e)}))
        data = cachekey.seal(payload)
        if data is None:
            return  # no key (read-only home): no cache
        from taskctl.core.files.paths import confined
        from taskctl.errors import UnsafePath

        try:
            confined(self.root, self.path.parent.name, self.path.name)
        except UnsafePath:
            return  # a symlinked .cache: a cache is never worth writing outside the tree
        try:
            d = self.path.parent
            d.mkdir(exist_ok=True)
            gi = d / ".gitignore"
            if not gi.exists():
                atomic.write_text(gi, "*\n")
            atomic.write_bytes(self.path, data)
        except OSError:
            pass


def _marshallable(value: Any) -> bool:
    try:
        marshal.dumps(value)
    except ValueError:
        return False
    return True
