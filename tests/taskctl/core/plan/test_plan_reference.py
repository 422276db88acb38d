"""The fast paths of the planners against plain definitions, on random backlogs with every
status, cycles, self, unknown and deferred dependencies and odd estimates: the blocker texts
made once per dependency, the waves' `held_by`, the weights read without a call per task."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.order import natural
from taskctl.core.plan import cpm, estimates
from taskctl.core.plan import ranking as plan
from taskctl.core.status import DONE, PARKED, TaskStatus
from tests.taskctl.core.plan.planning_fixtures import backlog, task

STATUSES = [str(s) for s in TaskStatus]
ESTIMATES = st.one_of(st.none(), st.integers(-2, 9), st.sampled_from(
    [0.0, -0.0, 0.5, 1 / 3, 2.5, 1e-9, 12000.0, -1.5, math.nan, True, False, "3"]))


@st.composite
def backlogs(draw):
    n = draw(st.integers(1, 14))
    ids = [f"T{i}" for i in range(n)]
    others = st.sampled_from([*ids, "MISSING", "DEF1"])
    tasks = [task(tid, status=draw(st.sampled_from(STATUSES)),
                  deps=draw(st.lists(others, max_size=4)),
                  hours=draw(ESTIMATES), tokens=draw(ESTIMATES),
                  priority=draw(st.one_of(st.none(), st.integers(0, 4))))
             for tid in ids]
    return backlog(*tasks, deferred={"DEF1"} if draw(st.booleans()) else set())


def reference_blockers(bl, t, cycle_ids=frozenset()):
    """The definition (docs/planning.md), one task at a time, nothing shared."""
    if t.status in DONE:
        return [f"{t.status}"]
    if t.status in PARKED:
        return ["deferred (parked; not scheduled until its status changes)"]
    out = []
    if t.status == TaskStatus.BLOCKED:
        out.append("status is blocked")
    if t.id in cycle_ids:
        out.append("on a dependency cycle")
    for dep in t.depends_on:
        other = bl.tasks.get(dep)
        if dep == t.id:
            continue
        if other is None:
            why = ("a deferred task with no entry yet" if dep in bl.deferred
                   else "an unknown id, so nothing proves that work is done")
            out.append(f"depends on {dep}, {why}")
        elif other.status not in DONE:
            note = (" (completed but unverified)"
                    if other.status == TaskStatus.COMPLETED_UNVERIFIED else "")
            out.append(f"waits on {dep} ({other.status}{note})")
    return out


def reference_weigh(tasks, weight):
    """Weights as defined: each task's own estimate when usable, else the median."""
    def estimate(t, unit):
        if unit == "count":
            return 1.0
        v = getattr(t, {"hours": "estimated_hours", "tokens": "estimated_tokens"}[unit])
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v != v:
            return None
        return float(v)

    unit = estimates.choose_unit(tasks, weight)
    known = {t.id: e for t in tasks if (e := estimate(t, unit)) is not None}
    if not known and unit != "count":
        return "count", {t.id: 1.0 for t in tasks}, []
    fill = float(estimates._median(known.values())) if known else 1.0
    missing = natural(t.id for t in tasks if t.id not in known)
    return unit, {t.id: known.get(t.id, fill) for t in tasks}, missing


@settings(max_examples=300, deadline=None)
@given(backlogs())
def test_blockers_of_every_task_are_the_definition(bl):
    cycles = plan.cycle_members(cpm.schedule(bl, "count"))
    for ids in (cycles, frozenset()):
        expected = {tid: reference_blockers(bl, bl.tasks[tid], ids)
                    for tid in natural(bl.tasks) if bl.tasks[tid].status not in DONE}
        assert list(plan.blocked(bl, ids).items()) == list(expected.items())
        assert all(plan.blockers(bl, t, ids) == reference_blockers(bl, t, ids)
                   for t in bl.tasks.values())


@settings(max_examples=300, deadline=None)
@given(backlogs())
def test_waves_hold_tasks_by_exactly_their_blockers_outside_the_plan(bl):
    sched = cpm.schedule(bl, "count")
    cycles = plan.cycle_members(sched)
    for wave in plan.waves(bl, "count")["waves"]:
        for row in wave["tasks"]:
            why = reference_blockers(bl, bl.tasks[row["id"]], cycles)
            assert row["held_by"] == [w for w in why if not w.startswith("waits on ")
                                      or w.split()[2] not in sched.tasks]


@settings(max_examples=300, deadline=None)
@given(backlogs(), st.sampled_from(estimates.WEIGHT_CHOICES))
def test_weights_are_the_definition(bl, weight):
    remaining = [t for t in bl.tasks.values() if t.status in plan.PLANNED]
    w = estimates.weigh(remaining, weight)
    unit, values, missing = reference_weigh(remaining, weight)
    assert (w.unit, list(w.values.items()), w.imputed) == (unit, list(values.items()), missing)
    assert all(type(v) is float for v in w.values.values())
