"""Critical path method over the remaining work.

Nodes are the remaining tasks (see `status.PLANNED`), weighted by `estimates.weigh`; edges are the
dependencies between two remaining tasks. A dependency on a finished task costs nothing; one on
a task outside the remaining work (deferred, missing) adds no time here (it makes the task
non-actionable instead, see `plan`). Tasks on a dependency cycle cannot be scheduled: they are
reported in `Schedule.cycles` and left out, and the rest is planned as if they did not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from taskctl.core.model import Backlog
from taskctl.core.order import natural, natural_key, topological_order
from taskctl.core.plan import estimates
from taskctl.core.status import PLANNED

EPS = 1e-9  # float tolerance: estimates like 1.5 + 0.1 must not produce slack 1e-16


@dataclass(slots=True)
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


@dataclass
class Schedule:
    weight: str  # the unit: hours | tokens | count
    total: float  # length of the critical path (project duration with unlimited parallelism)
    path: list[str]  # the critical chain, first task first
    tasks: dict[str, Times]
    warnings: list[str] = field(default_factory=list)
    imputed: list[str] = field(default_factory=list)  # tasks weighed by the median
    cycles: list[list[str]] = field(default_factory=list)  # left out of the schedule
    statuses: dict[str, str] = field(default_factory=dict)  # id -> status (shown beside times)
    # the graph planned on (cycles left out), for `ranking`: tasks in topological order, and
    # each task's dependents among them
    order: list[str] = field(default_factory=list, repr=False)
    dependents: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        n = functools.cache(num)  # a few hundred sums recur across thousands of tasks
        return {"weight": self.weight, "total": num(self.total), "path": self.path,
                "tasks": [{"id": tid, "status": self.statuses.get(tid),
                           "earliest_start": n(t.earliest_start),
                           "earliest_finish": n(t.earliest_finish),
                           "latest_start": n(t.latest_start),
                           "latest_finish": n(t.latest_finish),
                           "slack": n(t.slack), "weight": n(t.weight),
                           "critical": t.critical}
                          for tid, t in self.tasks.items()],
                "cycles": self.cycles, "imputed": self.imputed, "warnings": self.warnings}


def num(v: float) -> float:
    """A JSON-friendly number: rounded, and an int when whole."""
    if isinstance(v, float) and v.is_integer():  # the usual case; round() is the slow part
        return int(v)
    v = round(v, 6)
    return int(v) if v == int(v) else v


class Cpm(NamedTuple):
    total: float  # length of the critical path
    path: list[str]  # the critical chain, first task first
    times: dict[str, Times]  # keyed by earliest start, then id
    cycles: list[list[str]]  # left out of the rest
    order: list[str]  # the nodes planned, in topological order
    succ: dict[str, list[str]]  # their successors among them


def compute(weights: dict[str, float], edges: Iterable[tuple[str, str]],
            counted: bool = False) -> Cpm:
    """CPM on a graph: `edges` are (before, after).

    Nodes on cycles are dropped (returned in `cycles`).
    `counted` (weights are task counts, not estimates): isolated nodes are never critical.
    The usual acyclic case needs one Kahn pass (`order.topological_order`); only when it
    leaves nodes out is networkx imported, to name the cycles.
    """
    succ: dict[str, list[str]] = {v: [] for v in weights}
    for a, b in edges:  # a repeated edge is harmless: every pass below treats it as one
        if a in weights and b in weights and a != b:
            succ[a].append(b)
    order = topological_order(succ)
    cycles: list[list[str]] = []
    if len(order) < len(weights):  # rare: only then pay for strongly connected components
        cycles = _cycles(succ)
        gone = {v for c in cycles for v in c}
        succ = {v: [b for b in succ[v] if b not in gone] for v in weights if v not in gone}
        order = topological_order(succ)
    has_pred = {b for v in order for b in succ[v]}
    isolated = {v for v in order if not succ[v] and v not in has_pred}
    # forward pass: a task starts when its last predecessor has finished. In topological
    # order all of them come first, so each finish is pushed on to the successors.
    es = dict.fromkeys(order, 0.0)
    ef: dict[str, float] = {}
    for v in order:
        ef[v] = finish = es[v] + weights[v]
        for s in succ[v]:
            if finish > es[s]:
                es[s] = finish
    total = max(ef.values(), default=0.0)
    # backward pass, in reverse order: a task must finish when its first successor has to start
    lf: dict[str, float] = {}
    ls: dict[str, float] = {}
    for v in reversed(order):
        finish = total
        for s in succ[v]:
            if ls[s] < finish:
                finish = ls[s]
        lf[v] = finish
        ls[v] = finish - weights[v]
    times = {}
    # shown in start order, ties by id: a stable sort by start of the ids in natural order
    # (sorting `weights`, usually in id order already, costs one pass; `order` is not)
    for v in sorted([v for v in natural(weights) if v in es], key=es.__getitem__):
        slack = ls[v] - es[v]
        times[v] = Times(es[v], ef[v], ls[v], lf[v], 0.0 if slack <= EPS else slack, weights[v],
                         counted and v in isolated)
    return Cpm(total, _chain(succ, order, times), times, sorted(cycles), order, succ)


def _cycles(succ: dict[str, list[str]]) -> list[list[str]]:
    """The dependency cycles (strongly connected components of more than one node), each in
    natural id order."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(succ)
    g.add_edges_from((a, b) for a in succ for b in succ[a])
    return [natural(c) for c in nx.strongly_connected_components(g) if len(c) > 1]


def _chain(succ: dict[str, list[str]], order: list[str], times: dict[str, Times]) -> list[str]:
    """Follow zero-slack tasks whose start is the previous one's finish, from time 0 to `total`.

    With slack defined by the backward pass such a chain always exists and is a longest path.
    """
    starts = [v for v in order if times[v].critical and times[v].earliest_start <= EPS]
    if not starts:
        return []
    # prefer the chain that does real work first (a zero-weight start is still valid)
    v = min(starts, key=lambda x: (-times[x].weight, natural_key(x)))
    path = [v]
    while nxt := [s for s in succ[v] if _tight(times, v, s)]:
        v = min(nxt, key=lambda x: (-times[x].weight, natural_key(x)))
        path.append(v)
    return path


def _tight(times: dict[str, Times], u: str, v: str) -> bool:
    return times[v].critical and abs(times[v].earliest_start - times[u].earliest_finish) <= EPS


def schedule(bl: Backlog, weight: str = "auto") -> Schedule:
    """CPM schedule of `bl`'s remaining work, weighed by `weight` (auto|hours|tokens|count)."""
    remaining = [t for t in bl.tasks.values() if t.status in PLANNED]
    w = estimates.weigh(remaining, weight)
    edges = ((d, t.id) for t in remaining for d in t.depends_on)
    r = compute(w.values, edges, w.unit == "count")
    warnings = [m] if (m := w.warning()) else []
    for c in r.cycles:
        warnings.append(f"dependency cycle among {', '.join(c)}: left out of the schedule "
                        "(remove one dependency edge)")
    return Schedule(w.unit, r.total, r.path, r.times, warnings, w.imputed, r.cycles,
                    {t.id: t.status for t in remaining}, r.order, r.succ)
