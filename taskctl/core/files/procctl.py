"""Linux process controls through prctl(2), via ctypes (no-ops elsewhere).

- `become_subreaper`: orphaned descendants are re-parented to this process, not to init, so
  the verify runner can still find and kill what an acceptance command left behind.
- `die_with_parent`: a forked helper is killed when the process that forked it ends (the
  cold-load helper of `core/load/fanout.py` never outlives an interrupted command).
"""

from __future__ import annotations

import ctypes
import os
import threading

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_lock = threading.Lock()
_subreaper: bool | None = None


def _prctl(option: int, arg: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); once per process."""
    global _subreaper
    with _lock:
        if _subreaper is None:
            _subreaper = os.uname().sysname == "Linux" and _prctl(PR_SET_CHILD_SUBREAPER, 1)
        return _subreaper


def is_subreaper() -> bool:
    """Did this process become its orphans' reaper (`become_subreaper`)?"""
    return bool(_subreaper)


def die_with_parent(parent_pid: int) -> bool:
    """In a forked child: have the kernel send SIGKILL when the parent ends (Linux). False
    when the parent is already gone (it ended before the request took effect) or the request
    failed; the caller should then stop."""
    import signal

    if os.uname().sysname != "Linux" or not _prctl(PR_SET_PDEATHSIG, signal.SIGKILL):
        return False
    return os.getppid() == parent_pid
