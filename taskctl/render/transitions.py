"""Plain-text lines for lifecycle results (no rich: one-task writes stay light to start)."""

from __future__ import annotations


def warning_lines(out: dict) -> str:
    """What a write could not do (`out["warnings"]`), one `taskctl: warning:` line each, for
    stderr; "" when nothing."""
    return "".join(f"taskctl: warning: {w}\n" for w in out.get("warnings") or ())


def transition_line(out: dict) -> str:
    line = f"{out['task']}: {out['from']} -> {out['to']} ({out['action']} by {out['by']})"
    c = out.get("claim")
    if c:
        lease = (f"lease until {c['expires_at']}" if c.get("expires_at") else "no expiry")
        line += f"; claimed, {lease}"
    if out.get("took_over_from"):
        prev = out["took_over_from"]
        line += f"; took over from {prev['agent']} ({prev['state']})"
    return line


def set_line(out: dict) -> str:
    return f"{out['task']}: " + ("; ".join(
        f"{k} {v['from']!r} -> {v['to']!r}" for k, v in out["changes"].items())
        or "nothing changed")


def log_line(out: dict) -> str:
    renewed = out.get("lease_renewed_until")
    return f"{out['task']}: logged" + (f"; lease renewed until {renewed}" if renewed else "")
