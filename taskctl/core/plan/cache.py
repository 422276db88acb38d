"""Content-keyed cache of planning results, so `taskctl next` answers without loading anything.

Key: taskctl version + the tasks directory + (path, size, mtime_ns, inode) of every file in
the store (any dialect keeps its tasks somewhere else; evidence/, updates/ and .cache/ do not
change a plan and are left out) + the command's parameters. Any edit, added or removed file
changes the key. Values are JSON documents (never pickles) in
`.tasks/.cache/<command>-<params hash>.json`, one per command and parameters (so the directory
stays small), written atomically. Set TASKCTL_NO_CACHE=1 to bypass it.

Limit: an edit that keeps a file's size and lands within the filesystem's timestamp granularity
of the previous write is invisible; the inode check catches editors that replace the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from taskctl import __version__
from taskctl.core.files import codestamp

CACHE_DIR = ".cache"
UNWATCHED = frozenset({CACHE_DIR, "evidence", "updates", ".git"})  # no bearing on a plan


def enabled() -> bool:
    return os.environ.get("TASKCTL_NO_CACHE", "") in ("", "0")


def _walk(d: str, out: list, skip: frozenset = frozenset()) -> None:
    try:
        it = os.scandir(d)
    except OSError:
        return
    with it:
        for e in it:
            try:
                if e.is_dir(follow_symlinks=False):
                    if e.name in skip:
                        continue
                    _walk(e.path, out)
                else:
                    st = e.stat()  # follows symlinks: a retargeted link changes the key
                    out.append((e.path, st.st_size, st.st_mtime_ns, st.st_ino))
            except OSError:
                out.append((e.path, -1, 0, 0))


def fingerprint(root: Path) -> list[tuple]:
    """(path, size, mtime_ns, inode) of every watched file, sorted."""
    out: list[tuple] = []
    _walk(str(root), out, UNWATCHED)
    sidecar = os.path.join(os.path.dirname(str(root)), ".taskctl", "acceptance.yaml")
    if os.path.exists(sidecar):
        _walk(os.path.dirname(sidecar), out)
    out.sort()
    return out


def _code_stamp() -> list[tuple[str, int]]:
    """(file, mtime_ns) of the core that computes the answers (`files/codestamp.py`)."""
    return list(codestamp.stamp())


def key(root: Path, command: str, params: dict[str, Any]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([__version__, _code_stamp(), str(root), command, params],
                        sort_keys=True).encode())
    for row in fingerprint(root):
        h.update(repr(row).encode())
    return h.hexdigest()


def _slot(root: Path, command: str, params: dict[str, Any]) -> Path:
    ph = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    return Path(root) / CACHE_DIR / f"{command}-{ph}.json"


def get(root: Path, command: str, params: dict[str, Any]) -> tuple[str, Any | None]:
    """(key, payload) — payload None on a miss (or when the cache is disabled/unreadable)."""
    k = key(root, command, params)
    if not enabled():
        return k, None
    try:
        from taskctl.core.files import jsonread

        doc = jsonread.load(_slot(root, command, params))
    except (OSError, ValueError):
        return k, None
    if not isinstance(doc, dict) or doc.get("key") != k:
        return k, None
    return k, doc.get("payload")


def put(root: Path, command: str, params: dict[str, Any], k: str, payload: Any) -> None:
    """Store `payload` under key `k`; silently skipped when the directory is not writable."""
    from taskctl.core.files import atomic
    from taskctl.core.files.paths import confined
    from taskctl.errors import UnsafePath

    if not enabled() or not atomic.writable_dir(root):
        return
    try:
        slot = _slot(root, command, params)
        confined(root, CACHE_DIR, slot.name)
    except UnsafePath:
        return  # a symlinked .cache: never write a cache outside the tree
    try:
        atomic.write_text(slot,
                          json.dumps({"key": k, "payload": payload}, separators=(",", ":")))
    except OSError:
        pass


def cached(root: Path, command: str, params: dict[str, Any], compute) -> Any:
    """`compute()` memoised under the content key (compute must return JSON-able data)."""
    k, payload = get(root, command, params)
    if payload is None:
        payload = compute()
        put(root, command, params, k, payload)
    return payload
