"""Critical path method over the remaining work.

Nodes are the remaining tasks (see `status.PLANNED`), weighted by `estimates.weigh`; edges are the
dependencies between two remaining tasks. A dependency on a finished task costs nothing; one on
a task outside the remaining work (deferred, missing) adds no time here (it makes the task
non-actionable instead, see `plan`). Tasks on a dependency cycle cannot be scheduled: they are
reported in `Schedule.cycles` and left out, and the rest is planned as if they did not exist.
"""

from __future__ import annotations

import functools
from collections import namedtuple

from taskctl.core.model import Backlog, Task
from taskctl.core.order import in_degrees, natural, natural_key
from taskctl.core.plan import estimates
from taskctl.core.records import field, record
from taskctl.core.status import PLANNED

EPS = 1e-9  # float tolerance: estimates like 1.5 + 0.1 must not produce slack 1e-16


@record(slots=True)
class Times:
    earliest_start: float
    earliest_finish: float
    latest_start: float
    latest_finish: float
    slack: float
    weight: float
    # counted by task (no estimates) and linked to no other remaining task: zero slack says
    # nothing then (every task of a flat list has it), so it is not flagged critical
    isolated: bool = False

    @property
    def critical(self) -> bool:
        return self.slack <= EPS and not self.isolated


@record(slots=True)
class Timing:
    """The two passes' numbers, one plain dict per quantity keyed by task id: `next` and
    `ready` read a few of them per task, so no `Times` object is made per task for them
    (`Schedule.tasks` makes those when asked)."""

    es: dict[str, float]  # earliest start of every scheduled task
    ef: dict[str, float]
    ls: dict[str, float]
    lf: dict[str, float]
    weights: dict[str, float]  # every remaining task's weight, cycle members included
    isolated: set[str]  # see Times.isolated (empty unless counted by task)

    def __contains__(self, v: str) -> bool:
        """Is `v` scheduled (remaining work, not on a cycle)?"""
        return v in self.es

    def slack(self, v: str) -> float:
        """Latest start minus earliest start of `v` (0 within EPS)."""
        s = self.ls[v] - self.es[v]
        return 0.0 if s <= EPS else s

    def critical(self, v: str) -> bool:
        """On the critical path: no slack, and linked to some other remaining task."""
        return self.ls[v] - self.es[v] <= EPS and v not in self.isolated

    def times(self, v: str) -> Times:
        """`v`'s numbers as one `Times` record (made only when a caller lists tasks)."""
        return Times(self.es[v], self.ef[v], self.ls[v], self.lf[v], self.slack(v),
                     self.weights[v], v in self.isolated)


@record
class Schedule:
    weight: str  # the unit: hours | tokens | count
    total: float  # length of the critical path (project duration with unlimited parallelism)
    path: list[str]  # the critical chain, first task first
    timing: Timing = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    imputed: list[str] = field(default_factory=list)  # tasks weighed by the median
    cycles: list[list[str]] = field(default_factory=list)  # left out of the schedule
    remaining: list[Task] = field(default_factory=list, repr=False)  # the tasks planned on
    # the graph planned on (cycles left out), for `ranking`: tasks in topological order, and
    # each task's dependents among them
    order: list[str] = field(default_factory=list, repr=False)
    dependents: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _ids: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    _tasks: dict[str, Times] | None = field(default=None, init=False, repr=False, compare=False)

    def ids(self) -> list[str]:
        """The scheduled tasks in start order, ties by id (as `tasks` and `to_dict` list them):
        a stable sort by start of the ids in natural order (the weights are in the backlog's
        order, usually id order already: one pass)."""
        if self._ids is None:
            es = self.timing.es
            self._ids = sorted([v for v in natural(self.timing.weights) if v in es],
                               key=es.__getitem__)
        return self._ids

    @property
    def statuses(self) -> dict[str, str]:
        """id -> status of every remaining task (shown beside the times; made when asked:
        only `critical-path` shows them)."""
        return {t.id: t.status for t in self.remaining}

    @property
    def tasks(self) -> dict[str, Times]:
        """Every scheduled task's times, in start order (made on first use)."""
        if self._tasks is None:
            self._tasks = {v: self.timing.times(v) for v in self.ids()}
        return self._tasks

    def to_dict(self) -> dict:
        return {"weight": self.weight, "total": num(self.total), "path": self.path,
                "tasks": self._rows(), "cycles": self.cycles, "imputed": self.imputed,
                "warnings": self.warnings}

    def _rows(self) -> list[dict]:
        """`to_dict`'s tasks: `Timing.slack` and `Timing.critical` worked out inline (two calls
        per task were a fifth of the time on 10,000 tasks)."""
        n = functools.cache(num)  # a few hundred sums recur across thousands of tasks
        tm, status = self.timing, self.statuses
        es, ef, ls, lf, weights, isolated = tm.es, tm.ef, tm.ls, tm.lf, tm.weights, tm.isolated
        rows = []
        for v in self.ids():
            slack = ls[v] - es[v]
            rows.append({"id": v, "status": status.get(v),
                         "earliest_start": n(es[v]), "earliest_finish": n(ef[v]),
                         "latest_start": n(ls[v]), "latest_finish": n(lf[v]),
                         "slack": n(0.0 if slack <= EPS else slack), "weight": n(weights[v]),
                         "critical": slack <= EPS and v not in isolated})
        return rows


def num(v: float) -> float:
    """A JSON-friendly number: rounded, and an int when whole."""
    if isinstance(v, float) and v.is_integer():  # the usual case; round() is the slow part
        return int(v)
    v = round(v, 6)
    return int(v) if v == int(v) else v


# The result of `compute`: the critical path and every scheduled task's timing — its length
# (`total`, float), the critical chain first task first (`path`), the `timing` (Timing), the
# `cycles` left out of the rest, the nodes planned in topological `order`, and their
# successors among them (`succ`). A plain named tuple: typing's costs ~4 ms of a read.
Cpm = namedtuple("Cpm", "total path timing cycles order succ")


def successors(tasks: list[Task], weights: dict[str, float]) -> dict[str, list[str]]:
    """Each of `tasks`' dependents among them (the nodes are `weights`' keys, `tasks`' ids),
    in the tasks' order; a self-dependency is no edge. A repeated edge is harmless: every pass
    of `compute` treats it as one."""
    succ: dict[str, list[str]] = {v: [] for v in weights}
    for t in tasks:
        if deps := t.depends_on:  # a tenth of a generated backlog has none
            tid = t.id
            for d in deps:
                if d in succ and d != tid:
                    succ[d].append(tid)
    return succ


def compute(weights: dict[str, float], succ: dict[str, list[str]], counted: bool = False) -> Cpm:
    """CPM on a graph: `succ` gives each node of `weights` its successors.

    Nodes on cycles are dropped (returned in `cycles`).
    `counted` (weights are task counts, not estimates): isolated nodes are never critical.
    The usual acyclic case needs one Kahn pass (`_forward`); only when it leaves nodes out is
    networkx imported, to name the cycles.
    """
    order, es, ef = _forward(succ, weights)
    cycles: list[list[str]] = []
    if len(order) < len(weights):  # rare: only then pay for strongly connected components
        cycles = _cycles(succ)
        gone = {v for c in cycles for v in c}
        succ = {v: [b for b in succ[v] if b not in gone] for v in weights if v not in gone}
        order, es, ef = _forward(succ, weights)
    total = max(ef.values(), default=0.0)
    ls, lf = _backward(order, succ, weights, total)
    tm = Timing(es, ef, ls, lf, weights, _isolated(order, succ) if counted else set())
    return Cpm(total, _chain(succ, order, tm), tm, sorted(cycles), order, succ)


def _forward(succ: dict[str, list[str]], weights: dict[str, float]):
    """(topological order, earliest start, earliest finish) of the nodes of `succ`.

    `order.topological_order` (Kahn's algorithm, the same order: a test checks) with the
    forward pass folded into its walk over the edges: a task starts when its last predecessor
    has finished; in topological order all of them come first, so each finish is pushed on to
    the successors. Nodes on a cycle, and after one, are missing from the order (and their
    starts are partial: `compute` plans again without the cycles)."""
    waiting = in_degrees(succ)  # predecessors not placed yet
    order = [v for v, n in waiting.items() if n == 0]
    es = dict.fromkeys(succ, 0.0)
    ef: dict[str, float] = {}
    for v in order:  # the list grows while it is read: each node is placed once
        ef[v] = finish = es[v] + weights[v]
        for s in succ[v]:
            if finish > es[s]:
                es[s] = finish
            waiting[s] -= 1
            if waiting[s] == 0:
                order.append(s)
    return order, es, ef


def _backward(order: list[str], succ: dict[str, list[str]], weights: dict[str, float],
              total: float):
    """Latest start and finish, in reverse order: a task must finish when its first successor
    has to start."""
    lf: dict[str, float] = {}
    ls: dict[str, float] = {}
    for v in reversed(order):
        finish = total
        for s in succ[v]:
            if ls[s] < finish:
                finish = ls[s]
        lf[v] = finish
        ls[v] = finish - weights[v]
    return ls, lf


def _isolated(order: list[str], succ: dict[str, list[str]]) -> set[str]:
    """Nodes with neither a predecessor nor a successor."""
    has_pred = {b for v in order for b in succ[v]}
    return {v for v in order if not succ[v] and v not in has_pred}


def _cycles(succ: dict[str, list[str]]) -> list[list[str]]:
    """The dependency cycles (strongly connected components of more than one node), each in
    natural id order."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(succ)
    g.add_edges_from((a, b) for a in succ for b in succ[a])
    return [natural(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def _chain(succ: dict[str, list[str]], order: list[str], tm: Timing) -> list[str]:
    """Follow zero-slack tasks whose start is the previous one's finish, from time 0 to `total`.

    With slack defined by the backward pass such a chain always exists and is a longest path.
    """
    es, ef = tm.es, tm.ef
    starts = [v for v in order if es[v] <= EPS and tm.critical(v)]
    if not starts:
        return []

    def best(ids: list[str]) -> str:  # the one doing real work first (zero weight is valid)
        return min(ids, key=lambda x: (-tm.weights[x], natural_key(x)))

    v = best(starts)
    path = [v]
    while nxt := [s for s in succ[v] if tm.critical(s) and abs(es[s] - ef[v]) <= EPS]:
        v = best(nxt)
        path.append(v)
    return path


def schedule(bl: Backlog, weight: str = "auto") -> Schedule:
    """CPM schedule of `bl`'s remaining work, weighed by `weight` (auto|hours|tokens|count)."""
    remaining = [t for t in bl.tasks.values() if t.status in PLANNED]
    w = estimates.weigh(remaining, weight)
    r = compute(w.values, successors(remaining, w.values), w.unit == "count")
    warnings = [m] if (m := w.warning()) else []
    for c in r.cycles:
        warnings.append(f"dependency cycle among {', '.join(c)}: left out of the schedule "
                        "(remove one dependency edge)")
    return Schedule(w.unit, r.total, r.path, r.timing, warnings, w.imputed, r.cycles,
                    remaining, r.order, r.succ)
