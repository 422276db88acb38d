"""CPM: hand-checked schedules, cycles, and properties on random DAGs against brute force."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.order import topological_order
from taskctl.core.plan import cpm
from tests.taskctl.core.plan.planning_fixtures import backlog, task


def test_diamond_schedule_by_hand():
    # A(2) -> B(3) -> D(1); A -> C(1) -> D : critical A B D = 6, C has slack 2
    bl = backlog(task("A", hours=2), task("B", deps=["A"], hours=3),
                 task("C", deps=["A"], hours=1), task("D", deps=["B", "C"], hours=1))
    s = cpm.schedule(bl, "hours")
    assert (s.weight, s.total, s.path) == ("hours", 6, ["A", "B", "D"])
    c = s.tasks["C"]
    assert (c.earliest_start, c.earliest_finish, c.latest_start, c.latest_finish, c.slack) == (
        2, 3, 4, 5, 2)
    assert s.tasks["D"].earliest_start == 5 and s.tasks["D"].slack == 0


def test_done_dependencies_cost_nothing_and_parked_tasks_are_not_scheduled():
    bl = backlog(task("A", status="completed", hours=5), task("B", deps=["A"], hours=1),
                 task("P", status="deferred", hours=9), task("X", status="cancelled", hours=9))
    s = cpm.schedule(bl, "hours")
    assert set(s.tasks) == {"B"} and s.total == 1 and s.tasks["B"].earliest_start == 0


def test_missing_estimate_weighs_the_median_and_is_warned():
    bl = backlog(task("A", hours=1), task("B", hours=3), task("C", hours=10), task("D"))
    s = cpm.schedule(bl, "hours")
    assert s.tasks["D"].weight == 3 and s.imputed == ["D"]
    assert any("D" in w and "median" in w for w in s.warnings)


def test_estimates_whose_sums_overflow_weigh_the_median_and_plan():
    """Found by review: two dependent tasks of 1e308 hours summed to infinity, which the
    JSON of the plan (and of the manifest's derived critical path) cannot hold: an internal
    error. Above `estimates.MAX_ESTIMATE` an estimate is not usable."""
    from taskctl.core.plan import ranking

    bl = backlog(task("A", hours=1e308), task("B", deps=["A"], hours=1e308),
                 task("C", hours=2), task("D", deps=["C"], hours=4))
    s = cpm.schedule(bl, "hours")
    assert s.imputed == ["A", "B"] and s.total == 6
    assert any("no usable hours estimate" in w for w in s.warnings)
    assert s.to_dict()["total"] == 6
    assert {r["id"] for r in ranking.next_report(bl)["tasks"]} == {"A", "C"}


def test_cycle_is_reported_and_the_rest_still_planned():
    bl = backlog(task("A", deps=["B"], hours=1), task("B", deps=["A"], hours=1),
                 task("C", hours=4), task("D", deps=["C"], hours=1))
    s = cpm.schedule(bl, "hours")
    assert s.cycles == [["A", "B"]] and set(s.tasks) == {"C", "D"}
    assert s.path == ["C", "D"] and s.total == 5
    assert any("cycle" in w for w in s.warnings)


def test_empty_backlog():
    s = cpm.schedule(backlog(), "auto")
    assert (s.weight, s.total, s.path, s.tasks) == ("count", 0, [], {})


@st.composite
def dags(draw, max_nodes=8):
    n = draw(st.integers(1, max_nodes))
    ids = [f"T{i}" for i in range(n)]
    weights = {v: draw(st.integers(0, 9)) for v in ids}
    edges = [(ids[i], ids[j]) for i, j in itertools.combinations(range(n), 2)
             if draw(st.booleans())]
    perm = draw(st.permutations(ids))  # ids must not reveal the topological order
    rename = dict(zip(ids, perm, strict=True))
    return ({rename[v]: w for v, w in weights.items()},
            [(rename[a], rename[b]) for a, b in edges])


def all_paths(weights, edges):
    succ = {v: [b for a, b in edges if a == v] for v in weights}

    def walk(p):
        yield p
        for s in succ[p[-1]]:
            yield from walk([*p, s])

    for v in weights:
        yield from walk([v])


@settings(max_examples=150, deadline=None)
@given(dags())
def test_critical_path_is_a_longest_chain_by_brute_force(g):
    weights, edges = g
    succ = {v: [b for a, b in edges if a == v] for v in weights}
    total, path, timing, cycles, _, _ = cpm.compute(weights, succ)
    times = {v: timing.times(v) for v in timing.es}
    assert set(times) == set(weights)
    # the forward pass walks Kahn's order itself: the same order as order.py's
    assert cpm.compute(weights, succ).order == topological_order(succ)
    assert cycles == []
    paths = list(all_paths(weights, edges))
    best = max(sum(weights[v] for v in p) for p in paths)
    assert total == best
    assert path and all((a, b) in set(edges) for a, b in zip(path, path[1:], strict=False))
    assert sum(weights[v] for v in path) == best
    for v, t in times.items():
        assert t.slack >= 0
        through = max(sum(weights[x] for x in p) for p in paths if v in p)
        # zero slack exactly for tasks on some longest chain
        assert (t.slack == 0) == (through == best), (v, t, through, best)
        assert t.earliest_finish - t.earliest_start == weights[v]
        assert t.latest_start - t.earliest_start == t.slack


def test_tasks_after_a_cycle_are_still_scheduled_from_time_zero():
    # A <-> B is a cycle; C waits on A: C is planned (its cycle edge dropped), A and B are not
    bl = backlog(task("A", deps=["B"], hours=1), task("B", deps=["A"], hours=1),
                 task("C", deps=["A"], hours=2), task("D", deps=["C"], hours=3))
    s = cpm.schedule(bl, "hours")
    assert s.cycles == [["A", "B"]] and list(s.tasks) == ["C", "D"]
    assert (s.tasks["C"].earliest_start, s.total, s.path) == (0, 5, ["C", "D"])


def test_several_cycles_are_named_each_in_id_order():
    bl = backlog(task("T10", deps=["T9"]), task("T9", deps=["T10"]),
                 task("b", deps=["a2"]), task("a2", deps=["b"]), task("T1"))
    s = cpm.schedule(bl, "count")
    assert s.cycles == [["T9", "T10"], ["a2", "b"]] and list(s.tasks) == ["T1"]
    assert [w for w in s.warnings if "cycle" in w] == [
        "dependency cycle among T9, T10: left out of the schedule (remove one dependency edge)",
        "dependency cycle among a2, b: left out of the schedule (remove one dependency edge)"]


def test_isolated_tasks_are_never_critical_when_counted_but_are_when_weighed():
    bl = backlog(task("A"), task("B"), task("C", deps=["B"]))
    counted = cpm.schedule(bl, "count")
    assert counted.tasks["A"].isolated and not counted.tasks["A"].critical
    assert counted.tasks["B"].critical and counted.path == ["B", "C"]
    bl = backlog(task("A", hours=5), task("B", hours=1), task("C", deps=["B"], hours=1))
    weighed = cpm.schedule(bl, "hours")
    assert not weighed.tasks["A"].isolated and weighed.tasks["A"].critical
    assert weighed.path == ["A"] and weighed.tasks["B"].slack == 3


def test_equal_starts_are_listed_in_natural_id_order_and_json_keeps_its_fields():
    bl = backlog(task("T10", hours=1), task("t2", hours=1), task("T1", hours=2),
                 task("T3", deps=["T1"], hours=1), task("T02", hours=1))
    s = cpm.schedule(bl, "hours")
    assert list(s.tasks) == ["T1", "T02", "t2", "T10", "T3"]
    row = s.to_dict()["tasks"][0]
    assert list(row) == ["id", "status", "earliest_start", "earliest_finish", "latest_start",
                         "latest_finish", "slack", "weight", "critical"]
    assert row == {"id": "T1", "status": "pending", "earliest_start": 0, "earliest_finish": 2,
                   "latest_start": 0, "latest_finish": 2, "slack": 0, "weight": 2,
                   "critical": True}
    assert s.to_dict()["tasks"][1]["latest_start"] == 2 and s.to_dict()["total"] == 3


def test_num_rounds_and_makes_whole_numbers_ints():
    assert [cpm.num(x) for x in (2.0, 0.1 + 0.2, 1.5, 1e-9, 3, -0.0)] == [2, 0.3, 1.5, 0, 3, 0]
    assert type(cpm.num(2.0)) is int and type(cpm.num(1.0000000001)) is int
