"""THE way taskctl reads and writes its own cache files, `<store>/.cache/<name>`: sealed with
the per-user key (`cachekey.py`: one committed by someone else, or torn, is never decoded),
read only when a regular file within a limit (`regular.py`), written atomically without fsync
(a cache needs all-or-nothing, not durability), never through a `.cache` that leads out of
the tree, in a folder git ignores. Import-light: a warm read only unseals."""

from __future__ import annotations

import os

from taskctl.core.files import cachekey
from taskctl.core.files.regular import read_bytes

TYPE_CHECKING = False  # pathlib for annotations only: a warm read imports none
if TYPE_CHECKING:
    from pathlib import Path

CACHE_DIR = ".cache"


def read(root: Path, name: str, limit: int) -> bytes | None:
    """The payload of `<root>/.cache/<name>` when its tag verifies under the user's key, else
    None (missing, unreadable, not a regular file, over `limit`, forged or torn)."""
    try:  # a regular file only: a committed link to /dev/zero or a FIFO must not be read
        blob = read_bytes(os.path.join(root, CACHE_DIR, name), limit, follow=False)
    except OSError:
        return None
    return cachekey.unseal(blob)


def write(root: Path, name: str, payload: bytes) -> bool:
    """Store `payload` sealed as `<root>/.cache/<name>`. False, and nothing written, without a
    key (a read-only home), in a read-only store, or when `.cache` leads out of the tree."""
    from taskctl.core.files import atomic
    from taskctl.core.files.paths import confined, git_ignored
    from taskctl.errors import UnsafePath

    if not atomic.writable_dir(root):
        return False
    blob = cachekey.seal(payload)
    if blob is None:
        return False
    try:
        slot = confined(root, CACHE_DIR, name)
    except UnsafePath:
        return False  # a symlinked .cache: a cache is never worth writing outside the tree
    try:
        slot.parent.mkdir(exist_ok=True)
        git_ignored(slot.parent)  # per user: never committed
        atomic.write_bytes(slot, blob, durable=False)
    except OSError:
        return False
    return True


def drop_legacy(path: Path) -> None:
    """Remove a cache file that an earlier version wrote and this one never reads (a regular
    file only: a link is left alone)."""
    try:
        if os.path.isfile(path) and not os.path.islink(path):
            os.unlink(path)
    except OSError:
        pass
