"""A `next` answer after taskctl's own writes moved tasks between pending and in_progress
(`core/plan/restatus.py`): after random claims, starts, releases, blocks, sets, title edits
and other programs' rewrites, every `next` answer (cut off or not) is the one computed from a
load without any cache, and the cutoff is made for the changes it can make right."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

import taskctl.core.load
from taskctl.core.lifecycle import edit
from taskctl.core.lifecycle import transitions as tr
from taskctl.core.plan import restatus
from tests.taskctl.core.plan import test_replan as replan_test
from tests.taskctl.core.plan.test_replan import reference
from tests.taskctl.generated import generated_tree


@pytest.fixture
def tree(tmp_path, monkeypatch, no_racy_window):
    """A generated 60-task tree whose manifest taskctl wrote once (a release of nothing
    held would not write: a claim and its release), loads stored in line."""
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setenv("TASKCTL_SERVE", "0")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    root = generated_tree(tmp_path / "gen", 60)
    first = _with(root, "pending")[0]
    tr.transition(root, tr.Request("claim", first, "setup", force=True))
    tr.transition(root, tr.Request("release", first, "setup", force=True))
    return root


def _statuses(root: Path) -> dict[str, str]:
    return {e["id"]: e["status"] for e in json.loads((root / "manifest.json").read_text())["tasks"]}


def _with(root: Path, status: str) -> list[str]:
    return sorted(t for t, s in _statuses(root).items() if s == status)


def asked(root: Path, made: list, command: str = "next") -> dict:
    """The answer (`next`'s unless told) as every caller gets it, and whether this cutoff
    made it."""
    return replan_test.asked(root, command, made, cutoff=restatus)


def _title(root: Path, tid: str, text: str) -> None:
    path = next((root / "tasks").glob(f"{tid}-*"))
    path.write_text(re.sub(r"(?m)^title: .*$", f'title: "{text}"', path.read_text(), count=1))


def _rewrite_as_another_program(root: Path) -> None:
    """The same content, written by another program (another layout: no record names it)."""
    path = root / "manifest.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=1))


def _in_place(root: Path, tid: str, key: str, value: str) -> None:
    """Another program's write of one entry's `key` in the manifest, every other byte kept
    (an editor, `sed`, a script that patches the text), through a new file as atomic writers
    do."""
    path = root / "manifest.json"
    text = path.read_text()
    at = text.index(f'"{key}": ', text.index(f'"id": "{tid}"')) + len(key) + 4
    _old, end = json.decoder.scanstring(text, at + 1)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text[:at] + json.dumps(value, ensure_ascii=False) + text[end:])
    tmp.replace(path)


def test_a_claim_is_cut_off_and_shown_as_a_full_plan_shows_it(tree, monkeypatch):
    first = asked(tree, [])
    tid = first["report"]["tasks"][0]["id"]
    waiting = [r for r in first["report"]["not_listed"]
               if f"waits on {tid} (pending)" in r["reason"]]
    assert waiting, "a task that waits on the claimed one"
    tr.transition(tree, tr.Request("claim", tid, "agent-1"))
    made: list = []
    got = asked(tree, made)
    assert made == [True]
    assert got == reference(tree, "next", monkeypatch)
    row = next(r for r in got["report"]["held"] if r["id"] == tid)
    assert row["status"] == "in_progress" and row["claim"]["agent"] == "agent-1"
    assert row["reason"].endswith("; already in progress")
    assert tid not in {r["id"] for r in got["report"]["tasks"]}
    again = {r["id"]: r for r in got["report"]["not_listed"]}
    assert all(f"waits on {tid} (in_progress)" in again[r["id"]]["reason"] for r in waiting)


def test_claims_in_a_row_and_an_edit_between_them_are_each_cut_off(tree, monkeypatch):
    asked(tree, [])
    for n, tid in enumerate(_with(tree, "pending")[:4]):
        tr.transition(tree, tr.Request("claim", tid, f"a{n}", force=True))
        made: list = []
        assert asked(tree, made) == reference(tree, "next", monkeypatch)
        assert made == [True], n
        _title(tree, tid, f"Renamed {n}")  # a file edit after a cutoff of this kind
        made = []
        got = asked(tree, made)
        assert got == reference(tree, "next", monkeypatch)
        assert made == [True], n


@pytest.mark.parametrize("command", ["ready", "critical-path"])
def test_the_waves_and_the_schedule_after_a_claim_are_cut_off(tree, command, monkeypatch):
    asked(tree, [], command)
    tid = _with(tree, "pending")[5]
    tr.transition(tree, tr.Request("claim", tid, "a", force=True))
    made: list = []
    got = asked(tree, made, command)
    assert made == [True]
    assert got == reference(tree, command, monkeypatch)
    rows = (got["report"]["tasks"] if command == "critical-path"
            else [r for w in got["report"]["waves"] for r in w["tasks"]])
    assert next(r for r in rows if r["id"] == tid)["status"] == "in_progress"


def test_the_status_answer_after_a_claim_is_planned_again(tree, monkeypatch):
    """`status` counts tasks by status: no cutoff of this kind."""
    replan_test.asked(tree, "status", [])
    tr.transition(tree, tr.Request("claim", _with(tree, "pending")[5], "a", force=True))
    made: list = []
    assert replan_test.asked(tree, "status", made) == reference(tree, "status", monkeypatch)
    assert made == [False]


@pytest.mark.parametrize("change", ["release", "block", "priority", "another-program",
                                    "claim-taken-over"])
def test_what_the_cutoff_cannot_make_right_is_planned_again(tree, change, monkeypatch):
    tid = _with(tree, "pending")[3]
    tr.transition(tree, tr.Request("claim", tid, "a", force=True))
    asked(tree, [])
    if change == "release":  # its claim file removed: what was there is not known
        tr.transition(tree, tr.Request("release", tid, "a"))
    elif change == "block":  # blocked: not actionable any more
        tr.transition(tree, tr.Request("block", tid, "a", reason="waiting on data"))
    elif change == "priority":
        edit.set_fields(tree, tid, ["priority=P0"], "a")
    elif change == "another-program":
        _rewrite_as_another_program(tree)
    else:  # another agent's claim file in its place
        tr.transition(tree, tr.Request("claim", tid, "b", force=True))
    made: list = []
    assert asked(tree, made) == reference(tree, "next", monkeypatch)
    assert made in ([], [False])


def test_a_manifest_taskctl_did_not_derive_is_planned_again(tmp_path, monkeypatch,
                                                            no_racy_window):
    """The generated manifest's derived parts are not taskctl's: the first claim is planned
    in full (its findings could differ), the next one is cut off."""
    monkeypatch.setenv("TASKCTL_SERVE", "0")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    root = generated_tree(tmp_path / "gen", 30)
    asked(root, [])
    first, second = _with(root, "pending")[:2]
    for tid, cut in ((first, False), (second, True)):
        tr.transition(root, tr.Request("claim", tid, "a", force=True))
        made: list = []
        assert asked(root, made) == reference(root, "next", monkeypatch)
        assert made == [cut]


@pytest.mark.parametrize("command", restatus.COMMANDS)
def test_another_programs_edit_of_one_entry_is_cut_off(tree, command, monkeypatch):
    """A title, a status between pending and in_progress, a priority its task file does not
    share (a warning), written into the manifest by another program (no journal record
    names those bytes), a task file edited between them, the same bytes written again: each
    answer cut off, and each the one a full load gives."""
    pending = _with(tree, "pending")
    asked(tree, [], command)
    for step, change in enumerate([
            lambda: _in_place(tree, pending[2], "title", "Retitled — by a script"),
            lambda: _title(tree, pending[4], "A file's own edit"),
            lambda: _in_place(tree, pending[0], "status", "in_progress"),
            lambda: _in_place(tree, pending[2], "title", "Twice"),
            lambda: _in_place(tree, pending[3], "priority", "P0"),  # its file says otherwise
            lambda: _in_place(tree, pending[0], "status", "pending"),
            lambda: _in_place(tree, pending[0], "status", "pending")]):  # the same bytes
        change()
        made: list = []
        got = asked(tree, made, command)
        assert got == reference(tree, command, monkeypatch), step
        assert made == [True], step


def test_a_manifest_written_again_as_it_was_is_cut_off(tmp_path, monkeypatch, no_racy_window):
    """No journal at all (taskctl never wrote this manifest): the same bytes written again,
    then one title changed in place, each cut off."""
    monkeypatch.setenv("TASKCTL_SERVE", "0")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    root = generated_tree(tmp_path / "gen", 30)
    asked(root, [])
    path = root / "manifest.json"
    for change in (lambda: path.write_bytes(path.read_bytes()),
                   lambda: _in_place(root, _with(root, "pending")[0], "title", "New")):
        change()
        made: list = []
        assert asked(root, made) == reference(root, "next", monkeypatch)
        assert made == [True]


def test_every_answer_after_one_entry_edited_on_a_manifest_taskctl_did_not_derive(
        tmp_path, monkeypatch, no_racy_window):
    """The derived parts are another tool's: the journal's record of the edit says they were
    kept byte for byte, so `ready` and `critical-path`, asked after `next` took the edit in,
    are cut off too."""
    monkeypatch.setenv("TASKCTL_SERVE", "0")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)
    root = generated_tree(tmp_path / "gen", 30)
    for command in restatus.COMMANDS:
        asked(root, [], command)
    _in_place(root, _with(root, "pending")[1], "title", "Renamed elsewhere")
    for command in restatus.COMMANDS:
        made: list = []
        assert asked(root, made, command) == reference(root, command, monkeypatch)
        assert made == [True], command


def test_a_claim_after_another_programs_title_edit_patches_the_derived_parts(tree):
    """What the derived parts read of an entry unchanged (a title), they are still the
    entries' (a claim's write patches them); a status changed: they are not."""
    from taskctl.core.load import journal

    a, b = _with(tree, "pending")[:2]
    asked(tree, [])
    for tid, key, value, derived in ((a, "title", "Elsewhere", True),
                                     (b, "status", "in_progress", False)):
        _in_place(tree, tid, key, value)
        asked(tree, [])
        now = journal.digest((tree / "manifest.json").read_bytes())
        assert journal.entries_derived(tree, now) is derived, key


@pytest.mark.parametrize("change", ["file", "two-entries", "reformatted", "derived"])
def test_another_programs_other_edits_are_planned_again(tree, change, monkeypatch):
    a, b = _with(tree, "pending")[1:3]
    asked(tree, [])
    if change == "file":  # the entry merged with another file
        _in_place(tree, a, "file", str(next((tree / "tasks").glob(f"{b}-*")).relative_to(tree)))
    elif change == "two-entries":
        _in_place(tree, a, "title", "One")
        asked(tree, [])  # the first one cut off: the second compared with its bytes
        tr.transition(tree, tr.Request("claim", b, "a", force=True))
        _in_place(tree, a, "title", "Two")
    elif change == "reformatted":  # every byte moved
        _rewrite_as_another_program(tree)
    else:  # outside the entries
        path = tree / "manifest.json"
        text = path.read_text()
        assert '"dependency_graph": {' in text
        path.write_text(text.replace('"dependency_graph": {', '"dependency_graph": {"x": 1, ', 1))
    made: list = []
    assert asked(tree, made) == reference(tree, "next", monkeypatch)
    assert made in ([], [False])


@pytest.mark.parametrize("seed", range(4))
def test_every_answer_after_random_lifecycle_changes_is_a_full_load_s(tree, seed, monkeypatch):
    rng = random.Random(seed)
    for command in restatus.COMMANDS:
        assert asked(tree, [], command) == reference(tree, command, monkeypatch)
    cut = 0
    for step in range(14):
        pending, working = _with(tree, "pending"), _with(tree, "in_progress")
        blocked = _with(tree, "blocked")
        kind = rng.choice(["claim"] * 4 + ["start", "by-hand", "title", "in-place"] * 2 + [
            "release", "block", "unblock", "priority", "another-program"])
        if kind in ("release", "block") and not working or kind == "unblock" and not blocked:
            kind = "claim"
        tid = rng.choice({"release": working, "block": working + pending,
                          "unblock": blocked}.get(kind, pending))
        if kind in ("claim", "start"):
            tr.transition(tree, tr.Request(kind, tid, f"agent-{step}", force=True))
        elif kind in ("release", "unblock"):
            tr.transition(tree, tr.Request(kind, tid, "x", force=True))
        elif kind == "block":
            tr.transition(tree, tr.Request("block", tid, "x", reason="stuck", force=True))
        elif kind == "by-hand":  # its file's status edited: the manifest says otherwise
            path = next((tree / "tasks").glob(f"{tid}-*"))
            path.write_text(re.sub(r"(?m)^status: .*$", "status: in_progress",
                                   path.read_text(), count=1))
        elif kind == "title":
            _title(tree, rng.choice(pending + working), f"Edited {step}")
        elif kind == "priority":
            edit.set_fields(tree, tid, [f"priority=P{rng.randint(0, 4)}"], "x")
        elif kind == "in-place":  # another program's write of one entry, in place
            key, value = rng.choice([("title", f"Script {step}"), ("status", "in_progress"),
                                     ("status", "pending")])
            _in_place(tree, rng.choice(pending + working), key, value)
        else:
            _rewrite_as_another_program(tree)
        for command in rng.sample(restatus.COMMANDS, len(restatus.COMMANDS)):
            made: list = []
            got = asked(tree, made, command)
            assert got == reference(tree, command, monkeypatch), (seed, step, kind, tid, command)
            # (a release is cut off when no claim file went with it: a status set by hand)
            if kind in ("block", "unblock", "priority", "another-program"):
                assert True not in made, (step, kind, command)
            cut += made == [True]
    assert cut >= 12, cut  # the cutoff was exercised, not only the full path


def test_a_blocker_naming_no_task_is_never_rewritten(tree, monkeypatch):
    """A dependency on an unknown id is shown as written, any text at all: one that reads
    like the claimed task's blocker is left as it is (the plan is computed again)."""
    first = asked(tree, [])
    tid = first["report"]["tasks"][0]["id"]
    other = next(r["id"] for r in first["report"]["not_listed"]
                 if f"waits on {tid} (pending)" in r["reason"])
    path = next((tree / "tasks").glob(f"{other}-*"))
    fake = f"X; waits on {tid} (pending); Y"
    path.write_text(re.sub(r"(?m)^depends_on: \[", f'depends_on: ["{fake}", ',
                           path.read_text(), count=1))
    asked(tree, [])
    tr.transition(tree, tr.Request("claim", tid, "a"))
    got = asked(tree, [])
    assert got == reference(tree, "next", monkeypatch)
    reason = next(r["reason"] for r in got["report"]["not_listed"] if r["id"] == other)
    assert f"depends on {fake}, an unknown id" in reason


def test_an_entry_named_like_a_blocker_does_not_mislead_the_cutoff(tree, monkeypatch):
    """An id outside the id grammar (E024: "; " in it) is no task, so a blocker naming it is
    one on an unknown id ("depends on …"): the claimed task's blockers are told apart."""
    first = asked(tree, [])
    tid = first["report"]["tasks"][0]["id"]
    odd = f"X; waits on {tid}"
    data = json.loads((tree / "manifest.json").read_text())
    data["tasks"].append({"id": odd, "title": "odd", "status": "pending"})
    (tree / "manifest.json").write_text(json.dumps(data, indent=2))
    other = next(r["id"] for r in first["report"]["tasks"] if r["id"] != tid)
    path = next((tree / "tasks").glob(f"{other}-*"))
    path.write_text(re.sub(r"(?m)^depends_on: \[", f'depends_on: ["{odd}", ', path.read_text(),
                           count=1))
    spare = [t for t in _with(tree, "pending") if t != odd][-1]  # the derived parts taskctl's
    tr.transition(tree, tr.Request("claim", spare, "a", force=True))
    asked(tree, [])
    tr.transition(tree, tr.Request("claim", tid, "a"))
    got = asked(tree, [])
    assert got == reference(tree, "next", monkeypatch)
    assert f"depends on {odd}, an unknown id" in next(
        r["reason"] for r in got["report"]["not_listed"] if r["id"] == other)


def test_a_claimed_task_on_a_cycle_is_shown_in_the_waves_blockers(tree, monkeypatch):
    """A task on a dependency cycle is outside the schedule: the waves' tasks that wait on it
    say so ("held_by"), with its status."""
    a, b, c = _with(tree, "pending")[10:13]
    for tid, deps in ((a, [b]), (b, [a]), (c, [a])):
        path = next((tree / "tasks").glob(f"{tid}-*"))
        path.write_text(re.sub(r"(?m)^depends_on: .*$", f"depends_on: [{', '.join(deps)}]",
                               path.read_text(), count=1))
    before = asked(tree, [], "ready")
    assert f"waits on {a} (pending)" in next(
        r for w in before["report"]["waves"] for r in w["tasks"] if r["id"] == c)["held_by"]
    tr.transition(tree, tr.Request("claim", a, "x", force=True))
    made: list = []
    got = asked(tree, made, "ready")
    assert made == [True]
    assert got == reference(tree, "ready", monkeypatch)
    assert f"waits on {a} (in_progress)" in next(
        r for w in got["report"]["waves"] for r in w["tasks"] if r["id"] == c)["held_by"]
