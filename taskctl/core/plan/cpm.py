"""Critical path method over the remaining work.

Nodes are the remaining tasks (see `status.PLANNED`), weighted by `estimates.weigh`; edges are the
dependencies between two remaining tasks. A dependency on a finished task costs nothing; one on
a task outside the remaining work (deferred, missing) adds no time here (it makes the task
non-actionable instead, see `plan`). Tasks on a dependency cycle cannot be scheduled: they are
reported in `Schedule.cycles` and left out, and the rest is planned as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from taskctl.core.model import Backlog
from taskctl.core.order import natural_key
from taskctl.core.plan import estimates
from taskctl.core.status import PLANNED

EPS = 1e-9  # float tolerance: estimates like 1.5 + 0.1 must not produce slack 1e-16


@dataclass
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

    def to_dict(self) -> dict:
        return {"weight": self.weight, "total": num(self.total), "path": self.path,
                "tasks": [{"id": tid, "status": self.statuses.get(tid),
                           **{k: num(v) for k, v in asdict(t).items() if k != "isolated"},
                           "critical": t.critical}
                          for tid, t in self.tasks.items()],
                "cycles": self.cycles, "imputed": self.imputed, "warnings": self.warnings}


def num(v: float) -> float:
    """A JSON-friendly number: rounded, and an int when whole."""
    v = round(v, 6)
    return int(v) if v == int(v) else v


def compute(weights: dict[str, float], edges: Iterable[tuple[str, str]],
            counted: bool = False):
    """CPM on a graph: `edges` are (before, after). Returns (total, path, times, cycles).

    Nodes on cycles are dropped (returned in `cycles`); times are keyed by earliest start, id.
    `counted` (weights are task counts, not estimates): isolated nodes are never critical.
    The usual acyclic case sorts with stdlib `graphlib` (importing networkx costs more than a
    one-task write takes); networkx names the cycles when there are some.
    """
    import graphlib

    nodes = sorted(weights, key=natural_key)
    succ: dict[str, dict[str, None]] = {v: {} for v in nodes}
    pred: dict[str, dict[str, None]] = {v: {} for v in nodes}
    for a, b in edges:
        if a in weights and b in weights and a != b:
            succ[a][b] = None
            pred[b][a] = None
    try:
        order = list(graphlib.TopologicalSorter({v: list(pred[v]) for v in nodes})
                     .static_order())
        cycles: list[list[str]] = []
    except graphlib.CycleError:  # rare: only then pay for strongly connected components
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(nodes)
        g.add_edges_from((a, b) for a in nodes for b in succ[a])
        cycles = [sorted(c, key=natural_key) for c in nx.strongly_connected_components(g)
                  if len(c) > 1]
        for c in cycles:
            g.remove_nodes_from(c)
        order = list(nx.topological_sort(g))
        gone = {v for c in cycles for v in c}
        succ = {v: {b: None for b in succ[v] if b not in gone} for v in order}
        pred = {v: {a: None for a in pred[v] if a not in gone} for v in order}
    isolated = {v for v in order if not succ[v] and not pred[v]}
    es: dict[str, float] = {}
    ef: dict[str, float] = {}
    for v in order:
        es[v] = max((ef[u] for u in pred[v]), default=0.0)
        ef[v] = es[v] + weights[v]
    total = max(ef.values(), default=0.0)
    lf: dict[str, float] = {}
    ls: dict[str, float] = {}
    for v in reversed(order):
        lf[v] = min((ls[s] for s in succ[v]), default=total)
        ls[v] = lf[v] - weights[v]
    times = {}
    for v in sorted(order, key=lambda v: (es[v], natural_key(v))):  # shown in start order
        slack = ls[v] - es[v]
        times[v] = Times(es[v], ef[v], ls[v], lf[v], 0.0 if slack <= EPS else slack, weights[v],
                         counted and v in isolated)
    return total, _chain(succ, order, times), times, sorted(cycles)


def _chain(succ: dict[str, dict], order: list[str], times: dict[str, Times]) -> list[str]:
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
    edges = [(d, t.id) for t in remaining for d in t.depends_on]
    total, path, times, cycles = compute(w.values, edges, w.unit == "count")
    warnings = [m] if (m := w.warning()) else []
    for c in cycles:
        warnings.append(f"dependency cycle among {', '.join(c)}: left out of the schedule "
                        "(remove one dependency edge)")
    return Schedule(w.unit, total, path, times, warnings, w.imputed, cycles,
                    {t.id: t.status for t in remaining})
