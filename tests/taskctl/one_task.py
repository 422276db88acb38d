"""A canonical tree of one task, for tests that need a file of a given shape (kept apart from
tests/tree_copy.py, which the bundled backlog's acceptance commands read: a change there makes
their evidence stale)."""

from __future__ import annotations

from pathlib import Path


def one_task_tree(root: Path, front: str, body: str = "") -> Path:
    """A canonical tree at `root` with one task, T001 (`tasks/T001-one.md`: the front matter
    `front`, then `body`), and its manifest entry; returns the task file."""
    (root / "tasks").mkdir(parents=True)
    (root / "manifest.json").write_text(
        '{"tasks": [{"id": "T001", "title": "One", "file": "tasks/T001-one.md"}]}\n')
    f = root / "tasks" / "T001-one.md"
    f.write_text(f"---\n{front}---\n{body}")
    return f
