"""Attack: hostile task ids. One grammar (taskctl/core/load/ids.py) for every source.

Before: a manifest entry `../../../X` passed `validate`, and `verify`/`check` wrote evidence,
locks and markers outside the repository; ids with `;`, newlines or `$(…)` were accepted from
the manifest; a task named `manifest` deadlocked on its own lock.
After: each is a located E024 bad-id error and never reaches a path; `manifest` verifies.
"""

from __future__ import annotations

import json

import pytest

from taskctl.core.load.ids import id_problem, is_valid_id, normalise_id
from tests.taskctl.adversarial.support import Box, run

ITEM = [{"criterion": "c", "run": "echo ok"}]
HOSTILE = ["../../../X", "../../../../tmp/pwned", "a;touch PWNED", "a\nb", "$(touch PWNED)",
           "`touch PWNED`", "/abs", ".hidden", "..", "a/b", "a\\b", "x" * 65, "", " T1",
           "T1\x00", "ü1"]


@pytest.mark.parametrize("tid", HOSTILE)
def test_grammar_refuses_hostile_ids(tid):
    assert id_problem(tid) is not None


@pytest.mark.parametrize("tid", ["T022", "T1.2", "task_7-b", "1", "0042", "X" * 64])
def test_grammar_accepts_real_ids(tid):
    assert is_valid_id(tid)


def test_integer_ids_normalise_to_text():
    assert normalise_id(42) == "42" and is_valid_id(normalise_id(42))
    assert normalise_id(True) is True and not is_valid_id(True)


@pytest.mark.parametrize("tid", ["../../../X", "a;touch PWNED", "a\nb", "$(touch PWNED)"])
def test_manifest_entry_with_hostile_id_is_a_located_error_and_never_a_path(tmp_path, tid):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    data = box.manifest()
    data["tasks"].append({"id": tid, "title": "evil", "status": "pending",
                          "acceptance": [{"criterion": "c", "run": "touch PWNED; echo hi"},
                                         {"criterion": "signed by hand"}]})
    box.write_manifest(data)
    v = run(box, "validate", "--json")
    assert v.returncode == 1
    bad = [p for p in json.loads(v.stdout)["problems"] if p["rule"] == "bad-id"]
    assert len(bad) == 1 and bad[0]["code"] == "E024"
    assert bad[0]["file"].endswith("manifest.json") and bad[0]["line"] >= 1
    for args in (["verify", "--all"], ["verify", tid, "--force"], ["gate"], ["list"],
                 ["check", tid, "--item", "2", "--by", "me"], ["show", tid]):
        run(box, *args)
    assert not list(box.repo.rglob("PWNED")) and not list(tmp_path.rglob("PWNED"))
    box.assert_nothing_written_outside()
    assert not (tmp_path / "X").exists() and not (tmp_path / "box" / "X").exists()


def test_task_file_with_hostile_id_is_located_and_left_out(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    f = box.root / "tasks" / "T001-task.yaml"
    f.write_text(f.read_text().replace("id: T001", "id: ../../../X"))
    v = run(box, "validate", "--json")
    bad = [p for p in json.loads(v.stdout)["problems"] if p["rule"] == "bad-id"]
    assert bad and bad[0]["file"].endswith("T001-task.yaml") and bad[0]["line"] == 2
    run(box, "verify", "--all")
    box.assert_nothing_written_outside()


@pytest.mark.parametrize("arg", ["../../x", "a;b", "$(id)"])
def test_cli_argument_with_hostile_id_is_a_usage_error(tmp_path, arg):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    for cmd in (["verify", arg], ["show", arg]):
        p = run(box, *cmd)
        assert p.returncode == 2, (cmd, p.stderr)
        assert len(p.stderr.strip().splitlines()) <= 2 and "id" in p.stderr
    box.assert_nothing_written_outside()


def test_import_prefix_that_breaks_the_grammar_writes_nothing(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    todo = box.repo / "TODO.md"
    todo.write_text("# M\n\n- [ ] new thing\n")
    p = run(box, "import", str(todo), "--prefix", "../../../evil")
    assert p.returncode == 2, p.stderr
    assert "prefix" in p.stderr
    box.assert_nothing_written_outside()
    assert not list((box.root / "tasks").glob("*evil*"))


def test_task_named_manifest_does_not_deadlock_on_the_manifest_lock(tmp_path):
    box = Box(tmp_path, {"manifest": {"items": ITEM}})
    p = run(box, "verify", "manifest", timeout=60)
    assert p.returncode == 0, p.stderr
    assert box.manifest()["tasks"][0]["status"] == "completed"
    locks = sorted(x.name for x in (box.root / ".locks").iterdir())
    assert "task.manifest.lock" in locks and "global.manifest.lock" in locks


def test_hostile_manifest_id_standing_in_for_a_note_writes_nothing_outside(tmp_path):
    """The reproduction that passed `validate` before: the entry points at a `completed/`
    note (no front matter, so no problem tagged with the task), the entry stands in for it,
    and `verify` wrote `X.lock` and `X.inprogress.json` two folders above `.tasks/.locks`."""
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    (box.root / "completed").mkdir()
    (box.root / "completed" / "notes.md").write_text("just notes, no front matter\n")
    data = box.manifest()
    data["tasks"].append({"id": "../../../X", "title": "e", "status": "pending",
                          "file": "completed/notes.md",
                          "acceptance": [{"criterion": "c", "run": "echo hi"}]})
    box.write_manifest(data)
    assert run(box, "validate").returncode == 1
    run(box, "verify", "--all")
    box.assert_nothing_written_outside()
