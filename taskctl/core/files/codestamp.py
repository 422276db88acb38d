"""What identifies the running taskctl core, for caches whose values the core computes."""

from __future__ import annotations

import os

CORE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # taskctl/core
SCHEMAS = os.path.join(os.path.dirname(CORE), "schemas")  # taskctl/schemas: checks use them


_stamp: list = []  # memo (no functools: a warm read imports nothing it does not use)


def stamp() -> tuple[tuple[str, int], ...]:
    """(file, mtime_ns) of every module of the core and every packaged schema: an edited taskctl
    (an editable install, a patched site-packages) must not be answered from results of the
    old code, nor cached schema findings from an old schema. Computed once a process."""
    if not _stamp:
        _stamp.append(_scan())
    return _stamp[0]


def forget() -> None:
    """Compute the stamp again on next use (a test that points `CORE` elsewhere)."""
    _stamp.clear()


def _scan() -> tuple[tuple[str, int], ...]:
    out, stack = [], [CORE, SCHEMAS]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False) and e.name != "__pycache__":
                    stack.append(e.path)
                elif e.name.endswith((".py", ".json")):
                    out.append((e.name, e.stat().st_mtime_ns))
    return tuple(sorted(out))
