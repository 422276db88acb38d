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
        task = Task(**{"id": "T1", "title": "one", "priority": 1, "depends_on": ["T0"], **kw})
        return stored.plan_view(tp.head_of(task))

    assert view() == view(tags=["x"], description="other text")
    for changed in ({"phase": "p2"}, {"milestone": "M1"}, {"estimated_hours": 3.0},
                    {"blocks": ["T9"]}, {"status": "completed"}):
        assert view(**changed) != view(), changed
    assert view() == view(title="two")
    assert view(front_matter={"id": 1}) != view(front_matter={"id": "T1"})  # an integer id
    # is reported: part of the view


def test_a_stored_row_gives_back_the_task_unpacking_its_items_and_front_matter_on_use():
    from taskctl.core.model import AcceptanceItem

    task = Task(id="T1", title="one", status="in_progress", depends_on=["T0"],
                acceptance=[AcceptanceItem(1, "passes", run="true", inputs=["a/*.py"])],
                front_matter={"id": "T1", "odd": [1, 2]}, extra={"k": "v"})
    head, packed = tp.to_row(task)
    back = tp.from_row(head, packed)
    assert "front_matter" not in back.__dict__ and "acceptance" not in back.__dict__
    assert back.title == "one" and back.depends_on == ["T0"]  # read without unpacking
    assert "_packed" in back.__dict__
    back.path, back.format = task.path, task.format
    assert back == task  # equality reads every field: unpacked
    assert "_packed" not in back.__dict__
    assert back.acceptance[0].inputs == ["a/*.py"] and back.front_matter["odd"] == [1, 2]
    again = tp.from_row(head, packed)
    again.acceptance = []  # assigned before anything unpacked: kept
    assert again.front_matter == {"id": "T1", "odd": [1, 2]} and again.acceptance == []
    try:
        again.no_such_field  # noqa: B018 - the lookup is the test
    except AttributeError as e:
        assert "no_such_field" in str(e)
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
