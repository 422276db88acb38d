"""Cells for claims (plain text and `blocks.Para`): owner, age, lease left, or that the claim
can be taken over."""

from __future__ import annotations

from datetime import UTC, datetime

from taskctl.core.files.claims import Claim, fmt_duration
from taskctl.render.blocks import Para

FIELDS = ("task", "agent", "claimed_at", "host", "pid", "lease_s", "expires_at")


def claim_cell(claim: dict | None, now: datetime | None = None) -> Para:
    """`agent · 12m old · 1h48m left` (or `lease expired` / `agent gone`: can be taken over).
    The lease is judged now, when shown (a cached `next` report holds the claim as written)."""
    if not claim:
        return Para("in progress, no claim", "yellow")
    c = Claim(**{k: claim[k] for k in FIELDS if k in claim})
    now = now or datetime.now(UTC)
    st = c.state(now)
    t = Para(c.agent, "bold")
    t.append(f" · {fmt_duration(c.age_s(now))} old")
    if st == "expired":
        t.append(" · lease expired: can be taken over", "yellow")
    elif st == "dead":
        t.append(" · agent gone: can be taken over", "yellow")
    elif (left := c.left_s(now)) is not None:
        t.append(f" · {fmt_duration(left)} left")
    return t


def holder_row(tid: str, h: dict) -> list:
    """id, owner, state, age, lease left — one row of the Claims table (`status`, `list`)."""
    left = h.get("lease_left_s")
    return [tid, h["agent"], h["state"],
            fmt_duration(h["age_s"]) if h.get("age_s") is not None else "-",
            fmt_duration(left) if left is not None and left > 0 else "-"]
