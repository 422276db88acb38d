"""Loading: formats, Markdown sections, the merge rule (task file wins), drift, cache."""

from __future__ import annotations

import json
import os

from taskctl.core.load import loader


def test_agent_mvp_model(copy_example):
    bl = loader.load(copy_example("agent-mvp"))
    assert sorted(bl.tasks) == ["T015", "T016", "T020", "T022", "T033", "T034"]
    t15 = bl.tasks["T015"]
    assert t15.status == "completed" and t15.priority == 1
    assert [c.checked for c in t15.criteria] == [True, True, False]
    assert t15.criteria[0].line == 26 and "set_seed" in t15.criteria[0].text
    assert t15.scenarios[0].title.startswith("Scenario 1")
    assert "Progress Log" in t15.sections and "Business Context" in t15.sections
    # plain YAML document with no Markdown
    t33 = bl.tasks["T033"]
    assert t33.format == "yaml" and t33.description.startswith("Stop when")
    assert [a.manual for a in t33.acceptance] == [False, False, True]
    assert t33.acceptance[0].timeout == 300
    # .md file with aliases
    t16 = bl.tasks["T016"]
    assert t16.depends_on == ["T015"] and t16.estimated_tokens == 6000 and t16.priority == 2
    # manifest fills what the file lacks; deferred ids known
    assert t16.estimated_hours == 1.5 and t16.phase == "mvp"
    assert bl.deferred == {"T023", "T024", "T018"}
    assert [p.name for p in bl.phases] == ["Reproducibility", "Session Resilience",
                                           "Training Improvements"]
    # summaries in completed/ are not tasks
    assert all(t.path.parent.name == "tasks" for t in bl.tasks.values())


def test_file_wins_and_drift_is_reported_at_the_manifest_line(copy_example):
    tasks = copy_example("agent-mvp")
    m = json.loads((tasks / "manifest.json").read_text())
    m["tasks"][1]["status"] = "completed"  # T016: file says pending
    m["tasks"][1]["title"] = "Old title"
    (tasks / "manifest.json").write_text(json.dumps(m, indent=2))
    bl = loader.load(tasks)
    assert bl.tasks["T016"].status == "pending"
    assert bl.tasks["T016"].title == "Reproducibility - Environment Snapshot"
    drift = [p for p in bl.problems if p.code == "W110" and p.task == "T016"]
    assert {p.message.split(":")[0] for p in drift} == {"T016 status", "T016 title"}
    assert all(p.file == ".tasks/manifest.json" and p.line for p in drift)


def test_unparseable_file_falls_back_to_its_manifest_entry(copy_example):
    tasks = copy_example("broken")
    bl = loader.load(tasks)
    t3 = bl.tasks["T003"]
    assert t3.format == "manifest" and t3.depends_on == ["T002"]


def test_file_cache_reparses_only_the_edited_file(copy_example, monkeypatch):
    from taskctl.core.load import filecache, safeyaml

    tasks = copy_example("agent-mvp")
    # the files were just written: inside the racy window nothing would be stored
    assert loader.load(tasks)
    # only the manifest's entries are kept: they are keyed on content, never racy
    assert {k.split("\0")[0] for k in filecache.FileCache(tasks).entries} == {loader.ENTRIES}
    monkeypatch.setattr(filecache, "RACY_NS", 0)  # from here on: files are stored
    (tasks / ".cache" / filecache.LEGACY).write_bytes(b"an earlier version's cache")
    first = loader.load(tasks)
    assert list((tasks / ".cache").glob(f"{filecache.NAME}-*.marshal"))
    assert not (tasks / ".cache" / filecache.LEGACY).exists()
    assert (tasks / ".cache" / ".gitignore").read_text() == "*\n"
    parsed: list[str] = []
    real = safeyaml.load
    monkeypatch.setattr(safeyaml, "load", lambda text, *a: parsed.append(text) or real(text, *a))
    f = tasks / "tasks" / "T034-warmup.yaml"
    f.write_text(f.read_text().replace('title: "Training Loop - Warmup Schedule"',
                                       'title: "Edited"'))
    second = loader.load(tasks)
    assert first.tasks["T034"].title != second.tasks["T034"].title == "Edited"
    assert len(parsed) == 1 and "Edited" in parsed[0]  # one file parsed, the others cached
    assert loader.load(tasks, use_cache=False).tasks == second.tasks


def test_file_cache_is_keyed_on_the_code(copy_example, monkeypatch, no_racy_window):
    from taskctl.core.files import codestamp
    from taskctl.core.load import filecache

    tasks = copy_example("agent-mvp")
    loader.load(tasks)
    assert filecache.FileCache(tasks).entries
    monkeypatch.setattr(codestamp, "stamp", lambda: (("edited.py", 1),))
    assert filecache.FileCache(tasks).entries == {}  # another taskctl: nothing reused


def test_file_cache_is_keyed_on_the_pyyaml_install(copy_example, monkeypatch, no_racy_window):
    """Files fastyaml declines are parsed by PyYAML: another install invalidates the cache,
    and the key is found without importing yaml."""
    import yaml

    from taskctl.core.load import filecache

    stamp = filecache._yaml_stamp()
    assert stamp[1] == yaml.__file__ and stamp[2] == os.path.getsize(yaml.__file__)
    tasks = copy_example("agent-mvp")
    loader.load(tasks)
    assert filecache.FileCache(tasks).entries
    monkeypatch.setattr(filecache, "_yaml_stamp", lambda: ("yaml", "/elsewhere", 1, 2))
    assert filecache.FileCache(tasks).entries == {}


def test_milestone_files_and_task_field(tmp_path):
    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "milestones").mkdir()
    (root / "tasks" / "T001-a.yaml").write_text("id: T001\ntitle: a\nmilestone: M1\n")
    (root / "tasks" / "T002-b.yaml").write_text("id: T002\ntitle: b\n")
    (root / "milestones" / "M1.yaml").write_text(
        "id: M1\ntitle: First\ntasks: [T002]\ndefinition_of_done: [all green]\n")
    bl = loader.load(root)
    m = bl.milestones["M1"]
    assert m.title == "First" and m.tasks == ["T002", "T001"]
    assert m.definition_of_done == ["all green"]
    assert any(p.code == "W101" for p in bl.problems)  # no manifest


def test_milestone_files_come_from_the_file_cache(tmp_path, monkeypatch, no_racy_window):
    """Unchanged milestone files are not parsed again (a tree whose files all come from the
    cache parses no YAML); an edited one, or a broken one, is seen as it is now."""
    from taskctl.core.load import safeyaml

    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "milestones").mkdir()
    (root / "tasks" / "T001-a.yaml").write_text("id: T001\ntitle: a\n")
    ms = root / "milestones" / "M1.yaml"
    ms.write_text("id: M1\ntitle: First\ntasks: [T001]\n")
    (root / "milestones" / "M2.yaml").write_text("id: [unclosed\n")
    first = loader.load(root)
    parsed: list[str] = []
    real = safeyaml.load
    monkeypatch.setattr(safeyaml, "load", lambda text, *a: parsed.append(text) or real(text, *a))
    again = loader.load(root)
    assert parsed == [] and again.milestones == first.milestones
    assert [p.to_dict() for p in again.problems] == [p.to_dict() for p in first.problems]
    assert any(p.file.endswith("M2.yaml") for p in again.problems)
    ms.write_text("id: M1\ntitle: Renamed\ntasks: [T001]\n")
    assert loader.load(root).milestones["M1"].title == "Renamed" and len(parsed) == 1


def test_caches_leave_a_read_only_tree_untouched(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    tasks.chmod(0o555)
    try:
        loader.load(tasks)
        assert taskctl(["next", "--json", "--tasks-dir", tasks]).code == 0
        assert not (tasks / ".cache").exists()
    finally:
        tasks.chmod(0o755)


def test_file_cache_normalises_only_what_changed(copy_example, monkeypatch, no_racy_window):
    from taskctl.core.load import specs

    tasks = copy_example("agent-mvp")
    loader.load(tasks)
    seen: list[tuple[str, str]] = []
    real = specs.from_mapping
    monkeypatch.setattr(specs, "from_mapping",
                        lambda d, kind, *a: seen.append((kind, d.get("id"))) or real(d, kind, *a))
    assert loader.load(tasks).tasks and seen == []  # files and manifest entries: rebuilt
    f = tasks / "tasks" / "T034-warmup.yaml"
    f.write_text(f.read_text().replace('title: "Training Loop - Warmup Schedule"',
                                       'title: "Edited"'))
    second = loader.load(tasks)
    assert seen == [("task", "T034")]
    m = tasks / "manifest.json"
    data = json.loads(m.read_text())
    data["tasks"][0]["title"] = "Drifted"
    m.write_text(json.dumps(data, indent=2))
    seen.clear()
    third = loader.load(tasks)
    assert seen == [("entry", data["tasks"][0]["id"])]  # one entry changed: one normalised
    assert any(p.rule == "manifest-drift" and "Drifted" in p.message for p in third.problems)
    fresh = loader.load(tasks, use_cache=False)
    assert (fresh.tasks, fresh.problems) == (third.tasks, third.problems)
    assert second.tasks["T034"].title == "Edited"
    for tid, t in third.tasks.items():  # same values of the same types as a fresh load
        assert type(t.status) is type(fresh.tasks[tid].status)
        assert t.acceptance == fresh.tasks[tid].acceptance


def test_symlinked_task_file_is_never_served_from_the_cache(tmp_path, monkeypatch, no_racy_window):
    """A link's own stat does not change when its target is edited: such files are parsed
    every time (a hit would skip reading, and guarding, the text)."""

    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "shared").mkdir()
    target = root / "shared" / "T001-a.yaml"
    target.write_text("id: T001\ntitle: before\n")
    (root / "tasks" / "T001-a.yaml").symlink_to(target)
    assert loader.load(root).tasks["T001"].title == "before"
    st = target.stat()
    target.write_text("id: T001\ntitle: after!\n")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert loader.load(root).tasks["T001"].title == "after!"


def test_one_edit_rewrites_one_shard_of_the_file_cache(copy_example, monkeypatch, no_racy_window):
    """The per-file cache is sharded: a save after one task file's edit (or one manifest
    entry's) rewrites the one shard holding it, never the whole cache."""
    from taskctl.core.load import filecache

    tasks = copy_example("agent-mvp")
    loader.load(tasks)
    cache = tasks / ".cache"

    def inodes() -> dict[str, int]:  # atomic writes replace a shard: a new inode
        return {p.name: p.stat().st_ino for p in cache.glob(f"{filecache.NAME}-*.marshal")}

    before = inodes()
    assert len(before) > 4
    loader.load(tasks)
    assert inodes() == before  # nothing changed: nothing written
    f = tasks / "tasks" / "T034-warmup.yaml"
    f.write_text(f.read_text().replace("Warmup Schedule", "Edited"))
    loader.load(tasks)
    after = inodes()
    changed = {n for n in after if after[n] != before.get(n)}
    assert changed == {filecache.shard_name(filecache.shard_of(str(f)))}
    m = tasks / "manifest.json"
    data = json.loads(m.read_text())
    data["tasks"][0]["title"] = "Drifted"
    m.write_text(json.dumps(data, indent=2))
    loader.load(tasks)
    again = inodes()
    row = f"{loader.ENTRIES}\0{data['tasks'][0]['id']}"
    assert {n for n in again if again[n] != after[n]} == {
        filecache.shard_name(filecache.shard_of(row))}


def test_loads_run_without_the_collector_and_leave_nothing_frozen():
    """The collector is off during a load and on after it; the load's objects go straight to
    the oldest generation, yet cyclic garbage made meanwhile is still found by a collection
    (nothing is left in the permanent generation)."""
    import gc
    import weakref

    class Node:
        pass

    assert gc.isenabled()
    with loader.collector_paused():
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle only the collector can free
        dead = weakref.ref(a)
        del a, b
        kept = [[i] for i in range(gc.get_threshold()[0] + 1000)]
        young = gc.get_stats()[0]["collections"]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    more = [[] for _ in range(100)]  # the load's objects left the young generation: no walk
    assert gc.get_stats()[0]["collections"] == young and more
    gc.collect()
    assert dead() is None and len(kept) > 1000
    gc.disable()
    try:  # inside a caller that turned the collector off: left off
        with loader.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
