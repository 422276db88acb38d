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


def test_a_tasks_own_keys_are_json_ready():
    """YAML gives dates, times, sets and keys of any type in a task file's own keys; `show
    --json` (and the answer cache, the resident process) writes them as JSON."""
    import datetime as dt
    import json

    import yaml

    extra = yaml.safe_load("reviewed_on: 2026-03-02\n"
                           "at: 2026-03-02 12:30:00\n"
                           "history: {2026-03-02: created, 3: three, 1.5: half, null: x,"
                           " true: y}\n"
                           "labels: !!set {b: null, a: null}\n"
                           "nested: [[2026-01-01], {k: 1}]\n")
    assert isinstance(extra["history"], dict) and dt.date(2026, 3, 2) in extra["history"]
    ready = progress.json_ready(extra)
    assert json.loads(json.dumps(ready)) == ready
    assert ready == {"reviewed_on": "2026-03-02", "at": "2026-03-02T12:30:00",
                     "history": {"2026-03-02": "created", "3": "three", "1.5": "half",
                                 "null": "x", "true": "y"},
                     "labels": ["a", "b"], "nested": [["2026-01-01"], {"k": 1}]}
    plain = {"a": [1, 2.5, True, None, "t"], "b": {"c": "d"}}
    assert progress.json_ready(plain) == plain


def test_show_json_of_a_task_with_dates_in_its_own_keys(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from tests.taskctl.one_task import one_task_tree

    root = tmp_path / ".tasks"
    one_task_tree(root, "id: T001\ntitle: One\nstatus: pending\nreviewed_on: 2026-03-02\n"
                  "history:\n  2026-03-02: created\n")
    env = {**os.environ, "TASKCTL_SERVE": "0"}
    for _ in range(2):  # computed and stored, then from the answer cache
        p = subprocess.run([sys.executable, "-m", "taskctl", "--tasks-dir", str(root), "show",
                            "T001", "--json"], capture_output=True, text=True, env=env,
                           timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        extra = json.loads(p.stdout)["task"]["extra"]
        assert extra == {"reviewed_on": "2026-03-02", "history": {"2026-03-02": "created"}}
