"""Small dependency-graph helpers for edits: the cycle an edit would create, `blocks` lists."""

from __future__ import annotations

from taskctl.core.model import Backlog


def cycle_through(deps: dict[str, list[str]], start: str) -> list[str] | None:
    """A dependency cycle through `start` (`start` depends on ... depends on `start`), as the
    list of ids along it, or None. Iterative DFS: long chains do not hit the recursion limit."""
    stack = [(start, iter(deps.get(start, [])))]
    path, on_path, seen = [start], {start}, set()
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            on_path.discard(path.pop())
            seen.add(node)
            continue
        if nxt == start:
            return [*path, start]
        if nxt in on_path or nxt in seen or nxt not in deps:
            continue
        path.append(nxt)
        on_path.add(nxt)
        stack.append((nxt, iter(deps.get(nxt, []))))
    return None


def show(cycle: list[str]) -> str:
    """`T001 → T003 → T001 (each depends on the next)`."""
    return " → ".join(cycle) + " (each depends on the next)"


def blocks_of(bl: Backlog, tid: str) -> list[str]:
    """The manifest `blocks` list of `tid`: its dependents, then kept deferred ids (as
    `taskctl sync` writes it)."""
    t = bl.tasks[tid]
    dependents = sorted(o.id for o in bl.tasks.values() if tid in o.depends_on)
    return dependents + [b for b in t.blocks if b not in bl.tasks and b not in dependents]
