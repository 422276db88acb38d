"""Cross-file rules over a loaded backlog: dependencies, cycles, blocks, completion order."""

from __future__ import annotations

from taskctl.core.model import Backlog
from taskctl.core.order import topological_order
from taskctl.core.problems import RULES_BY_NAME, Problem, problem
from taskctl.core.status import DONE, TaskStatus


def run(bl: Backlog) -> None:
    _dependencies(bl)
    _cycles(bl)
    _blocks(bl)
    _completed_order(bl)
    _milestones(bl)


# the findings of the one check that reads a task's status (`_completed_order`), and of the
# one that runs after it (`_milestones`): `run_statuses` keeps the others and finds it again
ORDER_CODE = RULES_BY_NAME["completed-with-open-dependency"].code
_AFTER_ORDER = frozenset({RULES_BY_NAME["milestone-task-unknown"].code})


def run_statuses(bl: Backlog, found: list[Problem]) -> None:
    """`run`, after edits that changed tasks' statuses alone, given what `run` found before
    them (`found`, in its order): the findings of the checks that read no status stand, in
    their places; the completion order is checked again between them. The caller makes sure
    no finding it keeps lies in an edited task (whose lines may have moved)."""
    bl.problems.extend(p for p in found if p.code != ORDER_CODE and p.code not in _AFTER_ORDER)
    _completed_order(bl)
    bl.problems.extend(p for p in found if p.code in _AFTER_ORDER)


def _where(bl: Backlog, tid: str, key: tuple = ()) -> dict:
    src = bl.sources.get(tid)
    return src.where(key) if src else {}


def _dep_key(bl: Backlog, tid: str) -> tuple:
    fm = bl.tasks[tid].front_matter
    for k in ("depends_on", "dependencies", "blocked_by"):
        if k in fm:
            return (k,)
    return ("depends_on",)


def _dependencies(bl: Backlog) -> None:
    for t in bl.tasks.values():
        for dep in t.depends_on:
            if dep == t.id:
                bl.problems.append(problem("self-dependency", f"{t.id} depends on itself",
                                           task=t.id, **_where(bl, t.id, _dep_key(bl, t.id))))
            elif dep not in bl.tasks:
                where = _where(bl, t.id, _dep_key(bl, t.id))
                if dep in bl.deferred:
                    bl.problems.append(problem(
                        "deferred-dependency", f"{t.id} depends on {dep}, a deferred task with "
                        "no task entry yet", task=t.id, **where))
                else:
                    bl.problems.append(problem(
                        "dangling-dependency", f"{t.id} depends on {dep}, which is not a known "
                        "task (not in the task files, the manifest or its deferred list)",
                        task=t.id, **where))


def dependency_graph(bl: Backlog):
    """networkx DiGraph with an edge dep -> task for every known dependency."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(bl.tasks)
    for t in bl.tasks.values():
        for dep in t.depends_on:
            if dep in bl.tasks and dep != t.id:
                g.add_edge(dep, t.id)
    return g


def has_cycle(bl: Backlog) -> bool:
    """Does the dependency graph have a cycle? Kahn's algorithm (`order.topological_order`)
    places every task unless some are on a cycle or after one; networkx is not imported."""
    tasks = bl.tasks
    succ: dict[str, list[str]] = {tid: [] for tid in tasks}
    for tid, t in tasks.items():
        for d in set(t.depends_on):
            if d in tasks and d != tid:
                succ[d].append(tid)
    return len(topological_order(succ)) != len(succ)


def _cycles(bl: Backlog) -> None:
    if not has_cycle(bl):  # most backlogs have none: no networkx import
        return
    import networkx as nx

    from taskctl.core.order import natural_key

    g = dependency_graph(bl)
    # the same cycle, said the same way, whatever order the tasks were loaded in: components
    # by their least id, each searched from it over its edges in id order, printed from the
    # least id on the cycle
    comps = sorted((c for c in nx.strongly_connected_components(g) if len(c) > 1),
                   key=lambda c: natural_key(min(c, key=natural_key)))
    for comp in comps:
        sub = nx.DiGraph()
        sub.add_nodes_from(sorted(comp, key=natural_key))
        sub.add_edges_from(sorted(g.subgraph(comp).edges,
                                  key=lambda e: (natural_key(e[0]), natural_key(e[1]))))
        cyc = nx.find_cycle(sub, source=min(comp, key=natural_key))
        # edges are dep -> task; print it as "A depends on B depends on ... A"
        nodes = [v for _, v in cyc][::-1]
        at = nodes.index(min(nodes, key=natural_key))
        nodes = nodes[at:] + nodes[:at]
        chain = " → ".join([*nodes, nodes[0]])
        first = min(comp)
        bl.problems.append(problem(
            "dependency-cycle", f"dependency cycle: {chain} (each depends on the next)",
            task=first, **_where(bl, first, _dep_key(bl, first))))


def _blocks(bl: Backlog) -> None:
    for t in bl.tasks.values():
        for b in t.blocks:
            other = bl.tasks.get(b)
            if other is not None and t.id not in other.depends_on:
                bl.problems.append(problem(
                    "blocks-mismatch", f"{t.id} says it blocks {b}, but {b} does not depend on "
                    f"{t.id}", task=t.id, **_where(bl, t.id, ("blocks",))))
        for dep in t.depends_on:
            other = bl.tasks.get(dep)
            if other is not None and other.blocks and t.id not in other.blocks:
                bl.problems.append(problem(
                    "blocks-mismatch", f"{t.id} depends on {dep}, but {dep}'s blocks list "
                    f"({', '.join(other.blocks)}) does not name {t.id}", task=dep,
                    **_where(bl, dep, ("blocks",))))


def _completed_order(bl: Backlog) -> None:
    for t in bl.tasks.values():
        if t.status != TaskStatus.COMPLETED:
            continue
        for dep in t.depends_on:
            other = bl.tasks.get(dep)
            if other is not None and other.status not in DONE:
                bl.problems.append(problem(
                    "completed-with-open-dependency", f"{t.id} is completed but its dependency "
                    f"{dep} is {other.status}", task=t.id, **_where(bl, t.id, ("status",))))


def _milestones(bl: Backlog) -> None:
    for m in bl.milestones.values():
        for tid in m.tasks:
            if tid not in bl.tasks and tid not in bl.deferred:
                bl.problems.append(problem(
                    "milestone-task-unknown", f"milestone {m.id} lists unknown task {tid}",
                    file=bl.rel(m.path) if m.path else None, line=1))
