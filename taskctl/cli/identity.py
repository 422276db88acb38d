"""Who is acting: the agent name and process recorded in events and claims (no typer here:
the fast write path uses it too)."""

from __future__ import annotations

import os


def agent_name(agent: str | None) -> str:
    """--agent, else $TASKCTL_AGENT, else user@host (as `verify` records its runs)."""
    if agent:
        return agent
    if env := os.environ.get("TASKCTL_AGENT"):
        return env
    import getpass

    from taskctl.core.files.claims import hostname

    try:  # the same `user@host` as `verify` records (core.verify.batch.default_by), without
        user = getpass.getuser()  # importing the verifier
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = "unknown"
    return f"{user}@{hostname()}"


def agent_pid(pid: int | None) -> int | None:
    """--pid, else $TASKCTL_AGENT_PID: the agent process whose death frees its claims."""
    if pid is not None:
        return pid
    v = os.environ.get("TASKCTL_AGENT_PID", "")
    return int(v) if v.isdigit() else None
