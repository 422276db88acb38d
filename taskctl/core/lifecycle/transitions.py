"""State changes (start, claim, release, block, unblock, defer, cancel, reopen) and `log`.

Each writes ONE event file in `updates/` (who, when, from -> to, reason), edits the task file's
`status:` line in place and patches the manifest entry, as one `Change` under the tree lock.
Completion is not here: only `verify`/`check` complete a task (proof-only).

Claims: `claim`/`start` record who holds the task (`claims/<ID>.json`, with a lease); `release`,
`block`, `defer` and `cancel` drop the claim. A live claim by another agent makes any of them
refuse (exit 3) unless `force`; an expired or dead claim is taken over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from taskctl.core.files import claims as cl
from taskctl.core.lifecycle import tasks as tk
from taskctl.core.status import DONE, TaskStatus
from taskctl.core.write import frontmatter as fm
from taskctl.core.write import status as sw
from taskctl.core.write.change import Change
from taskctl.errors import ClaimHeld, UsageError

S = TaskStatus
_ACTIVE = {S.PENDING, S.IN_PROGRESS, S.COMPLETED_UNVERIFIED}
ALLOWED: dict[str, frozenset] = {
    "start": frozenset(_ACTIVE), "claim": frozenset(_ACTIVE),
    "release": frozenset({S.IN_PROGRESS}),
    "block": frozenset(_ACTIVE),
    "unblock": frozenset({S.BLOCKED}),
    "defer": frozenset(_ACTIVE | {S.BLOCKED}),
    "cancel": frozenset(_ACTIVE | {S.BLOCKED, S.DEFERRED}),
    "reopen": frozenset({S.COMPLETED, S.CANCELLED, S.DEFERRED, S.COMPLETED_UNVERIFIED}),
}
TARGET = {"start": S.IN_PROGRESS, "claim": S.IN_PROGRESS, "release": S.PENDING,
          "block": S.BLOCKED, "unblock": S.PENDING, "defer": S.DEFERRED, "cancel": S.CANCELLED,
          "reopen": S.PENDING}
ENDS_CLAIM = frozenset({"release", "block", "defer", "cancel", "reopen"})
NEEDS_REASON = frozenset({"block", "cancel"})


class Request(NamedTuple):  # immutable; cheaper to define than a dataclass (start-up)
    action: str
    task: str
    agent: str
    reason: str | None = None
    lease_s: int | None = cl.DEFAULT_LEASE_S
    pid: int | None = None
    force: bool = False


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def transition(root: Path, req: Request) -> dict:
    """Apply one state change; returns what happened (JSON-ready)."""
    if req.action not in ALLOWED:
        raise UsageError(f"unknown action {req.action!r}")
    tk.check_agent(req.agent)
    if req.action in NEEDS_REASON and not (req.reason or "").strip():
        raise UsageError(f"{req.action} needs --reason", "say why, in one line")
    out: dict = {}
    return tk.said(out, tk.run(root, lambda: build(tk.find(root, req.task), req, now_utc(),
                                                   out), req.task))


def build(ref: tk.TaskRef, req: Request, now: datetime, out: dict) -> Change:
    """The Change for `req` on `ref` (raises when it does not apply). Fills `out`."""
    root, t, at = ref.root, ref.task, cl.fmt_time(now)
    old = t.status
    held = cl.read(root, t.id)
    takeover = None
    if held is not None:
        state = held.state(now)
        if state == "live" and held.agent != req.agent and not req.force:
            raise ClaimHeld(f"{t.id} is claimed by {held.agent} (lease left "
                            f"{cl.fmt_duration(held.left_s(now) or 0)})",
                            "ask them to release it, pick another with `taskctl next --claim`, "
                            "or pass --force")
        if held.agent != req.agent:
            takeover = {"agent": held.agent, "state": state}
    claiming = req.action in ("start", "claim")
    if old not in ALLOWED[req.action] and not (req.action == "release" and held is not None):
        raise ClaimHeld(f"cannot {req.action} {t.id}: it is {old}",
                        _hint(req.action, old))
    if claiming and not req.force:
        waits = [f"{d} ({ref.status_of(d) or 'unknown'})" for d in t.depends_on
                 if ref.status_of(d) not in DONE]
        if waits:
            raise UsageError(f"{t.id} is not actionable: waits on {', '.join(waits)}",
                             "finish those first, or pass --force")
    new = TARGET[req.action] if old in ALLOWED[req.action] else old
    text = sw.edit_status(ref.text, ref.format, new, None, req.action == "reopen")
    patch: dict = {"status": new}
    if req.action == "reopen":
        patch["completed_at"] = None
    if claiming and not t.started_at:
        text = fm.set_key(text, ref.format, "started_at", at, ("started",))
        patch["started_at"] = at
    if req.reason and req.action != "claim":
        text = fm.append_log(text, ref.format, _log_line(now, req.agent,
                                                          f"{req.action}: {req.reason}"))
    ch = Change(req.action, t.id, warnings=tk.left_alone(ref))
    if text != ref.text:
        ch.writes.append((ref.rel, text))
    claim = None
    if claiming:
        claim = cl.new_claim(t.id, req.agent, now, req.lease_s, req.pid)
    extra = {"reason": req.reason, "lease_s": claim.lease_s if claim else None,
             "expires_at": claim.expires_at if claim else None,
             "took_over_from": takeover["agent"] if takeover and claiming else None}
    ev = sw.event(t.id, req.action, old, new, req.agent, None, at, **extra)
    ch.writes.append(ev)
    if claim is not None:
        ch.writes.append((str(cl.claim_path(root, t.id).relative_to(root)),
                          cl.claim_text(claim)))
    elif held is not None and req.action in ENDS_CLAIM:
        ch.removes.append(str(cl.claim_path(root, t.id).relative_to(root)))
    if ref.entry is not None:
        ch.entries[t.id] = patch
    out.update({"task": t.id, "action": req.action, "from": old, "to": new, "by": req.agent,
                "at": at, "event": ev[0]})
    if req.reason:
        out["reason"] = req.reason
    if claim is not None:
        out["claim"] = claim.to_dict(now)
    if takeover:
        out["took_over_from"] = takeover
    return ch


def _hint(action: str, status: str) -> str:
    if status == S.COMPLETED:
        return "completed work is reopened with `taskctl reopen` (completion is proof-only)"
    if action not in ("unblock", "release", "reopen") and status == S.BLOCKED:
        return "`taskctl unblock` it first"
    return {"unblock": "only a blocked task can be unblocked",
            "release": "only an in-progress or claimed task can be released",
            "reopen": "only completed, cancelled, deferred or unverified tasks reopen"}.get(
        action, f"a {status} task cannot be changed this way; `taskctl reopen` it first")


def _log_line(now: datetime, agent: str, message: str) -> str:
    return f"{now.strftime('%Y-%m-%d %H:%M')} UTC ({agent}): {fm.one_line(message)}"


def log(root: Path, task_id: str, agent: str, message: str) -> dict:
    """Append a dated line to the task's Progress Log (plus a `log` event). When the author
    holds a live claim on the task, its lease is renewed (logging is the heartbeat)."""
    tk.check_agent(agent)
    msg = fm.one_line(message)
    if not msg:
        raise UsageError("empty log message", "say what happened, in one line")
    out: dict = {}

    def build_log() -> Change:
        ref, now = tk.find(root, task_id), now_utc()
        at, t = cl.fmt_time(now), ref.task
        text = fm.append_log(ref.text, ref.format, _log_line(now, agent, msg))
        ch = Change("log", t.id, [(ref.rel, text)])
        ch.writes.append(sw.event(t.id, "log", t.status, t.status, agent, None, at,
                                  message=msg))
        held = cl.read(root, t.id)
        if held is not None and held.agent == agent and held.live(now) and held.lease_s:
            renewed = cl.new_claim(t.id, agent, now, held.lease_s, held.pid)
            renewed.claimed_at = held.claimed_at
            ch.writes.append((str(cl.claim_path(root, t.id).relative_to(root)),
                              cl.claim_text(renewed)))
            out["lease_renewed_until"] = renewed.expires_at
        out.update({"task": t.id, "action": "log", "by": agent, "at": at, "message": msg,
                    "event": ch.writes[1][0]})
        return ch

    return tk.said(out, tk.run(root, build_log, task_id))
