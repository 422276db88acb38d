"""What to do next: actionable tasks, their ranking and the reasons, parallel waves.

Semantics (docs/planning.md):
- remaining work (`PLANNED`): pending, in_progress, blocked and completed_unverified (imported as
  done but never proven; it stays remaining work, shown distinctly, and does not satisfy
  dependents). Completed and cancelled are done; deferred is parked (never scheduled).
- a task is actionable when it is remaining, not `blocked`, and every dependency is done
  (completed or cancelled). A dependency on an unknown id blocks it: nothing proves that work
  happened, so starting on top of it would be a guess.
- rank: critical (zero slack) first, then priority (P0 first, none last), then remaining work it
  unblocks transitively (by weight, most first), then id.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from taskctl.core.files import claims
from taskctl.core.model import Backlog, Task
from taskctl.core.order import by_id, generations, natural, natural_key, topological_order
from taskctl.core.plan import cpm, estimates
from taskctl.core.status import DONE, PARKED, PLANNED, TaskStatus


@dataclass
class Ranked:
    task: Task
    slack: float
    unblocks: float  # remaining work (weight) that transitively waits on this task
    unblocks_count: int
    reason: str = ""
    isolated: bool = False  # see cpm.Times.isolated

    @property
    def critical(self) -> bool:
        return self.slack <= cpm.EPS and not self.isolated

    def key(self) -> tuple:
        p = self.task.priority if self.task.priority is not None else 99
        return (0 if self.critical else 1, p, -self.unblocks, natural_key(self.task.id))


def blockers(bl: Backlog, t: Task, cycle_ids: set[str] | frozenset = frozenset()) -> list[str]:
    """Why `t` is not actionable (empty list: it is)."""
    status, tasks = t.status, bl.tasks  # called for every task of a plan
    if status in DONE:
        return [f"{status}"]
    if status in PARKED:
        return ["deferred (parked; not scheduled until its status changes)"]
    out = []
    if status == TaskStatus.BLOCKED:
        out.append("status is blocked")
    if t.id in cycle_ids:
        out.append("on a dependency cycle")
    for dep in t.depends_on:
        other = tasks.get(dep)
        if dep == t.id:
            continue  # reported by validate; not a blocker of its own
        if other is None:
            why = ("a deferred task with no entry yet" if dep in bl.deferred
                   else "an unknown id, so nothing proves that work is done")
            out.append(f"depends on {dep}, {why}")
        elif other.status not in DONE:
            unverified = other.status == TaskStatus.COMPLETED_UNVERIFIED
            note = " (completed but unverified)" if unverified else ""
            out.append(f"waits on {dep} ({other.status}{note})")
    return out


def blocked(bl: Backlog, cycle_ids: set[str] | frozenset = frozenset()) -> dict[str, list[str]]:
    """`blockers` of every task that is not done, in id order: worked out once per plan and
    shared by the ranking (an empty list: actionable) and `not_listed`."""
    return {tid: blockers(bl, t, cycle_ids) for tid, t in by_id(bl.tasks) if t.status not in DONE}


def actionable(bl: Backlog, why: dict[str, list[str]] | None = None) -> list[Task]:
    """Remaining tasks that can be worked on now (unranked, id order); `why`: `blocked(bl)`
    when the caller has it."""
    if why is None:
        why = blocked(bl)
    return [t for tid, w in why.items() if not w and (t := bl.tasks[tid]).status in PLANNED]


def unblocked_work(bl: Backlog, weights: dict[str, float], ids: list[str]):
    """For each id: (weight, count) of remaining tasks (the keys of `weights`) that
    transitively depend on it. `rank` passes the schedule's graph to `descendant_work`
    directly; this builds it (and condenses it when it has a cycle)."""
    planned = sorted(weights)
    children: dict[str, list[str]] = {tid: [] for tid in planned}
    for tid in planned:
        for d in bl.tasks[tid].depends_on:
            if d in children and d != tid:
                children[d].append(tid)
    order = topological_order(children)
    if len(order) == len(planned):
        return descendant_work(order, children, weights, ids)
    return _descendant_work_cyclic(planned, children, weights, ids)


def _descendant_work_cyclic(planned: list[str], children: dict[str, list[str]],
                            weights: dict[str, float], ids: list[str]) -> dict:
    """`descendant_work` for a graph with cycles: on its condensation (each strongly connected
    group one node, networkx, as the cycles are named with it anyway), every member of a
    group reaches the whole group and everything below it."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(planned)
    g.add_edges_from((d, c) for d in planned for c in children[d])
    dag = nx.condensation(g)
    group = dag.graph["mapping"]  # task -> its group
    index = {tid: i for i, tid in enumerate(planned)}
    closure: dict[int, int] = {}  # a group's members' bits and everything below them
    for n in reversed(list(nx.topological_sort(dag))):
        bits = 0
        for tid in dag.nodes[n]["members"]:
            bits |= 1 << index[tid]
        for m in dag.successors(n):
            bits |= closure[m]
        closure[n] = bits
    reach = {tid: closure[group[tid]] for tid in ids if tid in group}
    return _totals(ids, index, reach, _bit_planes(planned, weights))


def descendant_work(order: list[str], dependents: dict[str, list[str]],
                    weights: dict[str, float], ids: list[str]) -> dict[str, tuple[float, int]]:
    """For each id: (weight, count) of the tasks that transitively depend on it, in an acyclic
    graph given as its nodes in topological `order` and each node's `dependents`.

    Each task's dependents form a Python-int bitset, the union of its direct dependents' sets,
    which reverse topological order has complete when it gets to the task: a few big-int
    operations per task instead of one graph walk per task.
    """
    backwards = order[::-1]
    index = {tid: i for i, tid in enumerate(backwards)}  # dependents get the lower bits
    closure: dict[str, int] = {}  # a task's own bit and its dependents'
    for v in backwards:
        bits = 1 << index[v]
        for c in dependents[v]:
            bits |= closure[c]
        closure[v] = bits
    return _totals(ids, index, closure, _bit_planes(backwards, weights))


def _totals(ids: list[str], index: dict[str, int], reach: dict[str, int],
            planes: list[tuple[int, int]]) -> dict[str, tuple[float, int]]:
    """(weight, count) per id of the tasks in its `reach` bitset, itself left out; (0, 0) for
    an id that is not remaining work."""
    out = {}
    for tid in ids:
        if tid not in index:
            out[tid] = (0.0, 0)
            continue
        below = reach[tid] & ~(1 << index[tid])  # not itself
        out[tid] = (_sum_bits(below, planes), below.bit_count())
    return out


SCALE = 1000  # weights summed exactly to 1/1000 of a unit


def _bit_planes(planned: list[str], weights: dict[str, float]) -> list[tuple[int, int]]:
    """(multiplier, mask of the tasks whose weight has that bit): a weighted popcount in a few
    big-int operations per task, instead of one Python step per descendant. Weights count in
    their greatest common step (0.5 h steps up to 8 h: 5 planes instead of 13)."""
    scaled = [round(weights[tid] * SCALE) for tid in planned]
    step = math.gcd(*scaled) or 1
    values = sorted({v // step for v in scaled})
    # one character per task, naming its weight, the last task first (int(..., 2) reads the
    # most significant digit first); a plane is that string translated to 0/1 digits
    letter = {v * step: chr(i) for i, v in enumerate(values)}
    text = "".join(map(letter.__getitem__, reversed(scaled)))
    planes = []
    for j in range(max(values, default=0).bit_length()):
        digit = {i: "1" if v >> j & 1 else "0" for i, v in enumerate(values)}
        planes.append((step << j, int(text.translate(digit), 2)))
    return planes


def _sum_bits(b: int, planes: list[tuple[int, int]]) -> float:
    return sum(p * (b & m).bit_count() for p, m in planes) / SCALE


def cycle_members(sched: cpm.Schedule) -> set[str]:
    return {tid for c in sched.cycles for tid in c}


def rank(bl: Backlog, sched: cpm.Schedule,
         why: dict[str, list[str]] | None = None) -> list[Ranked]:
    """Actionable tasks, best first, each with the reason for its place (`why`: `blocked`,
    when the caller has it)."""
    if why is None:
        why = blocked(bl, cycle_members(sched))
    ready = actionable(bl, why)
    ids = [t.id for t in ready]
    weights = {tid: t.weight for tid, t in sched.tasks.items()}
    if sched.cycles:  # cycle members are unscheduled but still remaining work
        for t in bl.tasks.values():
            if t.status in PLANNED and t.id not in weights:
                weights[t.id] = 0.0
        work = unblocked_work(bl, weights, ids)
    else:
        work = descendant_work(sched.order, sched.dependents, weights, ids)
    ranked = []
    for t in ready:
        times = sched.tasks.get(t.id)
        w, n = work[t.id]
        ranked.append(Ranked(t, times.slack if times else float("inf"), w, n,
                             isolated=bool(times and times.isolated)))
    ranked.sort(key=Ranked.key)
    for i, r in enumerate(ranked):
        r.reason = _reason(r, ranked[i - 1] if i else None, sched.weight)
    return ranked


def _reason(r: Ranked, prev: Ranked | None, unit: str) -> str:
    f = estimates.fmt
    parts = ["on the critical path (slack 0)" if r.critical
             else "linked to no other remaining task" if r.isolated
             else f"slack {f(r.slack, unit)}", f"priority {r.task.priority_label}",
             f"unblocks {f(r.unblocks, unit)} in {r.unblocks_count} task(s)"]
    if r.task.status == TaskStatus.IN_PROGRESS:
        parts.append("already in progress")
    elif r.task.status == TaskStatus.COMPLETED_UNVERIFIED:
        parts.append("marked completed but unverified: prove it")
    why = "; ".join(parts)
    if prev is None:
        return f"first: {why}"
    a, b = prev.key(), r.key()
    if a[0] != b[0]:
        decided = f"after {prev.task.id}: not on the critical path"
    elif a[1] != b[1]:
        decided = (f"after {prev.task.id}: lower priority ({r.task.priority_label} vs "
                   f"{prev.task.priority_label})")
    elif a[2] != b[2]:
        decided = (f"after {prev.task.id}: unblocks less ({f(r.unblocks, unit)} vs "
                   f"{f(prev.unblocks, unit)})")
    else:
        decided = f"after {prev.task.id}: tie, id order"
    return f"{decided}; {why}"


def not_listed(bl: Backlog, sched: cpm.Schedule,
               why: dict[str, list[str]] | None = None) -> list[dict]:
    """Remaining or parked tasks that `next` does not list, with why."""
    if why is None:
        why = blocked(bl, cycle_members(sched))
    return [{"id": tid, "status": bl.tasks[tid].status, "reason": "; ".join(w)}
            for tid, w in why.items() if w]


def held(t: Task, claim: claims.Claim | None) -> bool:
    """Somebody works on it: a claim file (live or not: expired ones are taken over only by
    `next --claim`), or in progress without one. Never offered as free work."""
    return claim is not None or t.status == TaskStatus.IN_PROGRESS


def next_report(bl: Backlog, weight: str = "auto") -> dict:
    """Everything `taskctl next` shows, as a JSON-ready dict (cached by the CLI). `tasks` is
    free work; `held` is actionable work somebody holds (claimed or in progress), with the
    claim as recorded (lease state is judged when shown: it changes with the clock)."""
    sched = cpm.schedule(bl, weight)
    why = blocked(bl, cycle_members(sched))
    ranked = rank(bl, sched, why)
    on_file = claims.read_all(bl.root)
    tasks, held_rows = [], []
    for r in ranked:
        row = {"id": r.task.id, "title": r.task.title, "priority": r.task.priority_label,
               "status": r.task.status, "slack": cpm.num(r.slack), "critical": r.critical,
               "unblocks": cpm.num(r.unblocks), "unblocks_count": r.unblocks_count,
               "weight": cpm.num(sched.tasks[r.task.id].weight), "reason": r.reason}
        c = on_file.get(r.task.id)
        if held(r.task, c):
            row["claim"] = dataclasses.asdict(c) if c else None
            held_rows.append(row)
        else:
            tasks.append(row)
    return {"weight": sched.weight, "total": cpm.num(sched.total), "tasks": tasks,
            "held": held_rows, "not_listed": not_listed(bl, sched, why),
            "warnings": sched.warnings}


def waves(bl: Backlog, weight: str = "auto") -> dict:
    """Remaining work as topological generations: wave k needs only waves before it."""
    sched = cpm.schedule(bl, weight)
    cycle_ids = cycle_members(sched)
    out = []
    for i, gen in enumerate(generations(sched.dependents), 1):
        items = []
        for tid in natural(gen):
            t = bl.tasks[tid]
            why = blockers(bl, t, cycle_ids)
            # only blockers outside the plan matter here: earlier waves settle the rest
            outside = [w for w in why if not w.startswith("waits on ") or
                       w.split()[2] not in sched.tasks]
            items.append({"id": tid, "title": t.title, "status": t.status,
                          "priority": t.priority_label, "weight": cpm.num(sched.tasks[tid].weight),
                          "critical": sched.tasks[tid].critical, "held_by": outside})
        out.append({"wave": i, "tasks": items,
                    "weight": cpm.num(max(x["weight"] for x in items))})
    return {"weight": sched.weight, "total": cpm.num(sched.total), "waves": out,
            "max_parallel": max((len(w["tasks"]) for w in out), default=0),
            "cycles": sched.cycles, "warnings": sched.warnings}
