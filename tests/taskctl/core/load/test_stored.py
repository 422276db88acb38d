"""The stored backlog's files (`core/load/stored.py`): read back only under the header they
were written with and only as sealed; a task's plan view holds what a plan reads of it."""

from __future__ import annotations

from taskctl.core.load import stored
from taskctl.core.load import taskplain as tp
from taskctl.core.model import Task


def test_a_stored_file_is_read_back_only_under_its_header_and_seal(tmp_path, monkeypatch):
    root = tmp_path / ".tasks"
    root.mkdir()
    assert stored.write(root, stored.HEAD, {"id": 1, "listing": ["a"]})
    assert stored.read(root, stored.HEAD) == {"id": 1, "listing": ["a"]}
    assert stored.read(root, stored.DELTA) is None  # never written
    with monkeypatch.context() as m:  # another format (or taskctl, or tree): not this one's
        m.setattr(stored, "FORMAT", "taskctl-backlog/0")
        assert stored.read(root, stored.HEAD) is None
    moved = tmp_path / "elsewhere" / ".tasks"
    moved.parent.mkdir()
    root.rename(moved)
    assert stored.read(moved, stored.HEAD) is None
    path = moved / ".cache" / stored.HEAD
    blob = path.read_bytes()
    path.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))  # forged
    assert stored.read(moved, stored.HEAD) is None
    assert stored.write(moved, stored.plan_shard(7), {"ok": True})
    assert (moved / ".cache" / "backlog-plan-07.marshal").is_file()


def test_the_plan_view_holds_what_a_plan_reads_and_not_the_title():
    def view(**kw):
        task = Task(id="T1", title="one", priority=1, depends_on=["T0"], **kw)
        return stored.plan_view(tp.to_plain(task), {"id": "T1"})

    assert view() == view(tags=["x"], description="other text")
    for changed in ({"phase": "p2"}, {"milestone": "M1"}, {"estimated_hours": 3.0},
                    {"blocks": ["T9"]}, {"status": "completed"}):
        assert view(**changed) != view(), changed
    base = Task(id="T1", title="one")
    assert stored.plan_view(tp.to_plain(base), {"id": "T1"}) == stored.plan_view(
        tp.to_plain(Task(id="T1", title="two")), {"id": "T1"})
    assert stored.plan_view(tp.to_plain(base), {"id": 1}) != stored.plan_view(
        tp.to_plain(base), {"id": "T1"})  # an integer id is reported: part of the view
