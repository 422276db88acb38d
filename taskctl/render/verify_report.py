"""Render verify/gate results: plain-text reports and `--json` payloads (no logic here)."""

from __future__ import annotations

from typing import Any

from taskctl.core.status import ItemOutcome, TaskOutcome
from taskctl.core.verify.task import ItemResult, TaskResult

TAIL_LINES = 15
I, O = ItemOutcome, TaskOutcome  # noqa: E741 - short names for the tables below
_STYLE = {I.PASS: "green", I.SIGNED_OFF: "green", I.FAIL: "red", I.TIMEOUT: "red",
          I.INTERRUPTED: "yellow", I.CANNOT_RUN: "yellow", I.NEEDS_SIGNOFF: "yellow",
          I.STALE: "red", I.NOT_REVERIFIED: "yellow", I.WOULD_RUN: "cyan", I.NOT_RUN: "dim"}
_OUTCOME = {O.COMPLETED: "green", O.OK: "green", O.DRY_RUN: "cyan", O.NOT_REVERIFIED: "yellow"}
_RAN = (I.PASS, I.FAIL, I.TIMEOUT, I.INTERRUPTED)
_BROKEN = (I.FAIL, I.TIMEOUT, I.INTERRUPTED)
_UNPROVEN = (I.STALE, I.NEEDS_SIGNOFF, I.CANNOT_RUN, I.NOT_REVERIFIED)


def item_label(it: ItemResult) -> str:
    if it.status == I.PASS and it.cached:
        return "PASS (cached)"
    return it.status


def item_line(task: str, it: ItemResult) -> str:
    ran = it.status in _RAN and not it.cached
    dur = (it.record or {}).get("duration_s") if ran else None
    extra = f" ({dur:.1f}s)" if isinstance(dur, (int, float)) else ""
    style = _STYLE.get(it.status, "white")
    return (f"  [{style}]{item_label(it):<14}[/{style}] {task} item {it.index}: "
            f"{it.criterion}{extra}")


def tail(it: ItemResult, lines: int = TAIL_LINES) -> list[str]:
    text = (it.record or {}).get("output_tail") or ""
    return text.rstrip("\n").split("\n")[-lines:] if text else []


def task_lines(res: TaskResult, verbose_items: bool = True) -> list[str]:
    """Rich-markup lines for one task: a verdict line, item lines, failure details."""
    style = _OUTCOME.get(res.outcome, "red")
    head = f"[bold {style}]{res.outcome.upper():<14}[/bold {style}] {res.task}"
    if res.message:
        head += f": {res.message}"
    out = [head]
    if res.status_before != res.status_after and res.status_after:
        out.append(f"  status: {res.status_before} -> {res.status_after}"
                   + (f" (evidence {res.evidence_id})" if res.evidence_id else ""))
    for it in res.items:
        if verbose_items or not it.ok:
            out.append(item_line(res.task, it))
        if it.status in _BROKEN or it.status in _UNPROVEN:
            for r in it.reasons:
                out.append(f"      {_esc(r)}")
        if it.status in _BROKEN and it.record:
            rec = it.record
            code = rec.get("signal") or rec.get("exit_code")
            out.append(f"      command: {_esc(str(rec.get('command')))}  (exit {code})")
            if it.log:
                out.append(f"      log: {it.log}")
            t = tail(it)
            if t:
                out.append(f"      --- last {len(t)} line(s) of output ---")
                out += [f"      | {_esc(line)}" for line in t]
    return out


def _esc(s: str) -> str:
    from rich.markup import escape

    return escape(s)


def item_dict(it: ItemResult) -> dict[str, Any]:
    rec = it.record or {}
    return {"item": it.index, "criterion": it.criterion, "status": it.status,
            "cached": it.cached, "reasons": it.reasons, "why_run": it.why_run, "log": it.log,
            "exit_code": rec.get("exit_code"), "signal": rec.get("signal"),
            "duration_s": rec.get("duration_s"), "run_id": rec.get("run_id"),
            "fingerprint": (rec.get("fingerprint") or {}).get("key"),
            "output_tail": rec.get("output_tail") if not it.ok else None}


def task_dict(res: TaskResult) -> dict[str, Any]:
    out = {"task": res.task, "outcome": res.outcome,
           "ok": res.ok or res.outcome in (O.OK, O.NOT_REVERIFIED),
           "message": res.message, "status_before": res.status_before,
           "status_after": res.status_after, "evidence_id": res.evidence_id,
           "items": [item_dict(i) for i in res.items]}
    if res.warnings:  # as a lifecycle write's answer says them (`render/transitions.py`)
        out["warnings"] = list(res.warnings)
    return out


def notes(report: Any) -> dict[str, list[str]]:
    """A verify or gate report's notes on the trust setup (a trust policy created, this
    runner's key not trusted: its records are then never reused nor accepted by `gate`) for
    a `--json` or MCP answer, under `"notes"`; nothing when there are none. A program must
    read them: the runs passed, yet the evidence will not count."""
    return {"notes": list(report.notes)} if report.notes else {}


def warning_text(results: list[TaskResult]) -> str:
    """What the status changes of `results` could not write (a manifest left as it was), one
    `taskctl: warning:` line each, for stderr; "" when nothing."""
    from taskctl.render.transitions import warning_lines

    return "".join(warning_lines({"warnings": r.warnings}) for r in results)
