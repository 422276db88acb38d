"""Every shape of store seen in the wild loads the exact tasks, ids, statuses and
dependencies — and is detected as its dialect without being told."""

from __future__ import annotations

import pytest

from taskctl.core.load.loader import load
from taskctl.core.load.readers import registry

# fixture -> (dialect, {id: (status, depends_on)}) ; ids listed in natural order
EXPECTED = {
    "json-files": ("json-files", {
        "1": ("completed", []), "2": ("in_progress", ["1"]), "3": ("pending", ["1", "2"]),
        "10": ("pending", ["3"])}),
    "slug-md": ("slug-md", {
        "1": ("completed", []), "2": ("in_progress", ["1"]), "3": ("pending", ["1", "2"])}),
    "project-yaml": ("project-yaml", {
        "2": ("pending", []), "11": ("completed", []), "12": ("pending", ["11"]),
        "13": ("in_progress", ["12"])}),
    "status-folders": ("status-folders", {
        "T-001": ("completed", []), "T-002": ("completed", []), "T-003": ("in_progress", []),
        "T-004": ("pending", ["T-003"]), "T-005": ("pending", ["T-004"])}),
    "numbered-md": ("numbered-md", {
        "01": ("completed", []), "02": ("in_progress", ["01"]), "03": ("pending", ["01", "02"]),
        "10": ("pending", ["03"])}),
    "phases": ("phases", {
        "TASK-001": ("completed", []), "TASK-002": ("completed", ["TASK-001"]),
        "TASK-003": ("in_progress", ["TASK-001", "TASK-002"]),
        "TASK-004": ("blocked", ["TASK-003"])}),
    "tasks-json": ("tasks-json", {
        "a1": ("completed", []), "a2": ("in_progress", ["a1"]),
        "a10": ("pending", ["a1", "a2"])}),
    "tasks-json-array": ("tasks-json", {"1": ("completed", []), "2": ("pending", ["1"])}),
    "stories": ("stories", {
        "US-001": ("completed", []), "US-002": ("in_progress", ["US-001"]),
        "US-003": ("pending", ["US-002"])}),
    "taskmaster": ("taskmaster", {
        "1": ("completed", []), "2": ("in_progress", ["1", "2.1", "2.2"]),
        "2.1": ("completed", []), "2.2": ("pending", ["2.1"]), "3": ("pending", ["2"]),
        "10": ("deferred", ["3"])}),
    "backlog-md": ("backlog-md", {
        "task-1": ("completed", []), "task-2": ("in_progress", ["task-1"]),
        "task-3": ("pending", ["task-1", "task-2"]), "task-4": ("completed", [])}),
    "lanes-md": ("lanes-md", {
        "W-3": ("completed", []), "W-7": ("in_progress", ["W-3"]), "W-10": ("blocked", []),
        "W-12": ("pending", [])}),
    "beads": ("beads", {
        "bd-a1": ("completed", []), "bd-a2": ("in_progress", ["bd-a1"]),
        "bd-a3": ("pending", ["bd-a2"]), "bd-a5": ("pending", ["bd-a2"])}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_loads_exactly(name, dialect_tree):
    root = dialect_tree(name)
    dialect, want = EXPECTED[name]
    assert registry.detect(root).name == dialect
    bl = load(root, use_cache=False)
    assert bl.dialect == dialect
    assert list(bl.tasks) == list(want)  # natural id order: 2 before 10
    got = {tid: (t.status, t.depends_on) for tid, t in bl.tasks.items()}
    assert got == want
    assert bl.errors == []
    assert bl.unread == []
    for tid in bl.tasks:  # every task is placed: a file and a line for its status
        where = bl.sources[tid].where(("status",))
        assert where["file"] and where["line"] >= 1, tid


def test_dialect_spellings_are_not_warnings(dialect_tree):
    """`Todo`, `Medium`, `done`, `In Progress`, integer ids: the dialect's normal words."""
    for name in ("project-yaml", "json-files", "taskmaster", "backlog-md", "numbered-md"):
        bl = load(dialect_tree(name), use_cache=False)
        assert [p for p in bl.problems if p.code == "W100"] == [], name


def test_priorities_and_titles(dialect_tree):
    bl = load(dialect_tree("numbered-md"), use_cache=False)
    assert bl.tasks["01"].title == "Mise en place" and bl.tasks["01"].priority == 1  # Haute
    assert bl.tasks["10"].priority == 3 and bl.tasks["10"].title == "Release"
    bl = load(dialect_tree("project-yaml"), use_cache=False)
    assert bl.tasks["12"].priority == 2 and bl.tasks["12"].phase == "DEV"  # Medium


def test_forced_dialect_reads_as_told(dialect_tree):
    root = dialect_tree("numbered-md")
    bl = load(root, use_cache=False, dialect="tasks")
    assert bl.dialect == "tasks" and bl.tasks == {}
    unread = sorted(p.name for p, _ in bl.unread)
    assert unread == ["01-setup.md", "02-database.md", "03-api.md", "10-release.md"]
    codes = {p.code for p in bl.problems}
    assert {"W160", "W102"} <= codes  # files not read, and "no tasks found"


def test_taskmaster_other_tags_are_counted_not_dropped(dialect_tree, monkeypatch):
    root = dialect_tree("taskmaster")
    bl = load(root, use_cache=False)
    w = [p for p in bl.problems if p.code == "W160"]
    assert len(w) == 1 and "feature-qr" in w[0].message and "1 task" in w[0].message
    monkeypatch.setenv("TASKCTL_TAG", "feature-qr")
    bl = load(root, use_cache=False)
    assert list(bl.tasks) == ["1"] and bl.tasks["1"].title == "QR code images"


def test_taskmaster_runnable_test_strategy_is_acceptance(dialect_tree):
    bl = load(dialect_tree("taskmaster"), use_cache=False)
    assert [a.run for a in bl.tasks["1"].acceptance] == ["python -c \"print('ok')\""]
    assert [a.run for a in bl.tasks["3"].acceptance] == ["pytest -q tests/test_redirect.py"]
    assert bl.tasks["2"].acceptance == []  # prose is not a command


def test_sidecar_acceptance(dialect_tree):
    root = dialect_tree("beads")
    side = root.parent / ".taskctl"
    side.mkdir()
    (side / "acceptance.yaml").write_text(
        "bd-a3:\n  - criterion: retries are tested\n    run: python -c 'pass'\n")
    bl = load(root, use_cache=False)
    assert [a.run for a in bl.tasks["bd-a3"].acceptance] == ["python -c 'pass'"]


def test_beads_links_and_tombstones(dialect_tree):
    bl = load(dialect_tree("beads"), use_cache=False)
    assert "bd-a4" not in bl.tasks  # deleted
    assert bl.tasks["bd-a3"].extra["links"] == [{"type": "discovered-from", "id": "bd-a1"}]
    assert bl.tasks["bd-a2"].priority == 0


def test_detection_is_cheap(copy_example, monkeypatch):
    """Detecting a canonical tree lists its top folder and peeks at tasks/: it never walks
    the tree or reads a file."""
    import os
    from pathlib import Path

    root = copy_example("agent-mvp")
    scans = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p: scans.append(p) or real_scandir(p))

    def boom(*a, **k):
        raise AssertionError("detection walked or read the tree")

    monkeypatch.setattr(os, "walk", boom)
    monkeypatch.setattr(Path, "read_text", boom)
    monkeypatch.setattr(Path, "rglob", boom)
    assert registry.detect(root).name == "tasks"
    assert len(scans) <= 2


def test_unknown_dialect_name():
    from taskctl.errors import UsageError

    with pytest.raises(UsageError, match="unknown dialect"):
        registry.get("nope")


def test_lanes_labels_are_tags(dialect_tree):
    bl = load(dialect_tree("lanes-md"), use_cache=False)
    assert bl.tasks["W-7"].tags == ["perf"] and bl.tasks["W-7"].title == "Cache the rendered pages"


def test_a_board_without_entries_loads_as_no_tasks(tmp_path):
    """A TASKS.md with no `### ID: title` entry (here: front matter, as a task file has) is a
    board with no tasks, said as a warning — it raised from the reader (found by hypothesis)."""
    root = tmp_path / ".tasks"
    root.mkdir()
    (root / "tasks.md").write_text("---\nid: T1\ntitle: A\nstatus: pending\n---\n# A\n")
    bl = load(root, use_cache=False)
    assert bl.dialect == "lanes-md" and not bl.tasks
    assert any(p.code == "W161" or "no tasks" in p.message for p in bl.problems)


def test_listed_dependencies_are_ids_as_written(tmp_path):
    """A JSON store's dependency list names ids, digits or not (beads hash ids like
    `bd-abcd`, letter ids): none is dropped, a cycle and a dangling id are reported."""
    import json

    (tmp_path / "tasks.json").write_text(json.dumps({"tasks": [
        {"id": "A", "title": "a", "status": "pending", "dependsOn": ["B"]},
        {"id": "B", "title": "b", "status": "pending", "dependsOn": ["C"]},
        {"id": "C", "title": "c", "status": "pending", "dependsOn": ["A", " ghost ", "none"]},
    ]}))
    bl = load(tmp_path, use_cache=False)
    assert {t.id: t.depends_on for t in bl.tasks.values()} == {
        "A": ["B"], "B": ["C"], "C": ["A", "ghost"]}
    assert {p.code for p in bl.errors} == {"E030", "E031"}
    from taskctl.core.load.readers.base import refs

    assert refs("A and bd-abcd, T3") == ["T3"]  # free text: words need a digit, as before


def test_keys_a_tool_store_holds_beyond_the_model_stay_the_tasks_own(dialect_tree, taskctl):
    """Task Master and beads keys taskctl does not model are the task's `extra`, so `show`
    prints them and `convert` carries them into the front matter (they were dropped)."""
    import json

    import yaml

    tm = dialect_tree("taskmaster")
    f = tm / "tasks" / "tasks.json"
    doc = json.loads(f.read_text())
    doc["master"]["tasks"][0]["customField"] = {"a": 1}
    f.write_text(json.dumps(doc))
    bd = dialect_tree("beads")
    g = bd / "issues.jsonl"
    lines = g.read_text().splitlines()
    first = json.loads(lines[0])
    first.update({"external_ref": "gh-12", "close_reason": "done right"})
    g.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    for store, tid, want in ((tm, "1", {"customField": {"a": 1}}),
                             (bd, "bd-a1", {"external_ref": "gh-12",
                                            "close_reason": "done right",
                                            "issue_type": "task"})):
        bl = load(store, use_cache=False)
        assert want.items() <= bl.tasks[tid].extra.items()
        assert not {"details", "testStrategy", "subtasks", "design"} & bl.tasks[tid].extra.keys()
        out = store.parent / "converted"
        r = taskctl(["--tasks-dir", store, "convert", "-o", out])
        assert r.code == 0, r.err
        (path,) = (out / "tasks").glob(f"{tid}-*")
        fm = yaml.safe_load(path.read_text().split("---\n")[1])
        assert want.items() <= fm.items(), fm
