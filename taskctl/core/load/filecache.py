"""Per-file cache of parsed task files: after an edit only that file is parsed again.

Key of each entry: the file's path and (size, mtime_ns, ctime_ns, inode); key of the whole
cache: taskctl's version, the core's code stamp (`files/codestamp.py`: an upgraded or edited
taskctl starts afresh), Python's version and PyYAML's install (its `__init__.py` stat, so a
hit need not import yaml). Values: the file's front matter as parsed (dates as strings), the
normalised task as plain tuples (`taskplain.py`) with its findings (the schema's included),
and the file's format (front matter or plain YAML); the loader rebuilds the `Task` from those
(measured: unpickling `Task` objects is slower than normalising again, rebuilding from tuples
is ~5x faster) and reads the file's text only when something needs it. The manifest's entries
are cached by content instead (`recall` and `remember`: each entry's normalisation and schema
findings, valid while the entry's `marshal` bytes are equal, see `entryrows.py`), so
rewriting the manifest (every `claim` or `set` does) recomputes only the entries that changed.

Storage: `SHARDS` files `.tasks/.cache/task-files-NN.marshal` (an entry's shard is the CRC-32
of its name), so a save after one edit rewrites one shard, not the whole cache (~10 MB on
10,000 tasks: ~0.25 s). Each is `marshal` data sealed with the per-user key of
`files/cachekey.py`, so one committed by someone else (or corrupted) is ignored before a byte
is decoded, and read only when it is a regular file. Nothing here decides evidence: verify and
gate hash file contents themselves. A file written within `RACY_NS` of the load is not stored
(an edit in the same timestamp tick with the same size would be invisible); it is simply
parsed again next time. Shards are written atomically, only when their entries changed;
entries of files that are gone are dropped.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
import zlib
from pathlib import Path

from taskctl import __version__
from taskctl.core.files import atomic, codestamp, sealed, treewalk

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

NAME = "task-files"  # .cache/task-files-NN.marshal
SHARDS = 32
LEGACY = "task-files.marshal"  # before the shards
RACY_NS = 2_000_000_000
MAX_BYTES = 1 << 30  # ~1 KiB a task: a million-task tree


def file_key(path: str) -> tuple[int, int, int, int] | None:
    """The cache key of a task file, or None (never cached): a symlink's target can change
    without the link's own stat changing, and a hit skips reading (and guarding) the text.
    Inside a read answer, from its one walk of the store (`files/treewalk.py`)."""
    held = treewalk.key(path)
    if held is not treewalk.MISSING:
        return held
    try:
        return treewalk.lstat_key(os.lstat(path))
    except OSError:
        return None


def file_keys(paths: list[str]) -> list:
    """`file_key` of each path; inside a read answer from its one walk, looked up in bulk (a
    stored backlog asks for every task file's)."""
    held = treewalk.keys(paths)
    return [file_key(p) if k is treewalk.MISSING else k for p, k in zip(paths, held, strict=True)]


def shard_of(name: str) -> int:
    """Which shard file holds `name` (stable across processes, unlike `hash`)."""
    return zlib.crc32(name.encode("utf-8", "surrogateescape")) % SHARDS


def shard_name(i: int) -> str:
    """The file name of shard `i` in `.cache/`."""
    return f"{NAME}-{i:02d}.marshal"


class FileCache:
    """name -> (key, value): a task file's path and its stat key, or a content-keyed table's
    row (`recall`) and the data it was computed from. `get`, `put`, `recall` and `remember`
    record what this load used; `save` rewrites only the shards where that changed (one edit
    of a 10,000-task tree: one ~300 KB shard instead of ~10 MB)."""

    def __init__(self, root: Path, enabled: bool = True):
        self.root = root
        self.dir = root / ".cache"
        self.enabled = enabled
        self.entries: dict[str, tuple[Any, Any]] = {}
        self.used: dict[str, tuple[Any, Any]] = {}
        self.dirty: set[int] = set()  # shards to rewrite
        self.racy: set[str] = set()
        self.now_ns = time.time_ns()
        if enabled:
            self._read()

    @staticmethod
    def _header() -> tuple:
        return ("taskctl-file-cache/5", __version__, sys.version, _yaml_stamp(),
                codestamp.stamp())

    def _read(self) -> None:
        header = self._header()
        for i in range(SHARDS):
            payload = sealed.read(self.root, shard_name(i), MAX_BYTES)
            if payload is None:
                continue  # missing, or not sealed by this user: never decoded
            try:
                got, entries = marshal.loads(payload)
            except Exception:  # noqa: BLE001 - a broken shard is no cache (it is rewritten)
                continue
            if got == header and isinstance(entries, dict):
                self.entries.update(entries)

    def lookup(self, path: str) -> tuple[tuple | None, Any | None]:
        """(the file's key, or None when it is never cached (a symlink, gone); the value cached
        for it under that key, or None)."""
        key = file_key(path)
        return key, self.get(path, key) if key is not None else None

    def store(self, path: str, key: tuple | None, value: Any) -> None:
        """`put` a value computed for `path` whose key `lookup` gave (None: not cached)."""
        if key is not None:
            self.put(path, key, value)

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
        self.dirty.add(shard_of(path))

    def recall(self, table: str, ident: str, data: Any) -> Any | None:
        """A value stored for `ident` in a content-keyed `table`, if it was computed from data
        equal to `data` (the manifest's entries: one changed entry, or a rewritten manifest,
        recomputes only the entries that differ)."""
        name = f"{table}\0{ident}"
        hit = self.entries.get(name)
        if hit is not None and hit[0] == data:
            self.used[name] = hit
            return hit[1]
        return None

    def remember(self, table: str, ident: str, data: Any, value: Any) -> None:
        """Store `value`, computed from `data`, for `ident` in a content-keyed `table` (held
        by reference, as `put`)."""
        if self.enabled:
            name = f"{table}\0{ident}"
            self.used[name] = (data, value)
            self.dirty.add(shard_of(name))

    def _dropped(self) -> set[int]:
        """Shards holding entries that this load did not use (files gone, rows changed). A
        racy file's old entry does not count: its stat no longer matches, so it is never used,
        and it leaves with the next rewrite of its shard."""
        used, racy = self.used, self.racy
        return {shard_of(p) for p in self.entries if p not in used and p not in racy}

    def save(self) -> None:
        """Rewrite the shards whose entries changed; each keeps the entries this load used.
        Values are held by reference until here (a copy per file cost ~15 µs): the loader
        saves before anything can change the objects it cached."""
        if not self.enabled:
            return
        dirty = self.dirty | self._dropped()
        if not dirty or not atomic.writable_dir(self.root):  # read-only tree: leave it alone
            return
        shards: dict[int, dict] = {i: {} for i in dirty}
        for name, e in self.used.items():
            if (i := shard_of(name)) in shards:
                shards[i][name] = e
        header = self._header()  # once: it stats PyYAML's install
        for i, entries in sorted(shards.items()):
            if not sealed.write(self.root, shard_name(i), _dumps(header, entries)):
                return  # no key, or a .cache leading out of the tree: no cache
        sealed.drop_legacy(self.dir / LEGACY)  # the one-file cache of earlier versions


def _yaml_stamp() -> tuple:
    """Which PyYAML parsed the cached values (files fastyaml declines go to it): its
    package's `__init__.py` and that file's size and mtime, found without importing yaml
    (~12 ms a process that reads every task file from the cache does not need)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("yaml")
        origin = spec.origin if spec is not None else None
        st = os.stat(origin) if origin else None
    except (ImportError, ValueError, OSError):
        return ("yaml", None)
    return ("yaml", origin, st.st_size if st else None, st.st_mtime_ns if st else None)


def _dumps(header: tuple, entries: dict) -> bytes:
    try:
        return marshal.dumps((header, entries))
    except ValueError:  # a value marshal cannot hold (e.g. a nested date): drop those
        return marshal.dumps((header, {p: e for p, e in entries.items() if marshallable(e)}))


def marshallable(value: Any) -> bool:
    try:
        marshal.dumps(value)
    except ValueError:
        return False
    return True
