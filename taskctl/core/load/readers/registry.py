"""Which reader loads a store: detection, or the dialect named with --format.

Each dialect module in this package defines `READER`, an instance of `base.Reader`. Detection
tries them in `DIALECTS` order (most specific first) on the store's top folder listing and a
few stat calls; the canonical `tasks` dialect is also the fallback. Modules are imported by
name, only when needed (the pattern of `taskctl/cli/app.py`), so loading a canonical tree
imports no other reader.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from taskctl.core.load.readers.base import Reader, Top
from taskctl.errors import UsageError

# detection order: the stores of other tools, then the canonical shape, then the looser shapes
DIALECTS = ("taskmaster", "beads", "backlog-md", "tasks", "json-files", "slug-md",
            "tasks-json", "stories", "phases", "status-folders", "project-yaml", "numbered-md",
            "lanes-md")
CANONICAL = "tasks"


def get(name: str) -> Reader:
    """The reader of dialect `name`; UsageError listing the dialects for an unknown name."""
    if name not in DIALECTS:
        raise UsageError(f"unknown dialect {name!r}", f"choose one of: {', '.join(DIALECTS)}")
    mod = importlib.import_module(f"taskctl.core.load.readers.{name.replace('-', '_')}")
    return mod.READER


def detect(root: Path) -> Reader:
    """The first reader whose shape `root` has; the canonical reader when none does."""
    top = Top(root)
    if not top.files and not top.dirs:
        return get(CANONICAL)
    if "manifest.json" in top.files and "tasks" in top.dirs:
        canon = get(CANONICAL)  # the common case: answer without importing other readers
        if canon.detect(root, top):
            return canon
    for name in DIALECTS:
        r = get(name)
        if r.detect(root, top):
            return r
    return get(CANONICAL)


def load(root: Path, use_cache: bool = True, bodies: bool = True, dialect: str | None = None):
    """Load the store at `root` with the named dialect's reader, or the detected one."""
    reader = get(dialect) if dialect else detect(root)
    return reader.load(root, bodies=bodies, use_cache=use_cache)


def reader_of(bl) -> Reader:
    """The reader that loaded `bl` (for writing back in its dialect)."""
    return get(bl.dialect)
