"""`taskctl sync`: dry run by default (exit 1 when stale), --write regenerates atomically."""

from __future__ import annotations

import json


def test_sync_dry_run_then_write_then_clean(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    before = (tasks / "manifest.json").read_text()
    r = taskctl(["sync", "--tasks-dir", tasks])
    assert r.code == 1 and "out of date" in r.out
    assert (tasks / "manifest.json").read_text() == before  # dry run wrote nothing
    r = taskctl(["sync", "--tasks-dir", tasks, "--write", "--json"])
    assert r.code == 0 and r.json()["written"] is True
    m = json.loads((tasks / "manifest.json").read_text())
    by_id = {e["id"]: e for e in m["tasks"]}
    assert by_id["T020"]["status"] == "completed"      # alias 'complete' normalised
    assert by_id["T015"]["priority"] == "P1"
    assert by_id["T015"]["blocks"] == ["T016", "T034", "T018"]  # derived + deferred kept
    assert by_id["T015"]["completed_by"] == "task-completer"    # unknown keys kept
    assert m["project"]["name"] == "Example LM trainer - MVP"  # non-derived parts kept
    assert m["stats"]["total"] == 6 and m["dependency_graph"]["T034"] == ["T033", "T015"]
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0
    assert not list(tasks.glob(".manifest.json.*"))  # no temp files left


def test_sync_refuses_to_write_with_spec_errors(copy_example, taskctl):
    tasks = copy_example("broken")
    before = (tasks / "manifest.json").read_text()
    r = taskctl(["sync", "--tasks-dir", tasks, "--write"])
    assert r.code == 1 and "not writing" in r.err
    assert (tasks / "manifest.json").read_text() == before


def test_sync_adopts_an_orphan_task_file(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    (tasks / "tasks" / "T040-new.yaml").write_text(
        "---\nid: T040\ntitle: New work\nstatus: pending\npriority: P2\ndepends_on: [T022]\n---\n")
    r = taskctl(["validate", "--tasks-dir", tasks, "--json"])
    assert r.code == 1 and any(p["code"] == "E023" for p in r.json()["problems"])
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    m = json.loads((tasks / "manifest.json").read_text())
    entry = next(e for e in m["tasks"] if e["id"] == "T040")
    assert entry["file"] == "tasks/T040-new.yaml" and entry["depends_on"] == ["T022"]
    assert next(e for e in m["tasks"] if e["id"] == "T022")["blocks"] == ["T040"]
    assert taskctl(["validate", "--tasks-dir", tasks]).code == 0


def test_sync_write_keeps_the_documents_key_order_and_kept_parts(copy_example, taskctl):
    """Only the entries and the derived data are rebuilt: every other part is written back as
    it was, each top-level key where it was (a reviewer's diff shows only what changed)."""
    tasks = copy_example("agent-mvp")
    before = json.loads((tasks / "manifest.json").read_text())
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    after = json.loads((tasks / "manifest.json").read_text())
    assert list(after)[:len(before)] == list(before)  # new derived keys, if any, come last
    regenerated = {"tasks", "dependency_graph", "stats", "critical_path"}
    assert {k: v for k, v in after.items() if k not in regenerated} == {
        k: v for k, v in before.items() if k not in regenerated}


def test_stats_keys_taskctl_does_not_compute_are_kept_by_every_write(copy_example, taskctl):
    """agent-mvp's `stats` has `mvp_tasks` and `total_planned` (another tool's counts): sync
    says it keeps them and regenerates its own keys beside them; a status change (`block`,
    which regenerates the derived data in the same write) and a field edit (`set`) keep them
    too."""
    tasks = copy_example("agent-mvp")
    r = taskctl(["sync", "--tasks-dir", tasks])
    assert "stats: regenerated (kept as written: mvp_tasks, total_planned)" in r.out, r.out
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    stats = json.loads((tasks / "manifest.json").read_text())["stats"]
    assert list(stats) == ["mvp_tasks", "total_planned", "total", "by_status", "deferred"]
    assert stats["mvp_tasks"] == 6 and stats["total_planned"] == 9 and stats["total"] == 6
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0  # clean: kept keys are no change
    pending = stats["by_status"]["pending"]
    assert taskctl(["block", "T034", "--reason", "waiting", "--tasks-dir", tasks]).code == 0
    assert taskctl(["set", "T033", "title=Early stopping, patience", "--tasks-dir", tasks]
                   ).code == 0
    stats = json.loads((tasks / "manifest.json").read_text())["stats"]
    assert stats["mvp_tasks"] == 6 and stats["total_planned"] == 9
    assert stats["by_status"]["pending"] == pending - 1 and stats["by_status"]["blocked"] == 1
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0


def test_sync_never_replaces_a_manifest_it_cannot_read(copy_example, taskctl):
    """Not JSON, or not an object: rebuilt from the task files alone it would lose the rest
    (project, phases, the entries' own keys). Refused, dry run and --write alike."""
    tasks = copy_example("agent-mvp")
    good = (tasks / "manifest.json").read_text()
    for bad in (good.replace('"tasks"', '"x": 1,, "tasks"', 1),
                json.dumps(json.loads(good)["tasks"])):
        (tasks / "manifest.json").write_text(bad)
        for args in ([], ["--write"]):
            r = taskctl(["sync", "--tasks-dir", tasks, *args])
            assert r.code == 2 and "sync would replace it" in r.err, r.err
            assert (tasks / "manifest.json").read_text() == bad


def test_sync_merges_duplicate_entries_and_drops_non_objects(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    m = json.loads((tasks / "manifest.json").read_text())
    first = next(e for e in m["tasks"] if e["id"] == "T015")
    m["tasks"].append({**first, "owner": "bob"})
    first["jira_key"] = "ABC-12"
    m["tasks"] += ["T099 legacy note", None]
    (tasks / "manifest.json").write_text(json.dumps(m, indent=2))
    r = taskctl(["sync", "--tasks-dir", tasks, "--json"])
    changes = r.json()["changes"]
    assert "merge 1 duplicate entry (each id's copies into one)" in changes
    assert "drop 2 entries that are not an object" in changes
    assert len(changes) == len(set(changes))  # each change said once
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    kept = [e for e in json.loads((tasks / "manifest.json").read_text())["tasks"]
            if e["id"] == "T015"]
    assert len(kept) == 1 and kept[0]["jira_key"] == "ABC-12" and kept[0]["owner"] == "bob"


def test_an_added_entry_is_not_called_a_duplicate(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    (tasks / "tasks" / "T040-new.yaml").write_text(
        "---\nid: T040\ntitle: New work\nstatus: pending\n---\n")
    changes = taskctl(["sync", "--tasks-dir", tasks, "--json"]).json()["changes"]
    assert "add entry T040" in changes and not any("duplicate" in c for c in changes)


def test_sync_keeps_the_phases_lists_in_step_with_the_files(tmp_path, taskctl):
    """A phase changed by hand in a task file: sync moves the task between the manifest's
    `phases` lists as `set phase=` does (it stayed listed under its old phase)."""
    from pathlib import Path

    from tests.tree_copy import copy_tracked

    tasks = copy_tracked(Path(__file__).resolve().parents[3] / ".tasks", tmp_path / ".tasks")
    f = next((tasks / "tasks").glob("T004-*"))
    f.write_text(f.read_text().replace("phase: tracking", "phase: registry", 1))
    changes = taskctl(["sync", "--tasks-dir", tasks, "--json"]).json()["changes"]
    assert "phases: T004 into registry (from tracking)" in changes
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    phases = {p["name"]: p["tasks"]
              for p in json.loads((tasks / "manifest.json").read_text())["phases"]}
    assert "T004" in phases["registry"] and "T004" not in phases["tracking"]
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0  # in step: nothing more to do
    r = taskctl(["list", "--tasks-dir", tasks, "--phase", "tracking", "--json"])
    assert "T004" not in [t["id"] for t in r.json()["tasks"]]


def test_an_entry_held_by_a_file_read_under_another_id_says_so(tmp_path, taskctl):
    from pathlib import Path

    from tests.tree_copy import copy_tracked

    tasks = copy_tracked(Path(__file__).resolve().parents[3] / ".tasks", tmp_path / ".tasks")
    f = next((tasks / "tasks").glob("T004-*"))
    f.write_text(f.read_text().replace("id: T004", "id: t004", 1))
    r = taskctl(["sync", "--tasks-dir", tasks, "--write", "--force"])
    assert r.code == 1 and "not dropping the manifest entry of T004" in r.err
    assert "read as task t004: give it the id T004" in r.err


def test_a_phase_listing_no_tasks_yet_gets_them_and_names_only_are_left(tmp_path, taskctl):
    from pathlib import Path

    from tests.tree_copy import copy_tracked

    tasks = copy_tracked(Path(__file__).resolve().parents[3] / ".tasks", tmp_path / ".tasks")
    m = json.loads((tasks / "manifest.json").read_text())
    eval_phase = next(p for p in m["phases"] if "T004" in p["tasks"])
    eval_phase.pop("tasks")
    (tasks / "manifest.json").write_text(json.dumps(m, indent=2))
    assert taskctl(["sync", "--tasks-dir", tasks, "--write"]).code == 0
    names = [p["name"] for p in json.loads((tasks / "manifest.json").read_text())["phases"]]
    assert len(names) == len(set(names))  # no second phase of that name
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0
    m["phases"] = [p["name"] for p in m["phases"]]  # names only: left as they are
    (tasks / "manifest.json").write_text(json.dumps(m, indent=2))
    taskctl(["sync", "--tasks-dir", tasks, "--write"])
    assert json.loads((tasks / "manifest.json").read_text())["phases"] == m["phases"]
    assert taskctl(["sync", "--tasks-dir", tasks]).code == 0


def test_the_dry_run_says_when_the_write_would_refuse(copy_example, taskctl):
    """The broken example's T004 entry is held by a file read as T044: the dry run lists the
    removal and says that `--write` refuses it, as the write then does."""
    root = copy_example("broken")
    r = taskctl(["--tasks-dir", root, "sync"])
    assert r.code == 1 and "but --write would refuse: not dropping the manifest entry of T004" \
        in r.out, r.out
    doc = taskctl(["--tasks-dir", root, "sync", "--json"]).json()
    assert doc["write_refused"].startswith("not dropping the manifest entry of T004")
    w = taskctl(["--tasks-dir", root, "sync", "--write", "--force"])
    assert w.code == 1 and "not dropping the manifest entry of T004" in w.err
    synced = copy_example("agent-mvp")
    taskctl(["--tasks-dir", synced, "sync", "--write"])
    assert "write_refused" not in taskctl(["--tasks-dir", synced, "sync", "--json"]).json()
