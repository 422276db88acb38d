"""One walk of a store per read answer (`core/files/treewalk.py`): inside `held()` every
listing and stat key is what a fresh look would have given when the walk was made, and a
change made after the walk is seen by the next command."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import taskctl.core.load
from taskctl.core.files import treewalk
from taskctl.core.load import filecache, loader
from taskctl.core.load.readers import scan
from taskctl.core.load.readers.tasks import READER
from taskctl.core.load.taskpaths import task_files
from taskctl.core.plan import cache

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with the shapes a walk meets: nested folders, a symlinked folder and file, a
    dangling link, skipped folders, non-task files."""
    root = tmp_path / ".tasks"
    shutil.copytree(REPO / ".tasks" / "tasks", root / "tasks")
    (root / "manifest.json").write_text('{"tasks": []}')
    os.utime(root / "manifest.json", ns=(10**18, 10**18))  # mtime and ctime differ
    (root / "tasks" / "sub" / "deeper").mkdir(parents=True)
    (root / "tasks" / "sub" / "T900-nested.md").write_text("---\nid: T900\n---\n")
    (root / "tasks" / "sub" / "deeper" / "T901-x.yaml").write_text("id: T901\n")
    (root / "completed").mkdir()
    (root / "completed" / "T902-done.md").write_text("---\nid: T902\n---\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "T903-outside.md").write_text("---\nid: T903\n---\n")
    (root / "tasks" / "linked").symlink_to(elsewhere, target_is_directory=True)
    (root / "tasks" / "T904-link.md").symlink_to(elsewhere / "T903-outside.md")
    (root / "tasks" / "T905-dangling.md").symlink_to(tmp_path / "nothing.md")
    (root / "notes.txt").write_text("a note")
    (root / "evidence").mkdir()
    (root / "evidence" / "T1.json").write_text("{}")
    (root / ".cache").mkdir()
    (root / ".cache" / "x.answer").write_text("{}")
    (root / "locked").mkdir()
    (root / "locked" / "T906-hidden.md").write_text("x")
    return root


def walked(walk, top: str, prune: bool) -> list:
    out = []
    for dirpath, dirs, names in walk(top):
        if prune:
            dirs[:] = sorted(d for d in dirs if d != "deeper")
        out.append((dirpath, sorted(dirs), sorted(names)))
    return sorted(out)


@pytest.mark.parametrize("prune", [False, True])
@pytest.mark.parametrize("top", ["", "tasks", "tasks/sub", "missing"])
def test_walk_is_os_walk(store: Path, top: str, prune: bool) -> None:
    d = os.path.join(store, top) if top else str(store)
    with treewalk.held():
        held = treewalk.listing(store)
        assert walked(held.walk, d, prune) == walked(os.walk, d, prune)


def test_unreadable_folder_yields_nothing(store: Path, monkeypatch) -> None:
    """A folder that cannot be listed (this suite runs as root, which reads a mode-0 folder:
    the refusal is made by `os.scandir` for both walks alike)."""
    locked, scandir = str(store / "locked"), os.scandir

    def refusing(d):
        if os.fspath(d) == locked:
            raise PermissionError(13, "Permission denied", d)
        return scandir(d)

    monkeypatch.setattr(os, "scandir", refusing)
    assert list(os.walk(locked)) == []
    with treewalk.held():
        held = treewalk.listing(store)
        assert list(held.walk(locked)) == []
        assert walked(held.walk, str(store), False) == walked(os.walk, str(store), False)


def test_keys_are_file_keys(store: Path) -> None:
    paths = [os.path.join(dp, n) for dp, ds, ns in os.walk(store) for n in ns + ds]
    paths += [str(store / "tasks" / "gone.md"), str(store)]
    fresh = {p: filecache.file_key(p) for p in paths}
    assert fresh[str(store / "tasks" / "T904-link.md")] is None  # a symlink: never cached
    st = os.lstat(store / "manifest.json")  # a file's key: what its lstat says
    assert fresh[str(store / "manifest.json")] == (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                                   st.st_ino)
    with treewalk.held():
        assert treewalk.key(paths[0]) is treewalk.MISSING  # nothing listed yet: stat it
        assert filecache.file_keys(paths) == [fresh[p] for p in paths]
        list(treewalk.listing(store).walk(str(store)))
        assert filecache.file_keys(paths) == [fresh[p] for p in paths]  # in bulk
        assert treewalk.keys(paths).count(treewalk.MISSING) == 2
        assert treewalk.keys(["manifest.json", ""]) == [treewalk.MISSING] * 2  # no folder
        listed = [p for p in paths if treewalk.key(p) is not treewalk.MISSING]
        assert len(listed) == len(paths) - 2  # all but the missing file and the root
        assert {p: filecache.file_key(p) for p in paths} == fresh
        assert treewalk.key(str(store / "tasks" / "gone.md")) is treewalk.MISSING


def test_fingerprint_and_listings_alike(store: Path) -> None:
    before = (cache.fingerprint(store), task_files(store),
              scan.unread(store, set(map(str, task_files(store))), READER))
    with treewalk.held():
        assert (cache.fingerprint(store), task_files(store),
                scan.unread(store, set(map(str, task_files(store))), READER)) == before
        assert treewalk.listing(store) is treewalk.listing(store)  # walked once
    assert treewalk.listing(store) is None  # nothing held outside


def test_outside_held_nothing_is_kept(store: Path) -> None:
    assert treewalk.listing(store) is None
    assert treewalk.key(str(store / "manifest.json")) is treewalk.MISSING


def test_what_a_scope_held_is_handed_to_its_keeper(store: Path) -> None:
    """A short-lived read answer hands its listings to `hold_to_exit` when the scope ends
    (freed by the exit, not there); without a keeper they go with the scope."""
    kept: list = []
    with treewalk.held(keep=kept.append):
        cache.fingerprint(store)
    assert [list(k) for k in kept] == [[str(store)]]
    assert len(kept[0][str(store)].dirs) >= 2 and treewalk.listing(store) is None


def test_a_change_after_the_walk_is_seen_next_time(tmp_path: Path, monkeypatch,
                                                  no_racy_window) -> None:
    """A task file edited between the walk and the load: that answer may still be the older
    tree's, the next one must see the edit (the file's key moved on)."""
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)  # stored before the next load
    root = tmp_path / ".tasks"
    shutil.copytree(REPO / ".tasks", root,
                    ignore=shutil.ignore_patterns(".cache", "evidence", "updates"))
    loader.load(root, bodies=False)  # a full load, stored
    loader.load(root, bodies=False)  # answered from what was stored
    f = sorted((root / "tasks").glob("T0*.yaml"))[3]
    with treewalk.held():
        treewalk.listing(root)
        f.write_text(re.sub(r"(?m)^title: .*$", "title: Edited after the walk", f.read_text(),
                            count=1))
        loader.load(root, bodies=False)
    after = loader.load(root, bodies=False)
    assert [t.title for t in after.tasks.values() if t.title.startswith("Edited")] == [
        "Edited after the walk"]
    fresh = loader.load(root, use_cache=False, bodies=False)
    assert after.tasks == fresh.tasks


def test_nothing_is_held_where_an_entry_has_no_inode(store: Path, monkeypatch) -> None:
    """Windows: a `DirEntry`'s stat has st_ino 0, unlike `lstat`: each caller stats."""
    monkeypatch.setattr(treewalk, "_USABLE", False)
    with treewalk.held():
        assert treewalk.listing(store) is None
        assert treewalk.key(str(store / "manifest.json")) is treewalk.MISSING
