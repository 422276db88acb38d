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

import functools
import math
from collections.abc import Container
from operator import itemgetter

from taskctl.core.files import claims
from taskctl.core.model import Backlog, Task
from taskctl.core.order import generations, natural, natural_key, topological_order
from taskctl.core.plan import cpm, estimates
from taskctl.core.records import asdict, record
from taskctl.core.status import DONE, PARKED, PLANNED, TaskStatus


@record
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
    return Blockers(bl, cycle_ids).of(t)


class Blockers:
    """`blockers` for many tasks of one backlog: a dependency's text ("waits on T12
    (pending)", ...) depends on the dependency alone, so it is made once, not once per
    dependent.

    `planned` (waves): leave out waiting on a task of the plan (on one of its ids: "waits
    on <id> ..."'s third word); earlier waves settle that, only blockers outside the plan
    matter in a wave."""

    def __init__(self, bl: Backlog, cycle_ids: set[str] | frozenset = frozenset(),
                 planned: Container[str] = ()):
        self.bl, self.cycle_ids, self.planned = bl, cycle_ids, planned
        self._texts: dict[str, str | None] = {}

    def of(self, t: Task) -> list[str]:
        """Why `t` is not actionable (empty list: it is)."""
        status = t.status
        if status in DONE:
            return [f"{status}"]
        if status in PARKED:
            return ["deferred (parked; not scheduled until its status changes)"]
        out = []
        if status == _BLOCKED:
            out.append("status is blocked")
        if t.id in self.cycle_ids:
            out.append("on a dependency cycle")
        texts = self._texts
        for dep in t.depends_on:
            if dep == t.id:
                continue  # reported by validate; not a blocker of its own
            text = texts[dep] if dep in texts else self._dependency(dep)
            if text is not None:
                out.append(text)
        return out

    def _dependency(self, dep: str) -> str | None:
        """Why depending on `dep` blocks a task (None: it does not: `dep` is done)."""
        other = self.bl.tasks.get(dep)
        if other is None:
            why = ("a deferred task with no entry yet" if dep in self.bl.deferred
                   else "an unknown id, so nothing proves that work is done")
            text = f"depends on {dep}, {why}"
        elif other.status not in DONE:
            note = " (completed but unverified)" if other.status == _UNVERIFIED else ""
            text = f"waits on {dep} ({other.status}{note})"
        else:
            text = None
        if text is not None and self.planned and _waits_on(text, self.planned):
            text = None
        self._texts[dep] = text
        return text


def _waits_on(text: str, planned: Container[str]) -> bool:
    """Does this blocker say it waits on a task of `planned`?"""
    return text.startswith("waits on ") and text.split()[2] in planned


# plain strs: `==` with an enum member, or reading one off its class, is a slow call
_BLOCKED = str(TaskStatus.BLOCKED)
_UNVERIFIED = str(TaskStatus.COMPLETED_UNVERIFIED)


def blocked(bl: Backlog, cycle_ids: set[str] | frozenset = frozenset()) -> dict[str, list[str]]:
    """`blockers` of every task that is not done, in id order: worked out once per plan and
    shared by the ranking (an empty list: actionable) and `not_listed`."""
    of, tasks = Blockers(bl, cycle_ids).of, bl.tasks
    return {tid: of(t) for tid in natural(tasks) if (t := tasks[tid]).status not in DONE}


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
    return _totals(ids, reach, _bit_planes(planned, weights), weights)


def descendant_work(order: list[str], dependents: dict[str, list[str]],
                    weights: dict[str, float], ids: list[str]) -> dict[str, tuple[float, int]]:
    """For each id: (weight, count) of the tasks that transitively depend on it, in an acyclic
    graph given as its nodes in topological `order` and each node's `dependents`.

    Each task's dependents form a Python-int bitset, the union of its direct dependents' sets,
    which reverse topological order has complete when it gets to the task: a few big-int
    operations per task instead of one graph walk per task.
    """
    backwards = order[::-1]  # dependents get the lower bits
    closure: dict[str, int] = {}  # a task's own bit and its dependents'
    for i, v in enumerate(backwards):
        bits = 1 << i
        for c in dependents[v]:
            bits |= closure[c]
        closure[v] = bits
    return _totals(ids, closure, _bit_planes(backwards, weights), weights)


def _totals(ids: list[str], reach: dict[str, int], planes: list[tuple[int, int]],
            weights: dict[str, float]) -> dict[str, tuple[float, int]]:
    """(weight, count) per id of the tasks in its `reach` bitset, itself left out; (0, 0) for
    an id that is not remaining work (not in `reach`).

    Its own bit is always in `reach`: it is taken off the sums (the planes add up its scaled
    weight exactly) rather than masked out of the bitset, which would copy the big int."""
    out = {}
    for tid in ids:
        if tid not in reach:
            out[tid] = (0.0, 0)
            continue
        bits = reach[tid]
        scaled = sum(p * (bits & m).bit_count() for p, m in planes)
        out[tid] = ((scaled - round(weights[tid] * SCALE)) / SCALE, bits.bit_count() - 1)
    return out


SCALE = 1000  # weights summed exactly to 1/1000 of a unit


def _bit_planes(planned: list[str], weights: dict[str, float]) -> list[tuple[int, int]]:
    """(multiplier, mask of the tasks whose weight has that bit): a weighted popcount in a few
    big-int operations per task, instead of one Python step per descendant. Weights count in
    their greatest common step (0.5 h steps up to 8 h: 5 planes instead of 13)."""
    # rounded once per distinct weight (a handful), then looked up: no Python step per task
    exact = {w: round(w * SCALE) for w in set(weights.values())}
    scaled = list(map(exact.__getitem__, map(weights.__getitem__, planned)))
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


def cycle_members(sched: cpm.Schedule) -> set[str]:
    """Every task on a dependency cycle (left out of the schedule)."""
    return {tid for c in sched.cycles for tid in c}


def rank(bl: Backlog, sched: cpm.Schedule,
         why: dict[str, list[str]] | None = None) -> list[Ranked]:
    """Actionable tasks, best first, each with the reason for its place (`why`: `blocked`,
    when the caller has it)."""
    if why is None:
        why = blocked(bl, cycle_members(sched))
    ready = actionable(bl, why)
    ids = [t.id for t in ready]
    tm = sched.timing
    if sched.cycles:  # cycle members are unscheduled but still remaining work: weigh 0
        weights = {**tm.weights, **dict.fromkeys(cycle_members(sched), 0.0)}
        work = unblocked_work(bl, weights, ids)
    else:
        work = descendant_work(sched.order, sched.dependents, tm.weights, ids)
    ranked = []
    for t in ready:
        w, n = work[t.id]
        if t.id in tm:
            ranked.append(Ranked(t, tm.slack(t.id), w, n, isolated=t.id in tm.isolated))
        else:
            ranked.append(Ranked(t, float("inf"), w, n))
    # each key made once (the ids make them unique): the sort and the reasons compare them
    keyed = sorted(((r.key(), r) for r in ranked), key=itemgetter(0))
    fmt = functools.cache(estimates.fmt)  # a few distinct numbers recur across the list
    for i, (key, r) in enumerate(keyed):
        r.reason = _reason(r, keyed[i - 1] if i else None, key, sched.weight, fmt)
    return [r for _, r in keyed]


def _reason(r: Ranked, prev: tuple[tuple, Ranked] | None, key: tuple, unit: str,
            f=estimates.fmt) -> str:
    """Why `r` (its sort `key`) is where it is: its factors, and the one that put it after
    the one before (`prev`: its key and itself)."""
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
    a, prev_r = prev
    if a[0] != key[0]:
        decided = f"after {prev_r.task.id}: not on the critical path"
    elif a[1] != key[1]:
        decided = (f"after {prev_r.task.id}: lower priority ({r.task.priority_label} vs "
                   f"{prev_r.task.priority_label})")
    elif a[2] != key[2]:
        decided = (f"after {prev_r.task.id}: unblocks less ({f(r.unblocks, unit)} vs "
                   f"{f(prev_r.unblocks, unit)})")
    else:
        decided = f"after {prev_r.task.id}: tie, id order"
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


def next_report(bl: Backlog, weight: str = "auto", keep: list | None = None) -> dict:
    """Everything `taskctl next` shows, as a JSON-ready dict (cached by the CLI). `tasks` is
    free work; `held` is actionable work somebody holds (claimed or in progress), with the
    claim as recorded (lease state is judged when shown: it changes with the clock).
    `keep`: receives the plan's intermediates (a caller that frees them later, or never)."""
    sched = cpm.schedule(bl, weight)
    why = blocked(bl, cycle_members(sched))
    ranked = rank(bl, sched, why)
    on_file = claims.read_all(bl.root)
    tasks, held_rows = [], []
    for r in ranked:
        row = {"id": r.task.id, "title": r.task.title, "priority": r.task.priority_label,
               "status": r.task.status, "slack": cpm.num(r.slack), "critical": r.critical,
               "unblocks": cpm.num(r.unblocks), "unblocks_count": r.unblocks_count,
               "weight": cpm.num(sched.timing.weights[r.task.id]), "reason": r.reason}
        c = on_file.get(r.task.id)
        if held(r.task, c):
            row["claim"] = asdict(c) if c else None
            held_rows.append(row)
        else:
            tasks.append(row)
    if keep is not None:
        keep += (sched, why, ranked)
    return {"weight": sched.weight, "total": cpm.num(sched.total), "tasks": tasks,
            "held": held_rows, "not_listed": not_listed(bl, sched, why),
            "warnings": sched.warnings}


def waves(bl: Backlog, weight: str = "auto") -> dict:
    """Remaining work as topological generations: wave k needs only waves before it."""
    sched = cpm.schedule(bl, weight)
    held_by = Blockers(bl, cycle_members(sched), planned=sched.timing).of
    out = []
    for i, gen in enumerate(generations(sched.dependents), 1):
        items = _wave(bl, natural(gen), sched.timing, held_by)
        out.append({"wave": i, "tasks": items,
                    "weight": cpm.num(max(x["weight"] for x in items))})
    return {"weight": sched.weight, "total": cpm.num(sched.total), "waves": out,
            "max_parallel": max((len(w["tasks"]) for w in out), default=0),
            "cycles": sched.cycles, "warnings": sched.warnings}


def _wave(bl: Backlog, ids: list[str], tm: cpm.Timing, held_by) -> list[dict]:
    """The rows of one wave's tasks; `held_by(task)`: its blockers outside the plan."""
    tasks, weights, num = bl.tasks, tm.weights, _num
    rows = []
    for tid in ids:
        t = tasks[tid]
        rows.append({"id": tid, "title": t.title, "status": t.status,
                     "priority": t.priority_label, "weight": num(weights[tid]),
                     "critical": tm.critical(tid), "held_by": held_by(t)})
    return rows


_num = functools.lru_cache(maxsize=1024)(cpm.num)  # a handful of distinct weights recur
