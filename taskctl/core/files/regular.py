"""Read a state or cache file only when it is a regular file, and only up to a limit.

Why: `.tasks/` comes from the repository, and a hostile one can commit a symlink where taskctl
expects one of its own files: to `/dev/zero` (an endless read, all memory), to a FIFO or
`/dev/stdin` (a read that blocks forever). Opening with O_NONBLOCK never waits for a FIFO's
writer, `fstat` on the open descriptor (no race with a swapped path) refuses anything but a
regular file, and at most `limit + 1` bytes are read.
"""

from __future__ import annotations

import errno
import os
import stat


class NotRegular(OSError):
    """Not a regular file (a FIFO, a device, a directory) or over its byte limit."""


def read_bytes(path, limit: int, follow: bool = True) -> bytes:
    """The file's bytes. Raises OSError: unreadable, `NotRegular`, or over `limit` bytes.
    `follow=False`: a symlink is refused too (files only taskctl itself writes)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(errno.EINVAL, "not a regular file", str(path))
        data = f.read(limit + 1)
    if len(data) > limit:
        raise NotRegular(errno.EFBIG, f"over the {limit:,}-byte limit", str(path))
    return data
