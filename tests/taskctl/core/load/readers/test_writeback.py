"""A status change is written back in the store's own dialect and words, and every other
byte of the file stays as it was; where a dialect cannot take it, nothing is written."""

from __future__ import annotations

import json

import pytest

from taskctl.core.load.loader import load
from taskctl.core.write import status as sw
from taskctl.errors import NotWritable

AT = "2026-02-01T10:00:00Z"

# fixture, task id, file (relative to the store), old text, new text
CASES = [
    ("json-files", "3", "tasks/00003.json", '"status": "pending"', '"status": "done"'),
    ("tasks-json", "a10", "tasks.json", '"status": "pending", "dep', '"status": "done", "dep'),
    ("stories", "US-003", "FEAT-002-billing/stories/US-003.json", '"status": "To Do"',
     '"status": "Done"'),
    ("slug-md", "3", "manifest.json", '"status": "todo"', '"status": "completed"'),
    ("project-yaml", "12", "DEV/12.yml", "status: Todo", "status: Done"),
    ("numbered-md", "03", "03-api.md", "- **Status**: Pending", "- **Status**: Done"),
    ("numbered-md", "10", "10-release.md", "| 📋 To Do |", "| ✅ Terminé |"),
    ("phases", "TASK-004", "phase-2-features/TASK-004.md", "**Status:** Blocked",
     "**Status:** Completed"),
    ("backlog-md", "task-3", "tasks/task-3 - Shopping-list.md", "status: To Do", "status: Done"),
    ("taskmaster", "2.2", "tasks/tasks.json", '"status": "pending", "dependencies": [1]',
     '"status": "done", "dependencies": [1]'),
]


@pytest.mark.parametrize(("name", "tid", "rel", "old", "new"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_status_change_touches_only_the_status(name, tid, rel, old, new, dialect_tree):
    root = dialect_tree(name)
    path = root / rel
    before = path.read_bytes()
    assert before.decode().count(old) == 1
    bl = load(root, use_cache=False)
    assert bl.tasks[tid].status != "completed"
    assert sw.complete(bl, bl.tasks[tid], AT, "tester", "run-1", [], {}) == []
    assert path.read_bytes() == before.decode().replace(old, new).encode()
    again = load(root, use_cache=False)
    assert again.tasks[tid].status == "completed"
    assert [p.code for p in again.errors if p.code != "E032"] == [] and again.unread == []
    events = list((root / "updates").glob("*.json"))
    assert len(events) == 1 and json.loads(events[0].read_text())["to"] == "completed"


def test_beads_line_changes_alone(dialect_tree):
    root = dialect_tree("beads")
    path = root / "issues.jsonl"
    lines = path.read_text().split("\n")
    bl = load(root, use_cache=False)
    sw.complete(bl, bl.tasks["bd-a3"], AT, "tester", "run-1", [], {})
    after = path.read_text().split("\n")
    changed = [i for i, (a, b) in enumerate(zip(lines, after, strict=True)) if a != b]
    assert changed == [2]
    assert after[2] == lines[2].replace('"status":"open"', '"status":"closed"')


def test_status_folders_move_the_file_unchanged(dialect_tree):
    root = dialect_tree("status-folders")
    src = root / "PENDING" / "T-004-rate-limits.md"
    before = src.read_bytes()
    bl = load(root, use_cache=False)
    sw.complete(bl, bl.tasks["T-004"], AT, "tester", "run-1", [], {})
    assert not src.exists()
    assert (root / "COMPLETED" / "T-004-rate-limits.md").read_bytes() == before
    assert load(root, use_cache=False).tasks["T-004"].status == "completed"


def test_refusals_write_nothing(dialect_tree):
    root = dialect_tree("status-folders")
    bl = load(root, use_cache=False)
    with pytest.raises(NotWritable, match="no folder for cancelled"):
        sw.write_back(bl, bl.tasks["T-004"], "cancelled", None)
    root = dialect_tree("phases")  # TASK-002's status comes from the master list
    bl = load(root, use_cache=False)
    text = (root / "phase-1-foundation" / "TASK-002.md").read_text()
    with pytest.raises(NotWritable, match="no status line"):
        sw.complete(bl, bl.tasks["TASK-002"], AT, "tester", "run-1", [], {})
    assert (root / "phase-1-foundation" / "TASK-002.md").read_text() == text
    assert not (root / "updates").exists()  # the refusal recorded no event either


def test_read_only_dialect_refuses(dialect_tree):
    root = dialect_tree("lanes-md")
    before = (root / "TASKS.md").read_bytes()
    bl = load(root, use_cache=False)
    with pytest.raises(NotWritable, match="lanes-md dialect cannot be written back"):
        sw.complete(bl, bl.tasks["W-12"], AT, "tester", "run-1", [], {})
    assert (root / "TASKS.md").read_bytes() == before and not (root / "updates").exists()
