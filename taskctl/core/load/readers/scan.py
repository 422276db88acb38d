"""Never silently wrong: list the files under the store that look like tasks but were not read.

Every file under the store ends up in exactly one of three groups: read by the reader (or a
known part of the store, like the manifest), a known non-task file (context, README, evidence,
updates, pictures…), or listed in a W160 warning with the reason it was not read.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.files import treewalk
from taskctl.core.problems import problem

TASKISH = (".md", ".markdown", ".yaml", ".yml", ".json", ".jsonl", ".toml", ".txt")
NON_TASK_DIRS = frozenset({
    ".cache", ".git", "evidence", "updates", "logs", "audit", "context", "schema", "schemas",
    "templates", "template", "assets", "images", "img", "attachments", "docs", "reports",
    "claims", ".locks"})  # who holds which task (docs/agents.md); lock files and intents
NON_TASK_NAMES = ("readme", "changelog", "license", "contributing", "trust.yaml",  # signing
                  "metrics.json",  # derived from the events by `taskctl sync --write`
                  ".gitignore", ".gitkeep", ".ds_store",
                  "agents.md", "claude.md")  # agent instructions: not tasks


def known_non_task(rel_parts: tuple[str, ...]) -> bool:
    """A file no dialect treats as a task: by folder, name or suffix."""
    if any(p.lower() in NON_TASK_DIRS for p in rel_parts[:-1]):
        return True
    name = rel_parts[-1].lower()
    if name.startswith(NON_TASK_NAMES) or name.startswith("."):
        return True
    return not name.endswith(TASKISH)


def walk(root: Path):
    """Every file under `root` (no symlinked folders followed), with its relative parts;
    known non-task folders are not entered."""
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d.lower() not in NON_TASK_DIRS)
        base = Path(dirpath)
        rel = base.relative_to(root).parts
        for n in sorted(names):
            yield base / n, (*rel, n)


def unread(root: Path, read: set[str], reader) -> list[tuple[Path, str]]:
    """(path, why) for each task-like file under `root` that the reader did not use (`read`:
    their paths as text, `Backlog.files_read`).

    Strings, not Paths, on the hot path: a 10,000-file tree is walked in tens of ms."""
    seen = read
    base = str(root)
    out = []
    held = treewalk.listing(root)  # a read answer's one walk of the store
    for dirpath, dirs, names in (os.walk if held is None else held.walk)(base):
        dirs[:] = sorted(d for d in dirs if d.lower() not in NON_TASK_DIRS)
        rel = () if dirpath == base else tuple(os.path.relpath(dirpath, base).split(os.sep))
        prefix = os.path.join(dirpath, "")
        # the files not read, told apart in C (set difference): a folder of 10,000 task files
        # that were all read costs no Python step per file
        for full in sorted(set(map(prefix.__add__, names)).difference(seen)):
            n = full[len(prefix):]
            if not n.lower().endswith(TASKISH):
                continue
            parts = (*rel, n)
            if known_non_task(parts) or reader.known(parts):
                continue
            out.append((Path(full), reader.unread_reason(parts)))
    return out


def report_unread(bl, reader, walked: list | None = None) -> None:
    """Fill `bl.unread` and add one W160 per file (the renderer folds a long run into one
    summary line). `walked`: what `unread` gave for this tree when nothing that it looks at
    can have changed since (a resident process's patched load, `kept.py`)."""
    bl.unread = list(walked) if walked is not None else unread(bl.root, bl.files_read, reader)
    for path, why in bl.unread:
        bl.problems.append(problem("unread-file", f"{path.name} looks like a task file but was "
                                   f"not read: {why}", file=bl.rel(path), line=1))
    if not bl.tasks:
        bl.problems.append(problem(
            "no-tasks", f"no tasks found in {bl.rel(bl.root)} (read as the {reader.name} "
            "dialect)", file=bl.rel(bl.root)))
