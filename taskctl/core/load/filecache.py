"""Per-file cache of parsed task files: after an edit only that file is parsed again.

Key of each entry: the file's path and (size, mtime_ns, ctime_ns, inode); key of the whole
cache: taskctl's version, the core's code stamp (`files/codestamp.py`: an upgraded or edited
taskctl starts afresh), Python's and PyYAML's versions. Values: the file's front matter as
parsed (dates as strings), its schema findings, and the normalised task as plain tuples
(`taskplain.py`) with its findings; the loader rebuilds the `Task` from those (measured:
unpickling `Task` objects is slower than normalising again, rebuilding from tuples is ~5x
faster). The manifest's entries are cached the same way under "<manifest path>#entries",
keyed on the manifest's own stat.

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
import sys
import time
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.core.files import atomic, cachekey, codestamp

NAME = "task-files.marshal"
RACY_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


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

        return ("taskctl-file-cache/2", __version__, sys.version, yaml.__version__,
                codestamp.stamp())

    def _read(self) -> dict:
        try:
            payload = cachekey.unseal(self.path.read_bytes())
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
        try:  # a snapshot: later changes to the loaded objects never reach the cache
            value = marshal.loads(marshal.dumps(value))
        except ValueError:  # a value marshal cannot hold (e.g. a nested date): not cached
            return
        self.used[path] = (key, value)
        self.changed = True

    def _dropped(self) -> bool:
        """Entries to drop: files gone. A racy file's old entry is kept (its stat no longer
        matches, so it is never used) rather than rewriting the whole cache for it."""
        if len(self.used) + len(self.racy) < len(self.entries):
            return True
        return any(p not in self.used and p not in self.racy for p in self.entries)

    def save(self) -> None:
        """Keep the entries this load used (files that are gone drop out)."""
        if not self.enabled or not (self.changed or self._dropped()):
            return
        if not atomic.writable_dir(self.root):  # read-only tree: leave it alone
            return
        try:
            data = cachekey.seal(marshal.dumps((self._header(), self.used)))
        except ValueError:
            return
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
