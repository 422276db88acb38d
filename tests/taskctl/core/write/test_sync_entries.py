"""`core/write/sync.py`: the manifest entry rebuilt for a task, and the changes a dry run lists.

Built in memory (a Backlog of a few tasks and an old entry as written): which old keys survive,
in which order, and which changes are reported for which entries."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.model import Backlog, Manifest, Task
from taskctl.core.write import sync


def _backlog(tmp_path: Path, tasks: list[Task], entries: list[dict]) -> Backlog:
    root = tmp_path / ".tasks"
    for t in tasks:
        t.path = root / "tasks" / f"{t.id}.yaml"
    manifest = Manifest(path=root / "manifest.json", data={"tasks": entries}, entries=[])
    return Backlog(root=root, tasks={t.id: t for t in tasks}, manifest=manifest)


def test_an_entry_keeps_unknown_keys_after_the_canonical_ones_and_drops_what_the_task_lost(
        tmp_path):
    t = Task("T1", title="One", status="pending", priority=1, tags=["a"])
    old = {"id": "T1", "notes": "kept", "phase": "p1", "milestone": "M1", "created": "2026-01-01",
           "dependencies": ["T0"], "title": "Old", "completed_by": "bot", "estimated_hours": 3}
    bl = _backlog(tmp_path, [t], [old])
    e = sync.entry_for(bl, t, old)
    assert list(e) == ["id", "title", "file", "status", "priority", "tags", "notes",
                       "completed_by"]
    assert e["title"] == "One" and e["file"] == "tasks/T1.yaml" and e["notes"] == "kept"
    # phase, milestone, estimate: the task has none now, so the old values go; aliases and
    # dependency spellings are rewritten from the task, never kept as written
    assert not {"phase", "milestone", "estimated_hours", "created", "dependencies"} & set(e)


def test_a_blank_phase_is_no_phase_and_an_absent_list_stays_absent(tmp_path):
    t = Task("T1", title="One", phase="", milestone="", depends_on=[], tags=[])
    bl = _backlog(tmp_path, [t], [])
    assert "phase" not in sync.entry_for(bl, t, {"id": "T1", "phase": "old"})
    e = sync.entry_for(bl, t, {"id": "T1", "tags": ["x"]})
    assert e["tags"] == [] and "depends_on" not in e  # written empty where it was written
    assert sync.entry_for(bl, t, None)["depends_on"] == []  # a new entry lists it


def test_blocks_lists_dependents_then_deferred_ids_and_is_never_shared(tmp_path):
    a, b = Task("T1", blocks=["D9", "T2"]), Task("T2", depends_on=["T1"])
    c = Task("T3", depends_on=["T1", "T2"])
    bl = _backlog(tmp_path, [a, b, c], [])
    deps = sync.dependents_of(bl)
    assert sync.entry_for(bl, a, None, deps)["blocks"] == ["T2", "T3", "D9"]
    first = sync.entry_for(bl, b, None, deps)["blocks"]
    assert first == ["T3"]
    first.append("X")  # the caller owns its entry's lists
    assert sync.entry_for(bl, b, None, deps)["blocks"] == ["T3"]
    assert deps == {"T1": ["T2", "T3"], "T2": ["T3"]}


def test_the_dry_run_lists_each_changed_key_and_nothing_for_an_unchanged_entry(tmp_path):
    t1, t2 = Task("T1", title="One", status="pending"), Task("T2", title="Two", status="pending")
    bl = _backlog(tmp_path, [t1, t2], [])
    current = [sync.entry_for(bl, t, None) for t in (t1, t2)]
    stale = dict(current[1], title="Old two", extra="x")
    bl.manifest = Manifest(path=bl.root / "manifest.json",
                           data={"tasks": [current[0], stale, {"id": "T9", "file": "tasks/T9"}]},
                           entries=[])
    res = sync.plan(bl)
    changes = [c for c in res.changes if not c.endswith("regenerated")]
    assert changes == ["T2.title: 'Old two' -> 'Two'", "remove entry T9 (no task file)"]
    assert res.data["tasks"][1]["extra"] == "x"  # an unknown key is no change


def test_put_derived_keeps_the_stats_keys_it_does_not_compute_where_they_were():
    data = {"stats": {"mvp_tasks": 6, "total": 1, "note": "x"}, "tasks": []}
    kept = sync.put_derived(data, {"stats": {"total": 2, "by_status": {}, "deferred": 0},
                                   "critical_path": {"path": []}})
    assert kept == ["mvp_tasks", "note"]
    assert list(data["stats"].items()) == [("mvp_tasks", 6), ("total", 2), ("note", "x"),
                                           ("by_status", {}), ("deferred", 0)]
    assert data["critical_path"] == {"path": []}
    for old in ({}, {"stats": [1, 2]}, {"stats": {"total": 5}}):  # nothing of its own to keep
        assert sync.put_derived(old, {"stats": {"total": 2}}) == []
        assert old["stats"] == {"total": 2}


def test_a_completion_keeps_the_stats_keys_taskctl_does_not_compute(copy_example):
    """`status.update_manifest` (verify's completion, `reopen`) regenerates the derived data in
    the manifest's write: another tool's `stats` keys stay."""
    import json

    from taskctl.core.load import loader
    from taskctl.core.write import status

    root = copy_example("agent-mvp")
    bl = loader.load(root, use_cache=False)
    assert status.update_manifest(root, "T033", "completed", "2026-12-03", bl) is None
    stats = json.loads((root / "manifest.json").read_text())["stats"]
    assert stats["mvp_tasks"] == 6 and stats["total_planned"] == 9
    assert stats["by_status"]["completed"] == 3


def test_a_manifest_without_stats_gets_the_derived_keys_after_its_own(tmp_path):
    bl = _backlog(tmp_path, [Task("T1", title="One", status="pending")], [{"id": "T1"}])
    bl.manifest.data["project"] = {"name": "p"}
    res = sync.plan(bl)
    assert list(res.data) == ["tasks", "project", "dependency_graph", "stats", "critical_path"]
    assert res.data["stats"] == {"total": 1, "by_status": {"pending": 1}, "deferred": 0}


def test_the_derived_data_counts_the_statuses_the_locked_manifest_holds(copy_example):
    """Another process completed a task after this one loaded: the derived data written with
    this completion counts both (the manifest holds the merged truth), and the tasks whose
    status is unchanged are the loaded ones."""
    import json

    from taskctl.core.load import loader
    from taskctl.core.write import status

    root = copy_example("agent-mvp")
    bl = loader.load(root, use_cache=False)
    path = root / "manifest.json"
    data = json.loads(path.read_text())
    next(e for e in data["tasks"] if e["id"] == "T034")["status"] = "completed"  # elsewhere
    path.write_text(json.dumps(data, indent=2))
    before = dict(bl.tasks)
    assert status.update_manifest(root, "T033", "completed", "2026-12-04", bl) is None
    written = json.loads(path.read_text())
    assert written["stats"]["by_status"]["completed"] == 4  # T015, T020, T033, T034
    assert written["stats"]["by_status"]["pending"] == 1  # T016
    assert written["dependency_graph"] == {t.id: list(t.depends_on) for t in bl.tasks.values()}
    assert bl.tasks == before and bl.tasks["T034"].status == "pending"  # the load untouched
