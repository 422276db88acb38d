"""Import of Markdown TODO lists into .tasks: creation, stable ids, re-import, round trip."""

from __future__ import annotations

import json

from taskctl.core.plan.progress import status_report
from taskctl.core.todo import export as todo_export
from taskctl.render.markdown_export import render
from tests.taskctl.core.todo.todo_support import FIXTURES, backlog, import_fixture, import_text


def _state(root):
    bl = backlog(root)
    return bl, {tid: (t.status, t.title) for tid, t in bl.tasks.items()}


def test_import_both_fixtures_into_a_new_tasks_dir(tmp_path):
    root = tmp_path / ".tasks"
    a = import_fixture(root, "research.md")
    b = import_fixture(root, "infra.md")
    assert (len(a.creates), len(b.creates)) == (44, 41)
    bl, state = _state(root)
    assert not bl.problems, [p.message for p in bl.problems]  # validate: clean
    assert len(state) == 85 and len({t for _, t in state.values()}) > 80
    by = status_report(bl)["by_status"]
    assert by == {"pending": 56, "in_progress": 2, "completed_unverified": 27}
    assert sorted(m.title for m in bl.milestones.values()) == [
        "Byte-level LM: scaling study", "Platform migration 2024"]
    manifest = json.loads((root / "manifest.json").read_text())
    assert len(manifest["tasks"]) == 85 and manifest["stats"]["total"] == 85


def test_structure_notes_and_keys(tmp_path):
    root = tmp_path / ".tasks"
    import_fixture(root, "research.md")
    bl = backlog(root)
    by_title = {t.title: t for t in bl.tasks.values()}
    corpus = by_title["Build the text corpus"]
    children = [t for t in bl.tasks.values() if t.extra.get("parent") == corpus.id]
    assert sorted(corpus.depends_on) == sorted(c.id for c in children) and len(children) == 4
    minhash = by_title["MinHash signatures"]
    assert minhash.extra["refs"] == ["data/minhash.py"]
    assert any(n.startswith("Status (Nov 18)") for n in minhash.extra["notes"])
    assert minhash.extra["import_source"] == "research.md"
    assert minhash.extra["import_key"].endswith(":: minhash signatures")
    seeds = by_title["Run 3 seeds on the H100 box"]
    assert seeds.status == "in_progress"
    sweep = by_title["256 wide"]
    assert (sweep.phase, sweep.extra["section"]) == ("Scaling runs", "Model sweep")
    assert by_title["Collect the golden-v2 arithmetic set"].status == "completed_unverified"
    text = corpus.path.read_text()
    assert text.startswith("---\nid: T003\n") and "## Description" in text


def test_reimport_same_list_changes_nothing(tmp_path):
    root = tmp_path / ".tasks"
    import_fixture(root, "infra.md")
    before = {p: p.read_text() for p in root.rglob("*") if p.is_file() and ".cache" not in
              p.parts}
    again = import_fixture(root, "infra.md")
    assert not again.changed and len(again.unchanged) == 41
    after = {p: p.read_text() for p in root.rglob("*") if p.is_file() and ".cache" not in
             p.parts}
    assert before == after


def test_reimport_of_an_edited_list_updates_in_place(tmp_path):
    root = tmp_path / ".tasks"
    import_fixture(root, "infra.md")
    _, before = _state(root)
    ids = {title: tid for tid, (_s, title) in before.items()}
    text = (FIXTURES / "infra.md").read_text()
    edited = (text.replace("- [ ] Cloud NAT", "- [x] Cloud NAT")            # ticked
              .replace("- [x] Disk and memory", "- [ ] Disk and memory")  # unticked
              .replace("  - [ ] Delete instances\n", "")                  # removed
              .replace("- [ ] Redis cache (no data migration: warm from scratch)",
                       "- [ ] Redis cache *warm from scratch, no migration*")  # note edit
              + "- [ ] Archive the old monitoring dashboards\n")      # added
    plan = import_text(root, edited, "infra.md")
    assert [c.fields["title"] for c in plan.creates] == ["Archive the old monitoring dashboards"]
    assert plan.creates[0].id == "T042"  # the next free id
    assert plan.removed == [(ids["Delete instances"], "Delete instances")]
    changes = {u.id: u.changes for u in plan.updates}
    assert changes[ids["Cloud NAT"]]["status"] == ("pending", "completed_unverified")
    assert changes[ids["Disk and memory"]]["status"] == ("completed_unverified", "pending")
    assert changes[ids["Redis cache"]]["notes"][1] == ["warm from scratch, no migration"]
    turn_off = ids["Turn off the old VMs"]
    assert changes[turn_off]["depends_on"][1] == [ids["Snapshot disks"]]
    bl, after = _state(root)
    assert len(after) == 42  # nothing deleted, nothing duplicated
    assert after[ids["Cloud NAT"]][0] == "completed_unverified"
    assert after[ids["Delete instances"]][0] == "pending"  # reported, kept
    assert not bl.errors
    events = list((root / "updates").glob("*.json"))
    assert len(events) == 2  # one per status change


def test_completed_is_never_downgraded_by_a_checkbox(tmp_path):
    root = tmp_path / ".tasks"
    import_text(root, "## P\n- [x] Ship it\n", "todo.md")
    task = next(iter(backlog(root).tasks.values()))
    task.path.write_text(task.path.read_text().replace("completed_unverified", "completed"))
    plan = import_text(root, "## P\n- [ ] Ship it\n", "todo.md")
    assert not plan.updates and plan.conflicts and "left completed" in plan.conflicts[0][1]


def test_moved_item_keeps_its_id(tmp_path):
    root = tmp_path / ".tasks"
    import_text(root, "## Old\n- [ ] Write docs\n- [ ] Ship\n", "todo.md")
    plan = import_text(root, "## New\n- [ ] Write docs\n- [ ] Ship\n", "todo.md")
    assert not plan.creates and not plan.removed
    assert {u.changes["phase"] for u in plan.updates} == {("Old", "New")}


def test_duplicate_texts_get_distinct_stable_keys(tmp_path):
    root = tmp_path / ".tasks"
    text = "## P\n- [ ] A\n  - [ ] Tests\n- [ ] B\n  - [ ] Tests\n  - [ ] Tests\n"
    first = import_text(root, text, "todo.md")
    assert len({c.fields["import_key"] for c in first.creates}) == 5
    assert not import_text(root, text, "todo.md").changed


def test_prefix_and_existing_ids(tmp_path):
    root = tmp_path / ".tasks"
    import_text(root, "- [ ] one\n- [ ] two\n", "a.md", prefix="INF-")
    plan = import_text(root, "- [ ] three\n", "b.md", prefix="INF-")
    assert [c.id for c in plan.creates] == ["INF-003"]


def test_round_trip_import_export_import_is_stable(tmp_path):
    root = tmp_path / ".tasks"
    import_fixture(root, "research.md")
    import_fixture(root, "infra.md")
    _, before = _state(root)
    exported = render(todo_export.build(backlog(root)))
    assert exported.count("<!-- taskctl:") == 85
    assert "- [x]" not in exported  # nothing is proven: nothing ticked
    assert exported.count("**(unverified)**") == 27
    plan = import_text(root, exported, "TODO.md")
    assert not plan.changed and not plan.removed and not plan.conflicts
    _, after = _state(root)
    assert after == before
    # and the regenerated list imports to the same export again
    assert render(todo_export.build(backlog(root))).split("\n", 3)[3] == \
        exported.split("\n", 3)[3]


def test_ticking_an_exported_line_marks_it_unverified(tmp_path):
    root = tmp_path / ".tasks"
    import_text(root, "## P\n- [ ] Ship it\n", "todo.md")
    exported = render(todo_export.build(backlog(root)))
    plan = import_text(root, exported.replace("- [ ] Ship it", "- [x] Ship it"), "TODO.md")
    assert plan.updates[0].changes == {"status": ("pending", "completed_unverified")}


def test_a_todo_list_saved_with_a_byte_order_mark(tmp_path, taskctl):
    """A Windows editor's byte-order mark is not part of the first line: its heading (the
    milestone) or its first item is read as without one."""
    todo = tmp_path / "TODO.md"
    todo.write_bytes("\ufeff# M27 Launch\n\n- [ ] alpha\n- [x] beta\n".encode())
    root = tmp_path / ".tasks"
    r = taskctl(["import", str(todo), "--tasks-dir", str(root), "--json"])
    assert r.code == 0, r.err
    bl = backlog(root)
    assert sorted(t.title for t in bl.tasks.values()) == ["alpha", "beta"]
    (mid,) = {t.milestone for t in bl.tasks.values()}
    assert mid is not None and bl.milestones[mid].title == "M27 Launch"
