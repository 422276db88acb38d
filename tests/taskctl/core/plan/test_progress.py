"""Status summaries, filters, task lookup with suggestions, milestones."""

from __future__ import annotations

import pytest

from taskctl.core.model import Milestone, Phase
from taskctl.core.plan import progress
from taskctl.errors import UnknownTask, UsageError
from tests.taskctl.core.plan.planning_fixtures import backlog, task


@pytest.fixture
def bl():
    b = backlog(task("T001", status="completed", hours=2, tags=["a"]),
                task("T002", deps=["T001"], hours=3, priority=1, milestone="M1"),
                task("T003", status="deferred", hours=1, phase="later"),
                task("T004", status="cancelled", hours=1),
                task("T005", status="completed_unverified", deps=["T002"], hours=1))
    b.phases = [Phase("one", ["T001", "T002"]), Phase("two", ["T003", "T004", "T005"])]
    b.milestones = {"M1": Milestone("M1", "First", ["T001", "T002", "T404"], ["it works"])}
    return b


def test_status_report_counts_and_progress(bl):
    rep = progress.status_report(bl, "hours")
    assert rep["by_status"] == {"pending": 1, "deferred": 1, "completed": 1, "cancelled": 1,
                                "completed_unverified": 1}
    one, two = rep["phases"]
    assert (one["done"], one["total"], one["percent"], one["remaining_weight"]) == (1, 2, 50, 3)
    # parked tasks are not in the denominator; cancelled counts as done
    assert (two["done"], two["parked"], two["percent"], two["unverified"]) == (1, 1, 50, 1)
    assert rep["remaining_estimate"] == 4 and rep["critical_path"] == ["T002", "T005"]
    assert rep["milestones"][0]["unknown"] == ["T404"] and rep["unverified"] == ["T005"]


def test_filters(bl):
    ids = lambda ts: [t.id for t in ts]  # noqa: E731
    assert ids(progress.filter_tasks(bl, status="remaining")) == ["T002", "T005"]
    assert ids(progress.filter_tasks(bl, status="done")) == ["T001"]  # alias of completed
    assert ids(progress.filter_tasks(bl, priority="P1")) == ["T002"]
    assert ids(progress.filter_tasks(bl, tag="a")) == ["T001"]
    assert ids(progress.filter_tasks(bl, phase="two")) == ["T003", "T004", "T005"]
    assert ids(progress.filter_tasks(bl, phase="later")) == ["T003"]
    assert ids(progress.filter_tasks(bl, milestone="M1")) == ["T001", "T002"]
    with pytest.raises(UsageError):
        progress.filter_tasks(bl, status="nonsense")


def test_unknown_task_suggests_close_ids(bl):
    assert progress.get_task(bl, "t002").id == "T002"
    with pytest.raises(UnknownTask) as e:
        progress.get_task(bl, "T02")
    assert e.value.exit_code == 2 and "T002" in e.value.hint


def test_milestone_report(bl):
    rep = progress.milestone_report(bl, "M1", "hours")
    assert rep["complete"] is False and rep["definition_of_done"] == ["it works"]
    assert [t["id"] for t in rep["remaining_tasks"]] == ["T002"]
    assert [m["id"] for m in progress.milestone_report(bl, None)["milestones"]] == ["M1"]
    with pytest.raises(UnknownTask):
        progress.milestone_report(bl, "M2")
