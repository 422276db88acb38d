"""Cells for claims: owner, age, lease left, or that the claim can be taken over (plain text,
and styled spans that `render/blocks.py` makes a `Para` of)."""

from __future__ import annotations

from datetime import UTC, datetime

from taskctl.core.files.claims import Claim, fmt_duration

FIELDS = ("task", "agent", "claimed_at", "host", "pid", "lease_s", "expires_at")


def claim_cell(claim: dict | None, now: datetime | None = None) -> tuple[str, list]:
    """`agent · 12m old · 1h48m left` (or `lease expired` / `agent gone`: can be taken over)
    as (style of the whole, [(text, style), ...]). The lease is judged now, when shown (a
    cached `next` report holds the claim as written)."""
    if not claim:
        return "yellow", [("in progress, no claim", "")]
    c = Claim(**{k: claim[k] for k in FIELDS if k in claim})
    now = now or datetime.now(UTC)
    st = c.state(now)
    spans = [(c.agent, ""), (f" · {fmt_duration(c.age_s(now))} old", "")]
    if st == "expired":
        spans.append((" · lease expired: can be taken over", "yellow"))
    elif st == "dead":
        spans.append((" · agent gone: can be taken over", "yellow"))
    elif (left := c.left_s(now)) is not None:
        spans.append((f" · {fmt_duration(left)} left", ""))
    return "bold", spans


def holder_row(tid: str, h: dict) -> list:
    """id, owner, state, age, lease left — one row of the Claims table (`status`, `list`)."""
    left = h.get("lease_left_s")
    return [tid, h["agent"], h["state"],
            fmt_duration(h["age_s"]) if h.get("age_s") is not None else "-",
            fmt_duration(left) if left is not None and left > 0 else "-"]
