"""Who holds what: claim files, and for tasks in progress without one, the agent that the
event history (taskctl's or an agent's own update files) says moved it there."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from taskctl.core.files import claims as cl
from taskctl.core.status import TaskStatus

TYPE_CHECKING = False  # the model only for annotations: `list`/`status` judge holders on
if TYPE_CHECKING:  # every call (never cached), and the model costs ~7 ms to import
    from taskctl.core.model import Backlog


def holders(bl: Backlog, now: datetime | None = None) -> dict[str, dict]:
    """id -> {agent, state, age_s, lease_left_s, expires_at, source (claim|updates)}."""
    return held(bl.root, {tid: t.status for tid, t in bl.tasks.items()}, now)


def held(root: Path, statuses: dict[str, str], now: datetime | None = None) -> dict[str, dict]:
    """`holders` from the tasks' statuses alone (a cached answer keeps those; claims and
    leases are read and judged now: they change with the clock, not with the files)."""
    now = now or datetime.now(UTC)
    out: dict[str, dict] = {}
    for tid, c in cl.read_all(root).items():
        if tid in statuses and statuses[tid] not in (TaskStatus.COMPLETED, TaskStatus.CANCELLED):
            d = c.to_dict(now)
            out[tid] = {"agent": c.agent, "state": d["state"], "age_s": d["age_s"],
                        "lease_left_s": d["lease_left_s"], "expires_at": c.expires_at,
                        "source": "claim"}
    unclaimed = {tid for tid, s in statuses.items()
                 if s == TaskStatus.IN_PROGRESS and tid not in out}
    if unclaimed:
        from taskctl.core.lifecycle.events import read

        for e in read(root).events:
            if e.task in unclaimed and e.to_status == TaskStatus.IN_PROGRESS and e.by:
                start = cl.parse_time(e.at)
                out[e.task] = {"agent": e.by, "state": "in progress (no claim)",
                               "age_s": int((now - start).total_seconds()) if start else None,
                               "lease_left_s": None, "expires_at": None, "source": "updates"}
    return out
