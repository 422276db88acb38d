"""The stored backlog (`core/load/snapshot.py`): a load answered from it — unchanged, or
patched for edited task files — is the backlog a full load without any cache gives (tasks,
problems in order, sources, milestones), and anything it cannot patch is loaded in full."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taskctl.core.load
from taskctl.core.load import loader, snapshot
from taskctl.core.load import manifest as mf
from taskctl.core.load import stored as stored_files

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "benchmarks"))
from gen_tree import generate  # noqa: E402

EDITS = {  # one edit of a task file's text: what an agent or a person does
    "title": lambda t: t.replace("title: ", "title: Edited ", 1),
    "status": lambda t: re.sub(r"(?m)^status: .*$", "status: in_progress", t, count=1),
    "priority": lambda t: re.sub(r"(?m)^priority: .*$", "priority: P0", t, count=1),
    "no-deps": lambda t: re.sub(r"(?m)^(depends_on|dependencies): .*$", r"\1: []", t, count=1),
    "dangling": lambda t: re.sub(r"(?m)^(depends_on|dependencies): \[",
                                 r"\1: [T99999, ", t, count=1),
    "schema": lambda t: t.replace("title: ", "estimated_hours: lots\ntitle: ", 1),
    "body": lambda t: t + "\nOne more line of notes.\n",
    "milestone": lambda t: t.replace("title: ", "milestone: M-new\ntitle: ", 1),
    "new-id": lambda t: re.sub(r"(?m)^id: .*$", "id: T77777", t, count=1),
    "blocks": lambda t: t.replace("title: ", "blocks: [T001]\ntitle: ", 1),
    "broken-yaml": lambda t: t.replace("title: ", "title: [unclosed\n", 1),
}


@pytest.fixture(autouse=True)
def _serial(monkeypatch, no_racy_window):
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)  # stored before the next load
    # a patched entry's manifest line found by the guessed starts on these small trees too
    # (`LineIndex._jump`); the full loads compared with decode every entry up to it
    monkeypatch.setattr(mf, "JUMP_AFTER", 0)


def full(root: Path):
    return loader.load(root, use_cache=False, bodies=False)


def stored(root: Path, monkeypatch, expect: bool | None = None):
    """A load with the cache on, and whether the stored backlog answered it."""
    got = []
    restore = snapshot.restore

    def spy(r):
        got.append(restore(r))
        return got[-1]

    with monkeypatch.context() as m:
        m.setattr(snapshot, "restore", spy)
        bl = loader.load(root, bodies=False)
    answered = bool(got) and got[0] is not None
    if expect is not None:
        assert answered is expect
    return bl


def same(a, b) -> None:
    assert list(a.tasks) == list(b.tasks)
    assert a.tasks == b.tasks
    assert [p.to_dict() for p in a.problems] == [p.to_dict() for p in b.problems]
    assert a.sources.keys() == b.sources.keys()
    for tid, src in a.sources.items():  # where each task's problems would point
        other = b.sources[tid]
        assert (src.file, src.manifest_file) == (other.file, other.manifest_file)
        for key in ((), ("id",), ("title",), ("depends_on",), ("status",)):
            assert src.where(key) == other.where(key), (tid, key)
    assert a.milestones == b.milestones
    assert (a.phases, a.mvp, a.deferred, a.files_read) == (b.phases, b.mvp, b.deferred,
                                                          b.files_read)
    assert a.manifest.data == b.manifest.data
    assert [(e.id, e.data) for e in a.manifest.entries] == [(e.id, e.data)
                                                            for e in b.manifest.entries]


def _task_files(root: Path) -> list[Path]:
    return loader.task_files(root)


def _edit(path: Path, how: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(EDITS[how](text), encoding="utf-8")
    st_ = path.stat()  # a new mtime even on a fast filesystem: the stat key must change
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000))


@pytest.mark.parametrize("example", ["agent-mvp", "broken", "generated"])
def test_an_unchanged_tree_is_answered_from_the_stored_backlog(example, copy_example,
                                                               generated, monkeypatch):
    root = generated if example == "generated" else copy_example(example)
    first = stored(root, monkeypatch)
    assert (root / ".cache" / snapshot.NAME).is_file() or example == "broken"
    again = stored(root, monkeypatch, expect=example != "broken")
    same(again, full(root))
    same(first, again)


def test_the_broken_example_stores_nothing_it_cannot_trust(copy_example, monkeypatch):
    """broken/ names a task file that is not listed: its existence is an input the stored
    backlog does not watch, so none is stored and every load is a full one."""
    root = copy_example("broken")
    stored(root, monkeypatch, expect=False)
    assert not (root / ".cache" / snapshot.NAME).exists()
    stored(root, monkeypatch, expect=False)


@pytest.mark.parametrize("how", sorted(EDITS))
def test_one_edited_task_file_is_patched_in_or_loaded_in_full(how, generated, monkeypatch):
    root = generated
    stored(root, monkeypatch)
    target = _task_files(root)[37]
    _edit(target, how)
    patched = how not in ("new-id", "broken-yaml")  # an id changed, or no task: in full
    bl = stored(root, monkeypatch, expect=patched)
    same(bl, full(root))
    # and the snapshot stored after the patch (or the full load) answers the next load
    same(stored(root, monkeypatch, expect=True if patched else None), full(root))


def _with_check_findings(root: Path) -> dict[str, Path]:
    """Cross-file findings in tasks of the generated tree: a dangling dependency, a
    completed task with an open dependency, a blocks list its target does not depend on."""
    files = _task_files(root)
    named = {"dangling": files[10], "completed": files[20], "blocks": files[30],
             "unrelated": files[60]}
    _edit(named["dangling"], "dangling")
    text = named["completed"].read_text()
    named["completed"].write_text(re.sub(r"(?m)^status: .*$", "status: completed", text, count=1))
    first_dep = re.search(r"(?m)^depends_on: \[(\w+)", text).group(1)
    named["dependency"] = next(f for f in files if f.name.startswith(first_dep + "-"))
    named["dependency"].write_text(re.sub(r"(?m)^status: .*$", "status: pending",
                                          named["dependency"].read_text(), count=1))
    named["blocks"].write_text(named["blocks"].read_text().replace(
        "title: ", f"blocks: [{files[1].name.split('-')[0]}]\ntitle: ", 1))
    past = time.time_ns() - 10_000_000_000  # settled: not in the window a cache distrusts
    for path in named.values():
        os.utime(path, ns=(past, past))
    return named


@pytest.mark.parametrize(("which", "how", "checked"), [
    ("unrelated", "title", "kept"),  # the checks' findings are kept as stored
    ("unrelated", "body", "kept"),
    ("dangling", "body", "run"),  # a finding sits in the edited task: found again
    ("unrelated", "dangling", "run"),  # what the checks read changed
    ("dependency", "status", "statuses"),  # another task's finding depends on its status
    ("completed", "status", "statuses"),  # its own completion-order finding: found again
    ("unrelated", "status", "statuses"),
    ("dangling", "status", "run"),  # a status, but a finding of another check sits in it
    ("blocks", "title", "run"),
    ("unrelated", "milestone", "run"),
    ("unrelated", "blocks", "run"),
    ("unrelated", "no-deps", "run"),
])
def test_the_cross_file_checks_are_kept_only_while_they_hold(which, how, checked, generated,
                                                            monkeypatch):
    """Kept as stored; or, after edits of statuses alone, the completion order checked again
    (`checks.run_statuses`); or every check run again: each gives a full load's findings."""
    root = generated
    named = _with_check_findings(root)
    first = stored(root, monkeypatch)
    assert {"E030", "E032", "W120"} <= {p.code for p in first.problems}  # the three above
    _edit(named[which], how)
    runs = []
    for name in ("run", "run_statuses"):
        real = getattr(snapshot.checks, name)
        monkeypatch.setattr(snapshot.checks, name, lambda *a, _n=name, _f=real: (
            runs.append(_n), _f(*a))[1])
    bl = stored(root, monkeypatch, expect=True)
    assert runs == ({"kept": [], "statuses": ["run_statuses"], "run": ["run"]}[checked])
    same(bl, full(root))
    if (which, how) == ("completed", "status"):  # in progress now: its finding went
        assert "E032" not in {p.code for p in bl.problems}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, 119), st.sampled_from(sorted(EDITS))),
                      min_size=1, max_size=6),
       rounds=st.integers(1, 3))
def test_edits_in_any_order_give_a_full_loads_backlog(edits, rounds, tmp_path_factory,
                                                      monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_CHANGED", 4)  # full loads and new bases too
    base = tmp_path_factory.mktemp("snap")
    generate(base, 120)
    root = base / ".tasks"
    stored(root, monkeypatch)
    files = _task_files(root)
    for r in range(rounds):
        for i, how in edits[r::rounds] or edits[:1]:
            _edit(files[i], how)
        same(stored(root, monkeypatch), full(root))


@pytest.mark.parametrize("change", ["added", "removed", "milestone", "forged"])
def test_other_changes_are_loaded_in_full(change, copy_example, monkeypatch):
    root = copy_example("agent-mvp")
    (root / "milestones").mkdir()
    (root / "milestones" / "M1.yaml").write_text("id: M1\ntitle: First\n")
    stored(root, monkeypatch)
    stored(root, monkeypatch, expect=True)
    if change == "added":
        (root / "tasks" / "T900-new.md").write_text("---\nid: T900\ntitle: New\n---\n")
    elif change == "removed":
        _task_files(root)[0].unlink()
    elif change == "milestone":
        (root / "milestones" / "M1.yaml").write_text("id: M1\ntitle: Renamed\n")
    else:  # a snapshot not sealed with this user's key is never read
        blob = (root / ".cache" / snapshot.NAME).read_bytes()
        (root / ".cache" / snapshot.NAME).write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    same(stored(root, monkeypatch, expect=False), full(root))
    same(stored(root, monkeypatch, expect=True), full(root))


def _rewrite(root: Path, change, indent: int = 1) -> None:
    """Rewrite the manifest as `claim` and `set` do (parsed, changed, written whole, a new
    inode): `change(data)` edits the parsed document."""
    import json

    path = root / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=indent))
    os.replace(tmp, path)


def _entry(i: int, **fields):
    def change(data):
        data["tasks"][i].update(fields)
    return change


def _drop_key(i: int, key: str):
    def change(data):
        data["tasks"][i].pop(key, None)
    return change


REWRITES = {  # change -> patched (True) or loaded in full (False)
    "status": (_entry(40, status="in_progress"), True),  # a claim
    "two-entries": (lambda d: (_entry(3, title="Renamed")(d), _entry(90, priority="P0")(d)),
                    True),
    "new-key": (_entry(7, assignee="agent-7", notes="a longer\nnote"), True),  # lines move
    "key-dropped": (_drop_key(60, "tags"), True),
    "reformatted": (lambda d: None, True),  # the same entries, written with other indentation
    "entry-schema": (_entry(20, estimated_hours="lots"), True),  # manifest-schema, located
    "entry-alias": (_entry(30, status="done"), True),  # an alias warning, in the manifest
    "dangling-dep": (_entry(50, depends_on=["T999"]), True),
    "id": (_entry(10, id="T777"), False),
    "file": (_entry(11, file="tasks/elsewhere.yaml"), False),
    "added": (lambda d: d["tasks"].append({"id": "T900", "title": "new"}), False),
    "removed": (lambda d: d["tasks"].pop(5), False),
    "swapped": (lambda d: d["tasks"].insert(0, d["tasks"].pop(1)), False),
    "phases": (lambda d: d.update(phases=[{"name": "p1", "tasks": ["T001"]}]), False),
    "deferred": (lambda d: d.update(deferred_tasks=["T002"]), False),
}


@pytest.mark.parametrize("how", sorted(REWRITES))
def test_a_rewritten_manifest_is_patched_in_or_loaded_in_full(how, generated, monkeypatch):
    """Every `claim` and `set` rewrites the manifest: its entries are compared with the ones
    stored and the task files of the changed ones merged again (the manifest's findings and
    theirs found again, every other line looked up in the new text); anything else changed
    is a full load. Either way the backlog is a full load's, and the next load is answered
    from what this one stored."""
    root = generated
    stored(root, monkeypatch)
    change, patched = REWRITES[how]
    _rewrite(root, change, indent=2 if how == "reformatted" else 1)
    same(stored(root, monkeypatch, expect=patched), full(root))
    # (an entry naming a file that is not listed: nothing is stored, as for broken/)
    same(stored(root, monkeypatch, expect=None if how == "file" else True), full(root))


def test_problems_located_in_the_manifest_are_found_again_where_they_are_now(generated,
                                                                            monkeypatch):
    """An unchanged entry's problems located in the manifest (an alias, a drift warning): a
    rewrite may have moved their lines, so their task files are merged again (and their
    findings found again) in the new text. A problem located there by anything else (a
    task only the manifest holds) makes it a full load."""
    root = generated
    _rewrite(root, _entry(90, status="done"))  # an alias warning located at entry 90
    _rewrite(root, _entry(91, title="Drifted"))  # a drift warning, the file wins
    _rewrite(root, _entry(95, estimated_hours="lots"))  # a schema finding, in the manifest
    stored(root, monkeypatch)
    assert sum(p.file.endswith("manifest.json") for p in full(root).problems) >= 2
    _rewrite(root, _entry(5, assignee="someone", note="moves every later line"))
    same(stored(root, monkeypatch, expect=True), full(root))
    _rewrite(root, lambda d: d["tasks"].append({"id": "T900", "title": "no file"}))
    stored(root, monkeypatch)  # a stand-in: its missing-file problem is in the manifest
    assert any(p.task == "T900" and p.file.endswith("manifest.json")
               for p in full(root).problems)
    _rewrite(root, _entry(6, assignee="someone else"))
    same(stored(root, monkeypatch, expect=False), full(root))


def test_duplicate_ids_found_while_pairing_survive_a_rewrite(generated, monkeypatch):
    """Found by hypothesis: two task files holding one id report it in the manifest's slot
    (pairing runs before the entries); a rewritten manifest keeps that problem. Here a copy
    of a task file under another name, with no entry of its own: nothing cites a line of the
    manifest, so the stored backlog answers. Two files given a new id instead each disagree
    with their entry and cite its line, one of them an entry no file is merged with alone: a
    rewrite that moves lines is a full load."""
    root = generated
    files = _task_files(root)
    copy = files[82].with_name(files[82].name.split("-")[0] + "-copy.yaml")
    copy.write_text(files[82].read_text())
    time.sleep(0.01)  # past the copy's mtime: stored with its key
    stored(root, monkeypatch)
    assert any(p.rule == "duplicate-id" for p in full(root).problems)
    _rewrite(root, _entry(0, status="blocked"))
    same(stored(root, monkeypatch, expect=True), full(root))
    copy.unlink()
    for i in (82, 100):
        _edit(files[i], "new-id")
    time.sleep(0.01)
    stored(root, monkeypatch)
    assert any(p.rule == "duplicate-id" for p in full(root).problems)
    _rewrite(root, _entry(0, assignee="agent"))  # one more line: every later entry moves
    same(stored(root, monkeypatch, expect=False), full(root))


def test_an_id_disagreement_cites_the_entry_line_a_rewrite_moved(generated, monkeypatch):
    """Found by hypothesis: a task file whose id disagrees with its entry reports it in the
    file, but its text names the entry's line in the manifest; an earlier entry given one
    more key moves that line, so the file is merged again (the stored text had kept the old
    line)."""
    root = generated
    _edit(_task_files(root)[63], "new-id")
    time.sleep(0.01)  # past the edit's mtime (set 1 ms ahead): stored with its key
    stored(root, monkeypatch)
    assert any(p.rule == "id-mismatch" and "manifest.json:" in p.message
               for p in full(root).problems)
    _rewrite(root, _entry(0, assignee="agent"))
    same(stored(root, monkeypatch, expect=True), full(root))


def test_a_manifest_written_in_the_racy_window_is_patched_but_not_stored(generated,
                                                                        monkeypatch):
    root = generated
    stored(root, monkeypatch)
    monkeypatch.setattr(snapshot.filecache, "RACY_NS", 10**12)  # every key is racy now
    _rewrite(root, _entry(40, status="blocked"))
    same(stored(root, monkeypatch, expect=True), full(root))
    head = (root / ".cache" / snapshot.HEAD).read_bytes()
    same(stored(root, monkeypatch, expect=True), full(root))  # patched again, not stored
    assert (root / ".cache" / snapshot.HEAD).read_bytes() == head


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(
    st.tuples(st.just("file"), st.integers(0, 119), st.sampled_from(sorted(EDITS))),
    st.tuples(st.just("manifest"), st.integers(0, 119),
              st.sampled_from(["status", "title", "assignee", "alias", "schema"]))),
    min_size=1, max_size=8))
def test_manifest_and_file_edits_in_any_order_give_a_full_loads_backlog(steps,
                                                                        tmp_path_factory,
                                                                        monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_CHANGED", 4)
    base = tmp_path_factory.mktemp("snapm")
    generate(base, 120)
    root = base / ".tasks"
    stored(root, monkeypatch)
    files = _task_files(root)
    values = {"status": {"status": "blocked"}, "title": {"title": "Edited"},
              "assignee": {"assignee": "agent"}, "alias": {"status": "wip"},
              "schema": {"estimated_hours": "lots"}}
    for kind, i, how in steps:
        if kind == "file":
            _edit(files[i], how)
        else:
            _rewrite(root, _entry(i, **values[how]))
        same(stored(root, monkeypatch), full(root))


def _renamed(i: int, new: str):
    """Entry `i` given the id `new`, and the `blocks` lists that named its old id too."""
    def change(data):
        old = data["tasks"][i]["id"]
        data["tasks"][i]["id"] = new
        for e in data["tasks"]:
            e["blocks"] = [new if b == old else b for b in e.get("blocks", [])]
    return change


def test_ids_written_as_numbers_are_reported_from_the_stored_backlog(generated, monkeypatch):
    """The stored rows say which ids were written as numbers, so a restored load reports them
    without unpacking every task's front matter — before and after a file or entry edit."""
    import json

    files = _task_files(generated)
    entries = json.loads((generated / "manifest.json").read_text())["tasks"]
    needed = {d for e in entries for d in e.get("depends_on", [])}
    # three tasks no other depends on (no dangling dependency is located in the manifest)
    picked = [k for k, e in enumerate(entries) if e["id"] not in needed][:3]
    for k in picked:  # `id: T00004` -> `id: 4`, and its entry's id "4"
        text = files[k].read_text(encoding="utf-8")
        num = re.search(r"(?m)^id: T0*(\d+)$", text).group(1)
        files[k].write_text(re.sub(r"(?m)^id: .*$", f"id: {num}", text, count=1))
        _rewrite(generated, _renamed(k, num))
    first = stored(generated, monkeypatch)
    assert [p.message for p in first.problems if "written as numbers" in p.message] == [
        f"3 task id(s) written as numbers ({', '.join(str(k + 1) for k in picked)}); read as "
        "strings (quote them: id: \"12\")"]
    same(stored(generated, monkeypatch, expect=True), full(generated))
    _edit(files[picked[0]], "title")  # a task whose id is a number, patched in
    _edit(files[9], "status")
    same(stored(generated, monkeypatch, expect=True), full(generated))
    _rewrite(generated, _entry(picked[1], status="blocked"))  # its entry rewritten
    same(stored(generated, monkeypatch, expect=True), full(generated))


NESTED_DATE = "notes:\n  when: 2024-01-02\ntitle: "  # a value marshal cannot hold


def test_a_task_marshal_cannot_hold_stores_nothing_and_breaks_no_load(generated, monkeypatch):
    """A date nested in a mapping (YAML reads it as a `date`, which marshal refuses) in a task
    file: a full load stores no snapshot, and a stored one is not patched with it; every load
    is still the full load's."""
    files = _task_files(generated)
    text = files[3].read_text(encoding="utf-8")
    files[3].write_text(text.replace("title: ", NESTED_DATE, 1), encoding="utf-8")
    same(stored(generated, monkeypatch), full(generated))
    assert not (generated / ".cache" / snapshot.NAME).exists()
    same(stored(generated, monkeypatch, expect=False), full(generated))
    files[3].write_text(text, encoding="utf-8")  # as it was: stored again
    _edit(files[3], "title")
    stored(generated, monkeypatch)
    same(stored(generated, monkeypatch, expect=True), full(generated))
    _edit(files[5], "title")  # then an edit that can be stored, beside one that cannot
    files[8].write_text(files[8].read_text(encoding="utf-8").replace("title: ", NESTED_DATE, 1),
                        encoding="utf-8")
    _edit(files[8], "body")
    for _ in range(2):  # patched each time (never stored with the date), as a full load
        bl = stored(generated, monkeypatch, expect=True)
        same(bl, full(generated))
    assert str(bl.tasks["T009"].front_matter["notes"]["when"]) == "2024-01-02"
    _rewrite(generated, _entry(8, status="blocked"))  # a rewrite that merges it again
    same(stored(generated, monkeypatch), full(generated))
    same(stored(generated, monkeypatch), full(generated))


def test_a_rewritten_entrys_status_reruns_the_completion_order_alone(generated, monkeypatch):
    """A claim (a task file's status and its entry's, the manifest rewritten) keeps the other
    cross-file findings and checks the completion order again; an entry's title alone keeps
    them all — as a full load finds them."""
    from taskctl.core.load import checks

    stored(generated, monkeypatch)
    calls = []
    for name in ("run", "run_statuses"):
        real = getattr(checks, name)
        monkeypatch.setattr(checks, name, lambda *a, _n=name, _f=real: (calls.append(_n),
                                                                        _f(*a))[1])
    files = _task_files(generated)
    _edit(files[10], "status")  # a claim: the task file's status and its entry's
    _rewrite(generated, _entry(10, status="in_progress"))
    bl = stored(generated, monkeypatch, expect=True)
    assert calls == ["run_statuses"]
    calls.clear()
    same(bl, full(generated))
    calls.clear()
    _rewrite(generated, _entry(11, title="Another title"))
    bl = stored(generated, monkeypatch, expect=True)
    assert calls == []
    same(bl, full(generated))


def test_a_file_written_in_the_racy_window_is_parsed_again(generated, monkeypatch):
    """On a filesystem with coarse timestamps an edit within the same tick, of the same size,
    leaves the stat key as it was: a file written within the racy window is stored without
    a key, so it counts as changed until it is older. Simulated: keys of whole seconds."""
    def coarse(path):
        st_ = os.lstat(path)
        return (st_.st_size, st_.st_mtime_ns // 10**9 * 10**9, 0, st_.st_ino)

    monkeypatch.setattr(loader.filecache, "RACY_NS", 2_000_000_000)
    monkeypatch.setattr(loader.filecache, "file_key", coarse)
    old = time.time_ns() - 60 * 10**9
    for f in [*_task_files(generated), generated / "manifest.json"]:
        os.utime(f, ns=(old, old))
    target = _task_files(generated)[5]
    target.write_text(target.read_text().replace("title: ", "title: A", 1))  # just now
    stored(generated, monkeypatch)
    tick = target.stat().st_mtime_ns
    target.write_text(target.read_text().replace("title: A", "title: B", 1))  # same size
    os.utime(target, ns=(tick, tick))  # and the same tick
    assert coarse(target)[:2] == (coarse(target)[0], tick // 10**9 * 10**9)
    bl = stored(generated, monkeypatch, expect=True)
    same(bl, full(generated))
    assert [t.title[0] for t in bl.tasks.values() if t.path == target] == ["B"]


def test_a_changed_code_stamp_or_place_is_a_full_load(generated, monkeypatch, tmp_path):
    stored(generated, monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(stored_files, "FORMAT", "taskctl-backlog/0")
        stored(generated, monkeypatch, expect=False)
    moved = tmp_path / "moved"
    generated.parent.rename(moved)
    same(stored(moved / ".tasks", monkeypatch, expect=False), full(moved / ".tasks"))


def test_a_full_loads_snapshot_is_stored_by_a_child_that_holds_nothing(generated, tmp_path):
    """The command answers without waiting for the snapshot: a child forked at exit stores it,
    holding neither the command's output pipe (a reader sees EOF when the command ends) nor
    its locks; the next load is answered from it."""
    time.sleep(2.1)  # the generated tree out of the racy window (nothing is stored inside it)
    env = {**os.environ, "TASKCTL_LOAD_JOBS": "1"}
    exe = [sys.executable, "-m", "taskctl", "list", "--json", "--tasks-dir", str(generated)]
    start = time.monotonic()
    out = subprocess.run(exe, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    took = time.monotonic() - start
    deadline = time.monotonic() + 30
    head = generated / ".cache" / snapshot.HEAD
    while not head.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert head.exists() and (generated / ".cache" / snapshot.NAME).exists()
    assert took < 30
    assert snapshot.restore(generated.resolve()) is not None
    assert _uncached(generated) == []  # the per-file cache too, written by the same child


def _uncached(root: Path) -> list[Path]:
    """The task files the per-file cache holds no value for (a full load parses them)."""
    from taskctl.core.load import filecache

    fc = filecache.FileCache(root.resolve())
    return [p for p in _task_files(root.resolve()) if fc.lookup(str(p))[1] is None]


def test_a_read_answer_leaves_the_per_file_cache_to_the_storing_child(generated,
                                                                       monkeypatch):
    """A short-lived read answer does not wait for the per-file cache (10,000 files: ~0.2 s):
    it is written with the stored backlog, at exit — and written, so the next full load
    parses nothing."""
    from taskctl.core.load import fanout

    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", True)
    monkeypatch.setattr(fanout, "usable_cores", lambda: 2)
    registered = []
    monkeypatch.setattr("atexit.register", registered.append)
    monkeypatch.setattr(snapshot, "_pending", [])
    bl = loader.load(generated, bodies=False)
    assert registered == [snapshot.at_exit]
    assert len(_uncached(generated)) == len(_task_files(generated))  # not written yet
    snapshot._pending.pop()()  # what the child forked at exit runs
    assert _uncached(generated) == []
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    same(stored(generated, monkeypatch, expect=True), bl)
    parsed = []
    real = loader.parse_file
    monkeypatch.setattr(loader, "parse_file", lambda *a, **k: parsed.append(a) or real(*a, **k))
    loader.load(generated, bodies=True)  # no stored backlog: the per-file cache answers
    assert all(a[3] is not None for a in parsed)  # each with its cached value


def test_the_storing_child_keeps_no_descriptor_of_the_command(tmp_path, monkeypatch):
    """A pipe the command holds (its output, read by an agent until EOF) is not held open
    by the child that is still storing: the reader sees EOF as soon as the command
    lets go. Without the descriptors closed the read below waits for the slow save."""
    import threading

    from taskctl.core.load import fanout

    monkeypatch.setattr(threading, "active_count", lambda: 1)  # whatever pytest runs
    marker = tmp_path / "stored"

    def slow_save(ld, bl, slots):
        time.sleep(2)
        marker.write_text("done")

    class Loaded:  # what save_soon keeps of a load
        def slots(self):
            return []

    from taskctl.core.files import procctl

    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", True)
    monkeypatch.setattr(procctl, "is_subreaper", lambda: False)  # whatever ran before
    monkeypatch.setattr(snapshot, "save", slow_save)
    monkeypatch.setattr(fanout, "usable_cores", lambda: 2)
    registered = []
    monkeypatch.setattr("atexit.register", registered.append)
    monkeypatch.setattr(snapshot, "_pending", [])
    snapshot.save_soon(Loaded(), None)  # at exit, not now
    assert registered == [snapshot.at_exit] and not marker.exists()
    r, w = os.pipe()
    start = time.monotonic()
    snapshot.at_exit()  # what the exiting command runs
    os.close(w)
    assert os.read(r, 1) == b""  # EOF: no copy of `w` left open
    os.close(r)
    assert time.monotonic() - start < 1.5
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "done"
    while time.monotonic() < deadline:  # the child is this process's: reap it
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.05)
        except ChildProcessError:
            break


def test_what_the_console_script_stores_at_exit_is_a_full_loads_backlog(copy_example,
                                                                        monkeypatch):
    """Stored after the command answered, yet as the load left it: the files-not-read
    warnings the reader adds after the load are not stored with it (they are added again
    on every load), and the next load equals a full one."""
    root = copy_example("agent-mvp")
    (root / "tasks" / "T999-notes.json").write_text("{}")  # task-like, not read: W160
    time.sleep(2.1)  # out of the racy window: nothing is stored inside it
    env = {**os.environ, "TASKCTL_LOAD_JOBS": "1"}
    out = subprocess.run([sys.executable, "-m", "taskctl", "next", "--json", "--tasks-dir",
                          str(root)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 30
    while not (root / ".cache" / snapshot.HEAD).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    bl = stored(root, monkeypatch, expect=True)
    assert [p.rule for p in bl.problems].count("unread-file") == 1
    same(bl, full(root))


# A console-script-like launcher that counts the task files parsed (the loader's parse_file)
_COUNT_PARSES = (
    "import atexit, sys\n"
    "from taskctl.core.load import loader\n"
    "real, n = loader.parse_file, [0]\n"
    "def parse_file(*a, **k):\n"
    "    n[0] += 1\n"
    "    return real(*a, **k)\n"
    "loader.parse_file = parse_file\n"
    "atexit.register(lambda: sys.stderr.write(f'PARSED={n[0]}\\n'))\n"
    "sys.argv = ['taskctl', *sys.argv[1:]]\n"
    "from taskctl.cli.quick import main\n"
    "main()\n")


def test_a_read_handed_to_the_full_cli_parses_each_file_once(generated):
    """`show` of an unknown id: the fast entry loads (its store left for the exit), fails,
    and hands over to the full CLI, which loads again — from what the first load stored
    then and there, not by parsing every file a second time."""
    time.sleep(2.1)  # out of the racy window: nothing is stored inside it
    env = {**os.environ, "TASKCTL_LOAD_JOBS": "1"}
    out = subprocess.run([sys.executable, "-c", _COUNT_PARSES, "show", "T99999", "--tasks-dir",
                          str(generated)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "T99999" in out.stderr
    assert f"PARSED={len(_task_files(generated))}\n" in out.stderr


def test_a_host_s_call_stores_its_load_before_returning(generated, monkeypatch, capsys):
    """`quick.main()` called by a host (not the console script): the process goes on, so the
    call is not a short-lived read answer once it returns, and its load is stored then."""
    from taskctl.cli import quick

    monkeypatch.setattr(snapshot, "_pending", [])
    monkeypatch.setattr("atexit.register", lambda f: None)
    monkeypatch.setattr(sys, "argv", ["taskctl", "list", "--json", "--tasks-dir",
                                      str(generated)])
    quick.main()
    capsys.readouterr()
    assert taskctl.core.load.SHORT_LIVED is False
    assert snapshot._pending == [] and (generated / ".cache" / snapshot.HEAD).exists()
    assert _uncached(generated) == []
