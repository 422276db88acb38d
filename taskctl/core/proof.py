"""Which completed tasks are proven: every acceptance item has a fresh pass or a current
sign-off. The same judgement as `gate --check`, without running or writing anything."""

from __future__ import annotations

from taskctl.core.model import Backlog


def proven(bl: Backlog) -> dict[str, bool]:
    """completed task id -> proven? (a completed task with no acceptance items is not)."""
    from taskctl.core.verify_task import Context, assess

    ctx = Context(bl, "proof", frozenset(), "", dry_run=True, input_cache={})
    out: dict[str, bool] = {}
    for tid, t in sorted(bl.tasks.items()):
        if t.status != "completed":
            continue
        out[tid] = bool(t.acceptance) and all(assess(ctx, t, it)[0].ok for it in t.acceptance)
    return out
