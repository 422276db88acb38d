"""CPM: hand-checked schedules, cycles, and properties on random DAGs against brute force."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

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
    total, path, times, cycles, _, _ = cpm.compute(weights, edges)
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
