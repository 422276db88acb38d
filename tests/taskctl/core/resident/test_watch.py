"""The resident process's watcher (`core/resident/watch.py`), on real files with real inotify:
every change the plan cache's fingerprint would see is named, nothing it leaves out is, and
what it cannot watch is refused."""

from __future__ import annotations

import os
import sys

import pytest

from taskctl.core.plan import cache
from taskctl.core.resident.watch import Gone, Unwatchable, Watcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify: Linux")


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "proj" / ".tasks"
    (root / "tasks" / "nested").mkdir(parents=True)
    (root / "manifest.json").write_text("{}")
    (root / "tasks" / "T1.md").write_text("---\nid: T1\n---\n")
    (root / "tasks" / "nested" / "T2.md").write_text("---\nid: T2\n---\n")
    for d in cache.UNWATCHED:
        (root / d).mkdir(exist_ok=True)
    w = Watcher(str(root))
    yield root, w
    w.close()


def test_each_change_the_fingerprint_sees_is_named(store):
    root, w = store
    assert w.drain() == set()
    f = root / "tasks" / "nested" / "T2.md"
    f.write_text("---\nid: T2\ntitle: x\n---\n")
    assert str(f) in w.drain()
    os.utime(f, ns=(1, 2))  # the key holds mtime: a touch is a change
    assert w.drain() == {str(f)}
    tmp = root / "manifest.json.tmp"
    tmp.write_text('{"a": 1}')
    tmp.replace(root / "manifest.json")  # an atomic write: both names
    assert {str(tmp), str(root / "manifest.json")} <= w.drain()
    (root / "tasks" / "T1.md").unlink()
    assert str(root / "tasks" / "T1.md") in w.drain()
    assert w.drain() == set()


@pytest.mark.parametrize("there_before", [True, False])
def test_what_the_fingerprint_leaves_out_is_not(store, there_before):
    """Nor what happens in them when they appear later (the server's own cache writes would
    otherwise count as changes, for ever)."""
    root, w = store
    if not there_before:
        for d in cache.UNWATCHED:
            (root / d).rmdir()
        w.drain()
        for d in cache.UNWATCHED:
            (root / d).mkdir()
    for d in sorted(cache.UNWATCHED):
        (root / d / "x.json").write_text("1")
        (root / d / "sub").mkdir()
        (root / d / "sub" / "y").write_text("1")
    assert w.drain() == set()
    (root.parent / "README.md").write_text("the project's own files")
    assert w.drain() == set()


def test_a_new_folder_is_watched_from_then_on(store):
    root, w = store
    d = root / "tasks" / "later"
    d.mkdir()
    assert str(d) in w.drain()
    (d / "T3.md").write_text("---\nid: T3\n---\n")
    assert str(d / "T3.md") in w.drain()
    (d / "deeper").mkdir()
    w.drain()
    (d / "deeper" / "T4.md").write_text("x")
    assert str(d / "deeper" / "T4.md") in w.drain()


def test_the_sidecar_is_watched_once_it_appears(store):
    root, w = store
    side = root.parent / ".taskctl"
    side.mkdir()
    assert str(side) in w.drain()
    (side / "acceptance.yaml").write_text("T1: []\n")
    assert str(side / "acceptance.yaml") in w.drain()


def test_symbolic_links_are_refused(store, tmp_path):
    root, w = store
    os.symlink(tmp_path / "elsewhere.md", root / "tasks" / "T9.md")
    with pytest.raises(Unwatchable, match="symbolic link"):
        w.drain()
    with pytest.raises(Unwatchable, match="symbolic link"):
        Watcher(str(root))  # and one there from the start


def test_the_store_going_away_is_said(store, tmp_path):
    root, w = store
    root.rename(tmp_path / "moved")
    with pytest.raises(Gone):
        w.drain()


def test_hard_links_are_refused(store, tmp_path):
    """A second name outside the store would let the file change with no event here."""
    root, _w = store
    os.link(root / "tasks" / "T1.md", tmp_path / "elsewhere.md")
    with pytest.raises(Unwatchable, match="hard links"):
        Watcher(str(root))
    os.unlink(tmp_path / "elsewhere.md")
    w2 = Watcher(str(root))
    try:
        outside = tmp_path / "outside.md"
        outside.write_text("---\nid: T7\n---\n")
        os.link(outside, root / "tasks" / "T7.md")  # a new name for a file outside
        with pytest.raises(Unwatchable, match="hard links"):
            w2.drain()
    finally:
        w2.close()
