"""A resident process's kept load (`core/load/kept.py`): patched for the task files its watcher
named, it is the backlog a full load without any cache gives; anything it cannot patch is a
full load, kept in turn."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import taskctl.core.load
from taskctl.core.load import kept, loader
from tests.taskctl.core.load.test_snapshot import EDITS, _edit, full, same

PATCHED = {"title", "status", "priority", "no-deps", "dangling", "schema", "body", "milestone",
           "blocks"}


@pytest.fixture(autouse=True)
def _serial(monkeypatch, no_racy_window):
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)


@pytest.fixture
def keeper(monkeypatch):
    def make(root):
        k = kept.Kept(root)
        monkeypatch.setattr(kept, "KEEPER", k)
        loader.load(root, bodies=False)  # the first load: full, kept
        assert k.state is not None and k.changed == set()
        return k
    return make


def load(k: kept.Kept, root, changed: set[str] | None, monkeypatch) -> tuple:
    """A load after `changed` (as the watcher names them), and whether it was patched."""
    got = []
    restore = k.restore

    def spy():
        got.append(restore())
        return got[-1]

    k.note(changed)
    with monkeypatch.context() as m:
        m.setattr(k, "restore", spy)
        bl = loader.load(root, bodies=False)
    return bl, bool(got) and got[0] is not None


def _merged(k: kept.Kept) -> list:
    return sorted(k.state["files"])


@pytest.mark.parametrize("example", ["agent-mvp", "generated"])
@pytest.mark.parametrize("how", sorted(EDITS))
def test_an_edited_task_file_is_patched_or_loaded_in_full(example, how, copy_example,
                                                          generated, keeper, monkeypatch):
    root = generated if example == "generated" else copy_example(example)
    k = keeper(root)
    first, second = (Path(p) for p in _merged(k)[1:3])
    _edit(first, how)
    bl, patched = load(k, root, {str(first)}, monkeypatch)
    assert patched is (how in PATCHED)
    same(bl, full(root))
    _edit(second, "title")  # the kept state moved on with the patch (or the full load)
    bl, patched = load(k, root, {str(second)}, monkeypatch)
    assert patched
    same(bl, full(root))
    bl, patched = load(k, root, set(), monkeypatch)  # nothing changed: the same again
    assert patched
    same(bl, full(root))


def test_what_it_cannot_patch_is_a_full_load(copy_example, keeper, monkeypatch):
    root = copy_example("agent-mvp")
    k = keeper(root)
    manifest = root / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"title": "', '"title": "Re ', 1))
    bl, patched = load(k, root, {str(manifest)}, monkeypatch)
    assert not patched
    same(bl, full(root))
    new = root / "tasks" / "T900-new.md"
    new.write_text("---\nid: T900\ntitle: New\nstatus: pending\n---\n")
    bl, patched = load(k, root, {str(new)}, monkeypatch)
    assert not patched and "T900" in bl.tasks
    same(bl, full(root))
    new.unlink()
    bl, patched = load(k, root, {str(new)}, monkeypatch)  # listed before, gone now
    assert not patched and "T900" not in bl.tasks
    same(bl, full(root))
    bl, patched = load(k, root, None, monkeypatch)  # the watcher could not say what
    assert not patched
    same(bl, full(root))


def test_a_file_gone_before_the_load_changes_nothing(copy_example, keeper, monkeypatch):
    """An atomic write's temporary file (created, renamed away) is passed over; the file it
    replaced is patched."""
    root = copy_example("agent-mvp")
    k = keeper(root)
    target = Path(_merged(k)[0])
    tmp = target.with_name(target.name + ".tmp123")
    tmp.write_text(EDITS["title"](target.read_text()))
    tmp.replace(target)
    bl, patched = load(k, root, {str(tmp), str(target)}, monkeypatch)
    assert patched
    same(bl, full(root))


def test_many_rounds_of_edits_stay_equal_to_full_loads(generated, keeper, monkeypatch):
    """Random edits over many rounds (several files at once, some not patchable): after each,
    the kept load equals a full load without cache."""
    k = keeper(generated)
    files = [Path(p) for p in _merged(k)]
    rng = random.Random(7)
    kinds = sorted(EDITS)
    for _round in range(12):
        changed = set()
        for path in rng.sample(files, rng.randint(1, 4)):
            _edit(path, rng.choice(kinds))
            changed.add(str(path))
        bl, _patched = load(k, generated, changed, monkeypatch)
        same(bl, full(generated))
        files = [Path(p) for p in _merged(k)] or files


def test_only_the_keepers_store_uses_it(copy_example, keeper, monkeypatch):
    a, b = copy_example("agent-mvp"), copy_example("broken")
    k = keeper(a)
    assert kept.keeper(a) is k and kept.keeper(b) is None


def test_files_not_read_are_walked_again_only_after_a_full_load(copy_example, keeper,
                                                                monkeypatch):
    """A patched load reuses the last full load's files-not-read walk (nothing was added or
    removed, or it would not be a patch); a full load walks again."""
    from taskctl.core.load.readers import scan

    root = copy_example("agent-mvp")
    k = keeper(root)
    walks = []
    real = scan.unread
    monkeypatch.setattr(scan, "unread", lambda *a: walks.append(a[0]) or real(*a))

    def alone(r):  # the comparison's own loads (no cache: never through the keeper) walk too
        bl = full(r)
        walks.pop()
        return bl

    notes = root / "notes.md"
    notes.write_text("# not a task\n")
    bl, patched = load(k, root, {str(notes)}, monkeypatch)
    assert not patched and len(walks) == 1
    assert any(p.code == "W160" and "notes.md" in p.message for p in bl.problems)
    same(bl, alone(root))
    target = Path(_merged(k)[0])
    _edit(target, "title")
    bl, patched = load(k, root, {str(target)}, monkeypatch)
    assert patched and len(walks) == 1  # not walked again
    same(bl, alone(root))  # the W160 is still there
    notes.unlink()  # a file gone that no load read: passed over, but walked again
    bl, _patched = load(k, root, {str(notes)}, monkeypatch)
    assert len(walks) == 2
    assert not any("notes.md" in p.message for p in bl.problems)
    same(bl, alone(root))


def test_an_editors_swap_file_is_no_full_load(copy_example, keeper, monkeypatch):
    """Vim writes `.name.swp` beside the file every few seconds while it is edited: no loader
    reads such a file, so the backlog stays patched (only the files-not-read walk is redone)."""
    root = copy_example("agent-mvp")
    k = keeper(root)
    target = Path(_merged(k)[0])
    swap = target.with_name(f".{target.name}.swp")
    swap.write_bytes(b"b0VIM 9.0\0")
    backup = target.with_name(target.name + "~")
    backup.write_text(target.read_text())
    bl, patched = load(k, root, {str(swap), str(backup)}, monkeypatch)
    assert patched
    same(bl, full(root))
    notes = root / "tasks" / "notes.txt"  # a suffix the files-not-read walk reports
    notes.write_text("todo: write tests\n")
    bl, patched = load(k, root, {str(notes)}, monkeypatch)
    assert not patched
    same(bl, full(root))


def test_a_new_folder_is_a_full_load(copy_example, keeper, monkeypatch):
    """Files written into a new folder before the watcher could watch it are named by no
    event: only the folder is. The folder is a full load, which lists them."""
    root = copy_example("agent-mvp")
    k = keeper(root)
    sub = root / "tasks" / "later"
    sub.mkdir()
    (sub / "T901-late.md").write_text("---\nid: T901\ntitle: Late\nstatus: pending\n---\n")
    bl, patched = load(k, root, {str(sub)}, monkeypatch)
    assert not patched and "T901" in bl.tasks
    same(bl, full(root))


@pytest.mark.parametrize("folder", ["tasks", "milestones"])
def test_a_folder_moved_away_is_a_full_load(copy_example, keeper, monkeypatch, tmp_path, folder):
    """A folder renamed out of the store is named alone (no event per file in it)."""
    root = copy_example("agent-mvp")
    if folder == "milestones":
        (root / "milestones").mkdir(exist_ok=True)
        (root / "milestones" / "M9.yaml").write_text("id: M9\ntitle: Nine\ntasks: [T033]\n")
    k = keeper(root)
    (root / folder).rename(tmp_path / "away")
    bl, patched = load(k, root, {str(root / folder)}, monkeypatch)
    assert not patched
    same(bl, full(root))


def test_locks_and_claims_change_nothing(copy_example, keeper, monkeypatch):
    """`claim`, `start` and the locks write under .locks/ and claims/ (16 agents claiming at
    once): no load reads them, no files-not-read walk enters them."""
    from taskctl.core.load.readers import scan

    root = copy_example("agent-mvp")
    k = keeper(root)
    walks = []
    real = scan.unread
    monkeypatch.setattr(scan, "unread", lambda *a: walks.append(1) or real(*a))
    changed = set()
    for d, name in ((".locks", "task.T033.inprogress.json"), ("claims", "T033.json")):
        (root / d).mkdir(exist_ok=True)
        (root / d / name).write_text("{}")
        changed |= {str(root / d), str(root / d / name)}
    bl, patched = load(k, root, changed, monkeypatch)
    assert patched and walks == []
    walks_before = len(walks)
    same(bl, full(root))
    assert len(walks) == walks_before + 1  # only the comparison's own load walked


def test_a_task_marshal_cannot_hold_is_loaded_in_full(copy_example, keeper, monkeypatch):
    """A date nested in a mapping cannot be kept (marshal refuses it): the load that met it
    stands, and the next one is full; neither fails."""
    root = copy_example("agent-mvp")
    k = keeper(root)
    first = Path(_merged(k)[1])
    first.write_text(first.read_text(encoding="utf-8").replace(
        "title: ", "notes:\n  when: 2024-01-02\ntitle: ", 1), encoding="utf-8")
    _edit(first, "body")
    bl, patched = load(k, root, {str(first)}, monkeypatch)
    same(bl, full(root))
    bl, patched = load(k, root, set(), monkeypatch)
    assert not patched and k.state is None
    same(bl, full(root))
