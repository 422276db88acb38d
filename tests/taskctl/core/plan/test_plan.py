"""Actionability, ranking, reasons, waves and unblocked work on small in-memory backlogs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.model import DONE
from taskctl.core.order import natural_key
from taskctl.core.plan import cpm, estimates
from taskctl.core.plan import ranking as plan
from tests.taskctl.core.plan.planning_fixtures import backlog, task


def ids(tasks):
    return [t.id for t in tasks]


def test_actionable_needs_remaining_unblocked_status_and_done_dependencies():
    bl = backlog(
        task("A", status="completed"), task("X", status="cancelled"),
        task("B", deps=["A", "X"]),                        # deps done (cancelled counts)
        task("C", deps=["B"]),                             # waits on B
        task("D", status="blocked"),                       # blocked status
        task("E", status="deferred"),                      # parked
        task("F", deps=["NOPE"]),                          # unknown id
        task("G", deps=["T999"]), task("H", status="in_progress"),
        task("U", status="completed_unverified"), task("V", deps=["U"]),
        deferred={"T999"})
    assert ids(plan.actionable(bl)) == ["B", "H", "U"]
    assert plan.blockers(bl, bl.tasks["C"]) == ["waits on B (pending)"]
    assert plan.blockers(bl, bl.tasks["D"]) == ["status is blocked"]
    assert "parked" in plan.blockers(bl, bl.tasks["E"])[0]
    assert "unknown id" in plan.blockers(bl, bl.tasks["F"])[0]
    assert "deferred task with no entry" in plan.blockers(bl, bl.tasks["G"])[0]
    assert plan.blockers(bl, bl.tasks["V"]) == ["waits on U (completed_unverified "
                                                "(completed but unverified))"]


def test_rank_critical_then_priority_then_unblocked_work_then_id():
    bl = backlog(
        task("A", hours=5, priority=3),                    # critical: A -> Z is longest
        task("Z", deps=["A"], hours=5),
        task("B", hours=1, priority=0),                    # P0, not critical
        task("C", hours=1, priority=1), task("C2", deps=["C"], hours=2),
        task("D", hours=1, priority=1), task("D2", deps=["D"], hours=1),
        task("E", hours=1, priority=1), task("F", hours=1))  # no priority: last
    ranked = plan.rank(bl, cpm.schedule(bl, "hours"))
    assert [r.task.id for r in ranked] == ["A", "B", "C", "D", "E", "F"]
    assert ranked[0].critical and ranked[0].unblocks == 5
    assert ranked[2].unblocks == 2 and ranked[3].unblocks == 1
    reasons = [r.reason for r in ranked]
    assert reasons[0].startswith("first: on the critical path")
    assert reasons[1].startswith("after A: not on the critical path")
    assert reasons[2].startswith("after B: lower priority (P1 vs P0)")
    assert reasons[3].startswith("after C: unblocks less (1h vs 2h)")
    assert reasons[4].startswith("after D: unblocks less")
    assert reasons[5].startswith("after E: lower priority (- vs P1)")


def test_unblocks_is_transitive_and_counts_each_task_once():
    # A -> B -> D, A -> C -> D : A unblocks B, C, D once each
    bl = backlog(task("A", hours=1), task("B", deps=["A"], hours=2),
                 task("C", deps=["A"], hours=3), task("D", deps=["B", "C"], hours=4))
    w = estimates.weigh(bl.tasks.values(), "hours").values
    assert plan.unblocked_work(bl, w, ["A", "B", "D"]) == {
        "A": (9.0, 3), "B": (4.0, 1), "D": (0.0, 0)}


def test_unblocks_survives_a_long_chain_without_recursion():
    n = 3000
    tasks = [task(f"T{i:05d}", deps=[f"T{i - 1:05d}"] if i else [], hours=1) for i in range(n)]
    bl = backlog(*tasks)
    w = {t.id: 1.0 for t in tasks}
    assert plan.unblocked_work(bl, w, ["T00000"])["T00000"] == (n - 1, n - 1)


def test_next_report_lists_the_rest_with_reasons():
    bl = backlog(task("A"), task("B", deps=["A"]), task("P", status="deferred"))
    rep = plan.next_report(bl, "count")
    assert [t["id"] for t in rep["tasks"]] == ["A"]
    assert rep["tasks"][0]["unblocks"] == 1 and rep["weight"] == "count"
    assert {x["id"]: x["reason"] for x in rep["not_listed"]} == {
        "B": "waits on A (pending)",
        "P": "deferred (parked; not scheduled until its status changes)"}


def test_waves_are_topological_generations_of_remaining_work():
    bl = backlog(task("A", status="completed"), task("B", deps=["A"]), task("C"),
                 task("D", deps=["B", "C"]), task("E", deps=["D"], status="blocked"),
                 task("F", deps=["GONE"]))
    rep = plan.waves(bl, "count")
    assert [[t["id"] for t in w["tasks"]] for w in rep["waves"]] == [
        ["B", "C", "F"], ["D"], ["E"]]
    held = {t["id"]: t["held_by"] for w in rep["waves"] for t in w["tasks"]}
    assert held["E"] == ["status is blocked"] and "unknown id" in held["F"][0]
    assert held["D"] == [] and rep["max_parallel"] == 3


def test_weight_auto_prefers_hours_then_tokens_then_count():
    assert estimates.choose_unit([task("A", hours=1), task("B", tokens=5)], "auto") == "hours"
    assert estimates.choose_unit([task("A", tokens=5), task("B")], "auto") == "tokens"
    assert estimates.choose_unit([task("A"), task("B")], "auto") == "count"
    w = estimates.weigh([task("A", tokens=100), task("B", tokens=300), task("C")], "tokens")
    assert w.values == {"A": 100, "B": 300, "C": 200} and w.imputed == ["C"]


@st.composite
def backlogs(draw):
    n = draw(st.integers(1, 12))
    statuses = ["pending", "in_progress", "blocked", "completed", "cancelled", "deferred",
                "completed_unverified"]
    tasks = []
    for i in range(n):
        deps = [f"T{j}" for j in range(i) if draw(st.booleans())]
        if draw(st.integers(0, 9)) == 0:
            deps.append("MISSING")
        tasks.append(task(f"T{i}", status=draw(st.sampled_from(statuses)), deps=deps,
                          hours=draw(st.one_of(st.none(), st.integers(0, 8))),
                          priority=draw(st.one_of(st.none(), st.integers(0, 4)))))
    return backlog(*tasks)


@settings(max_examples=150, deadline=None)
@given(backlogs())
def test_next_only_returns_tasks_whose_dependencies_are_all_done(bl):
    rep = plan.next_report(bl, "auto")
    for t in rep["tasks"]:
        task_ = bl.tasks[t["id"]]
        assert task_.status in plan.PLANNED and task_.status != "blocked"
        assert all(d in bl.tasks and bl.tasks[d].status in DONE for d in task_.depends_on)
    # in-progress (or claimed) work is listed apart, never as free work
    assert not {t["id"] for t in rep["tasks"]} & {t["id"] for t in rep["held"]}
    assert all(bl.tasks[t["id"]].status != "in_progress" for t in rep["tasks"])
    listed = ({t["id"] for t in rep["tasks"]} | {t["id"] for t in rep["not_listed"]}
              | {t["id"] for t in rep["held"]})
    assert listed == {t.id for t in bl.tasks.values() if t.status not in DONE}
    keys = [(not t["critical"], int(t["priority"][1:]) if t["priority"] != "-" else 99,
             -t["unblocks"], natural_key(t["id"])) for t in rep["tasks"]]
    assert keys == sorted(keys)


@given(st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_median_is_statistics_median(values):
    """estimates' own median (statistics is not imported: start-up) gives the same numbers."""
    import statistics

    assert estimates._median(values) == statistics.median(values)


def test_ties_are_broken_in_natural_id_order():
    bl = backlog(task("T10"), task("T2"), task("t1"), task("T1", deps=["T0"]),
                 task("T0", status="completed"))
    ranked = plan.rank(bl, cpm.schedule(bl, "count"))
    assert [r.task.id for r in ranked] == ["T1", "t1", "T2", "T10"]
    assert [r.reason.split(";")[0] for r in ranked[1:]] == [
        "after T1: tie, id order", "after t1: tie, id order", "after T2: tie, id order"]


def test_cycle_members_are_never_next_and_say_why():
    bl = backlog(task("A", deps=["B"]), task("B", deps=["A"]), task("C", deps=["A"]),
                 task("D"), task("E", deps=["D"]))
    rep = plan.next_report(bl, "count")
    assert [t["id"] for t in rep["tasks"]] == ["D"]
    assert rep["tasks"][0]["unblocks_count"] == 1
    assert {x["id"]: x["reason"] for x in rep["not_listed"]} == {
        "A": "on a dependency cycle; waits on B (pending)",
        "B": "on a dependency cycle; waits on A (pending)",
        "C": "waits on A (pending)", "E": "waits on D (pending)"}


@st.composite
def weighted_dags(draw):
    n = draw(st.integers(1, 14))
    names = draw(st.permutations([f"T{i}" for i in range(n)]))  # ids hide the order
    weights = [0, 0.1, 0.25, 0.3, 0.5, 1, 1.5, 2, 8, 12000, 0.001, 3.333]
    tasks = [task(names[i], deps=[names[j] for j in range(i) if draw(st.booleans())],
                  hours=draw(st.sampled_from(weights))) for i in range(n)]
    return backlog(*tasks)


def brute_unblocks(bl, weights, tid):
    """Every task that transitively depends on `tid`, summed as the planner sums: each
    weight to 1/1000 of a unit."""
    found, todo = set(), [tid]
    while todo:
        v = todo.pop()
        for t in bl.tasks.values():
            if v in t.depends_on and t.id not in found and t.id in weights:
                found.add(t.id)
                todo.append(t.id)
    return sum(round(weights[x] * 1000) for x in found) / 1000, len(found)


@settings(max_examples=200, deadline=None)
@given(weighted_dags())
def test_unblocked_work_is_the_weight_of_all_dependents_counted_once(bl):
    sched = cpm.schedule(bl, "hours")
    w = {tid: t.weight for tid, t in sched.tasks.items()}
    every = list(bl.tasks) + ["NOT-A-TASK"]
    expected = {tid: brute_unblocks(bl, w, tid) if tid in w else (0.0, 0) for tid in every}
    assert plan.unblocked_work(bl, w, every) == expected
    assert plan.descendant_work(sched.order, sched.dependents, w, every) == expected
    for r in plan.rank(bl, sched):
        assert (r.unblocks, r.unblocks_count) == expected[r.task.id]


def test_unblocked_work_counts_a_whole_cycle_for_every_task_upstream_of_it():
    """S1 and S2 both lead into the cycle A <-> B: each unblocks both members (a walk
    memoised across ids once gave S2 only one)."""
    bl = backlog(task("S1"), task("S2"), task("A", deps=["S1", "B"]), task("B", deps=["S2", "A"]))
    rep = plan.next_report(bl, "count")
    assert {t["id"]: t["unblocks_count"] for t in rep["tasks"]} == {"S1": 2, "S2": 2}


@st.composite
def weighted_graphs(draw):
    """Any dependencies, cycles included."""
    n = draw(st.integers(1, 10))
    names = [f"T{i}" for i in range(n)]
    return backlog(*[task(names[i], deps=[names[j] for j in range(n) if j != i and
                                          draw(st.integers(0, 3)) == 0],
                          hours=draw(st.sampled_from([0, 0.5, 1, 2, 3.333])))
                     for i in range(n)])


@settings(max_examples=200, deadline=None)
@given(weighted_graphs())
def test_unblocked_work_with_cycles_is_every_dependent_counted_once(bl):
    sched = cpm.schedule(bl, "hours")
    w = {tid: t.weight for tid, t in sched.tasks.items()}
    w.update({tid: 0.0 for tid in bl.tasks if tid not in w})  # cycle members, as `rank` does
    expected = {}
    for tid in bl.tasks:
        found, todo = set(), [tid]
        while todo:
            v = todo.pop()
            for t in bl.tasks.values():
                if v in t.depends_on and t.id not in found:
                    found.add(t.id)
                    todo.append(t.id)
        found.discard(tid)  # on a cycle it reaches itself: not its own dependent
        expected[tid] = (sum(round(w[x] * 1000) for x in found) / 1000, len(found))
    assert plan.unblocked_work(bl, w, list(bl.tasks)) == expected


@settings(max_examples=200, deadline=None)
@given(backlogs())
def test_waves_match_networkx_topological_generations(bl):
    import networkx as nx

    sched = cpm.schedule(bl, "count")
    g = nx.DiGraph()
    g.add_nodes_from(sched.tasks)
    g.add_edges_from((d, tid) for tid in sched.tasks for d in bl.tasks[tid].depends_on
                     if d in sched.tasks and d != tid)
    rep = plan.waves(bl, "count")
    assert [[t["id"] for t in w["tasks"]] for w in rep["waves"]] == [
        sorted(layer, key=natural_key) for layer in nx.topological_generations(g)]
