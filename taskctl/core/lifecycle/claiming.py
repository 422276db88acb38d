"""`next --claim`: atomically pick the best actionable task nobody holds, and claim it.

Atomicity: the whole read-pick-write runs under ONE tree-wide `flock` (`.locks/tree.lock`), the
same lock every lifecycle write takes. N agents calling at the same instant are serialised:
each sees the claims its predecessors wrote, so they get N different tasks, or `NothingToClaim`
(exit 4) once the free work is gone. The kernel drops the lock when a holder dies, so a killed
agent never leaves the tree locked; the write-ahead intent (`write.change`) finishes or drops
its half-done claim. A per-task file lock (held by `verify`) is also respected: a task being
verified is skipped.

Order: free tasks in `next`'s ranking first; then tasks whose claim expired or whose agent
process is gone (taken over, the event names the previous holder). A task in progress with no
claim at all (started by hand) is never taken.
"""

from __future__ import annotations

from pathlib import Path

from taskctl.core.files import claims as cl
from taskctl.core.files import locks
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.lifecycle import transitions as tr
from taskctl.core.load import loader
from taskctl.core.plan import cpm, ranking
from taskctl.core.status import TaskStatus
from taskctl.core.write import change
from taskctl.errors import LockBusy, NothingToClaim, UsageError


def candidates(root: Path, weight: str = "auto") -> tuple[list[str], dict]:
    """Ids `next --claim` may take, best first, and a count of what was skipped and why."""
    bl = loader.load(root, bodies=False)
    ranked = ranking.rank(bl, cpm.schedule(bl, weight))
    held = cl.read_all(root)
    now = tr.now_utc()
    free, takeover = [], []
    skipped = {"claimed": 0, "in_progress_unclaimed": 0}
    for r in ranked:
        c = held.get(r.task.id)
        if c is None and r.task.status == TaskStatus.IN_PROGRESS:
            skipped["in_progress_unclaimed"] += 1
        elif c is None:
            free.append(r.task.id)
        elif c.live(now):
            skipped["claimed"] += 1
        else:
            takeover.append(r.task.id)
    skipped["actionable"] = len(ranked)
    return free + takeover, skipped


def claim_next(root: Path, agent: str, lease_s: int | None, pid: int | None,
               weight: str = "auto") -> dict:
    """Claim the best free task for `agent`. Raises NothingToClaim when there is none."""
    tk.check_agent(agent)
    with tk.locked(root):
        order, skipped = candidates(root, weight)
        busy, unusable = 0, []
        for tid in order:
            try:
                with locks.task_lock(root, tid):
                    out: dict = {}
                    req = tr.Request("claim", tid, agent, None, lease_s, pid, force=True)
                    try:
                        ref = tk.find(root, tid)
                    except UsageError as e:  # its file is missing or unreadable: the next
                        unusable.append(f"not claimed: {e.message}")
                        continue
                    ch = tr.build(ref, req, tr.now_utc(), out)
                    change.apply(root, ch)
                    out = tk.said(out, ch)
                    if unusable:  # passed over on the way: said, not hidden
                        out["warnings"] = unusable + out.get("warnings", [])
                    return out
            except LockBusy:
                busy += 1  # being verified right now: not free either
    parts = [f"{skipped['actionable']} actionable"]
    if skipped["claimed"]:
        parts.append(f"{skipped['claimed']} claimed by live agents")
    if skipped["in_progress_unclaimed"]:
        parts.append(f"{skipped['in_progress_unclaimed']} in progress without a claim")
    if busy:
        parts.append(f"{busy} being verified")
    if unusable:
        parts.append(f"{len(unusable)} with no usable task file ({'; '.join(unusable)})")
    raise NothingToClaim("nothing left to claim: " + ", ".join(parts),
                         "wait for work to finish (`taskctl next` shows who holds what)")
