"""Atomic file writes: temp file in the same directory, fsync, os.replace, fsync the directory.

A reader (or a process killed mid-write) sees the old file or the new one, never a mix.

No `tempfile` here: it imports shutil, random and the compression modules (~5 ms), more than
the whole write of a one-task lifecycle command. The temp name is unique the same way
(`O_CREAT | O_EXCL`, random suffix, mode 0600 until it is made the real file).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _temp(d: Path, name: str) -> tuple[int, str]:
    """A new, exclusively created temp file `.NAME.<random>.tmp` in `d`: (fd, path)."""
    for _ in range(100):
        tmp = os.path.join(d, f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, _FLAGS, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name in {d}")


def write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` atomically. `durable=False` for caches: still all or nothing
    for a reader, but not flushed to the disk (two fsyncs, ~5-15 ms of a read command's
    wall time each time it stores a cache): after a crash the file may be empty or torn,
    which a sealed cache (`cachekey`) rejects and computes again."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:  # no file yet
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        fsync_dir(path.parent)


def write_text(path: Path, text: str, durable: bool = True) -> None:
    write_bytes(path, text.encode("utf-8"), durable)


def write_json(path: Path, data: Any, indent: int | None = 2) -> bytes:
    """Write `data` as JSON text (and a newline); returns the bytes written."""
    if indent is None:
        text = json.dumps(data, ensure_ascii=False)
    else:  # the same text, without json's encoder in Python (`jsonwrite.py`)
        from taskctl.core.files import jsonwrite

        text = jsonwrite.dumps(data, indent)
    raw = (text + "\n").encode("utf-8")
    write_bytes(path, raw)
    return raw


def writable_dir(d: Path) -> bool:
    """True when `d` may be written: permission bits say so, not only os.access (which is
    always True for root). Caches use this to leave read-only trees untouched."""
    try:
        st = os.stat(d)
    except OSError:
        return False
    return bool(st.st_mode & 0o222) and os.access(d, os.W_OK)


def fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
