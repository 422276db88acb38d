"""The write-ahead intent of lifecycle changes (core/write/change.py): written in place, emptied
when the change is done, finished or dropped by the next command, never followed through a
symlink or waited on as a FIFO."""

from __future__ import annotations

import hashlib
import json
import os
import threading

import pytest

from taskctl.core.files import locks
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.lifecycle import transitions as tr
from taskctl.core.write import change
from tests.taskctl.core.lifecycle.lifecycle_support import assert_consistent, independent_tree


@pytest.fixture
def root(tmp_path):
    return independent_tree(tmp_path / "repo", 2)


def intent(root):
    return root / ".locks" / "intent.json"


def planned_claim(root, tid="T001") -> change.Change:
    """The Change a `claim` of `tid` would apply, built but not written."""
    req = tr.Request("claim", tid, "a")
    return tr.build(tk.find(root, tid), req, tr.now_utc(), {})


def test_a_finished_change_leaves_an_empty_intent(root):
    tr.transition(root, tr.Request("claim", "T001", "a"))
    tr.log(root, "T001", "a", "one line")
    assert intent(root).read_bytes() == b""
    assert change.recover(root) is None
    assert_consistent(root)


def test_a_change_killed_after_its_commit_point_is_finished_by_the_next_command(root):
    ch = planned_claim(root)
    locks.lock_dir(root)
    change._write_intent(intent(root), json.dumps(
        {**ch.to_dict(), "commit": [ch.writes[0][0]]}).encode())
    (root / ch.writes[0][0]).write_text(ch.writes[0][1])  # killed after the first write
    with tk.locked(root) as notes:
        pass
    assert notes == ["finished an interrupted claim of T001"]
    assert json.loads((root / "claims" / "T001.json").read_text())["agent"] == "a"
    assert (root / ch.writes[1][0]).exists()  # its event
    assert intent(root).read_bytes() == b""
    assert_consistent(root)


def test_a_change_killed_before_its_commit_point_is_dropped(root):
    ch = planned_claim(root)
    locks.lock_dir(root)
    before = (root / ch.writes[0][0]).read_text()
    change._write_intent(intent(root), json.dumps(
        {**ch.to_dict(), "commit": [ch.writes[0][0]]}).encode())
    assert change.recover(root) == \
        "dropped an unfinished claim of T001 (nothing of it was written)"
    assert (root / ch.writes[0][0]).read_text() == before
    assert not (root / "claims" / "T001.json").exists()
    assert intent(root).read_bytes() == b""


def test_a_torn_intent_is_dropped(root):
    ch = planned_claim(root)
    locks.lock_dir(root)
    before = (root / ch.writes[0][0]).read_text()
    text = json.dumps({**ch.to_dict(), "commit": [ch.writes[0][0]]})
    intent(root).write_text(text[:len(text) // 2])  # killed while writing the intent
    assert change.recover(root) == "dropped an unreadable intent"
    assert intent(root).read_bytes() == b""
    assert (root / ch.writes[0][0]).read_text() == before


def test_an_intent_naming_its_commit_by_sha256_is_still_honoured(root):
    """The form an earlier taskctl wrote: `commit: [path, sha256 of the text]`."""
    ch = planned_claim(root)
    locks.lock_dir(root)
    rel, text = ch.writes[0]
    intent(root).write_text(json.dumps(
        {**ch.to_dict(), "commit": [rel, hashlib.sha256(text.encode()).hexdigest()]}))
    (root / rel).write_text(text)
    assert change.recover(root) == "finished an interrupted claim of T001"
    assert (root / "claims" / "T001.json").exists()


def test_a_symlinked_intent_is_never_followed(root, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"precious": true}\n')
    locks.lock_dir(root)
    intent(root).symlink_to(outside)
    tr.log(root, "T001", "a", "through the link?")
    assert outside.read_text() == '{"precious": true}\n'  # neither read, written nor emptied
    assert not intent(root).is_symlink() and intent(root).read_bytes() == b""


def test_a_hard_linked_intent_is_replaced_not_emptied(root, tmp_path):
    other = tmp_path / "other.json"  # the same inode under another name, outside the tree
    other.write_text('{"precious": true}\n')
    locks.lock_dir(root)
    os.link(other, intent(root))
    tr.log(root, "T001", "a", "through the link?")
    assert other.read_text() == '{"precious": true}\n'
    assert intent(root).stat().st_nlink == 1 and intent(root).read_bytes() == b""


def test_a_fifo_in_place_of_the_intent_does_not_hang(root):
    locks.lock_dir(root)
    os.mkfifo(intent(root))
    # in a thread: a regression blocks in open(2) forever; the test then fails, not hangs
    t = threading.Thread(target=tr.log, args=(root, "T001", "a", "no reader"), daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "blocked opening the FIFO"
    assert intent(root).is_file() and intent(root).read_bytes() == b""
