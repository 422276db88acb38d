"""Claims: who holds a task, since when, until when. One small JSON file per claimed task.

`.tasks/claims/<TASK>.json` = {task, agent, host, pid, claimed_at, lease_s, expires_at}. One file
per task keeps git merges trivial (two branches conflict only when both claimed the same task)
and lets every reader see all claims with one directory listing. Files are written atomically
and only under the tree lock (`locks.tree_lock`), so a claim is never half-written.

A claim is *live* until its lease expires. It is *dead* earlier when it names a process (`pid`)
on this host that no longer runs. Live claims hold their task; expired or dead ones may be
taken over by another agent (`next --claim`, `claim`).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from taskctl.core.files import atomic, jsonread
from taskctl.core.records import asdict, record
from taskctl.errors import UsageError

CLAIMS_DIR = "claims"
DEFAULT_LEASE_S = 2 * 3600  # long enough for a working session; renew by claiming again
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_LEASE_S = 36500 * 86400  # a hundred years: longer is a typo (0 or none: no expiry)
# patterns compile on first use (re's own cache), not at import
_DURATION = r"(\d+(?:\.\d+)?)([smhd])"
_ID_SAFE = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


def hostname() -> str:
    """This machine's name, as `socket.gethostname()` gives it (both read the kernel's node
    name) without importing socket: one-task writes record it in every claim."""
    return os.uname().nodename


def parse_duration(text: str) -> int | None:
    """Seconds in `2h`, `30m`, `1h30m`, `90s`, `1d`; None for `0`/`none` (no expiry)."""
    t = text.strip().lower()
    if t in ("0", "none", "never"):
        return None
    parts = re.findall(_DURATION, t)
    if not parts or "".join(a + b for a, b in parts) != t:
        raise UsageError(f"bad duration {text!r}", "write it like 2h, 30m, 1h30m, 90s or 1d "
                         "(0 or none: no expiry)")
    seconds = int(sum(float(n) * _UNITS[u] for n, u in parts))
    if seconds > MAX_LEASE_S:  # a lease's end must be a date (datetime stops at year 9999)
        raise UsageError(f"bad duration {text!r}: longer than {MAX_LEASE_S // 86400} days",
                         "0 or none: no expiry")
    return seconds


def fmt_duration(seconds: float) -> str:
    """`1h05m`, `12m`, `40s`, `3d02h`: compact, for tables and agents."""
    s = int(abs(seconds))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d{h:02d}h"
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m" if m else f"{s}s"


def parse_time(stamp: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def fmt_time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@record
class Claim:
    task: str
    agent: str
    claimed_at: str
    host: str = ""
    pid: int | None = None
    lease_s: int | None = DEFAULT_LEASE_S
    expires_at: str | None = None

    def state(self, now: datetime | None = None) -> str:
        """`live`, `expired` (lease over) or `dead` (its process is gone, on this host)."""
        now = now or datetime.now(UTC)
        exp = parse_time(self.expires_at) if self.expires_at else None
        if exp is not None and exp <= now:
            return "expired"
        if self.pid and self.host == hostname() and not _alive(self.pid):
            return "dead"
        return "live"

    def live(self, now: datetime | None = None) -> bool:
        return self.state(now) == "live"

    def age_s(self, now: datetime | None = None) -> float:
        start = parse_time(self.claimed_at)
        return ((now or datetime.now(UTC)) - start).total_seconds() if start else 0.0

    def left_s(self, now: datetime | None = None) -> float | None:
        exp = parse_time(self.expires_at) if self.expires_at else None
        return (exp - (now or datetime.now(UTC))).total_seconds() if exp else None

    def to_dict(self, now: datetime | None = None) -> dict:
        d = asdict(self)
        d["state"] = self.state(now)
        d["age_s"] = int(self.age_s(now))
        left = self.left_s(now)
        d["lease_left_s"] = None if left is None else int(left)
        return d


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def new_claim(task: str, agent: str, now: datetime, lease_s: int | None,
              pid: int | None) -> Claim:
    exp = fmt_time(now + timedelta(seconds=lease_s)) if lease_s else None
    return Claim(task, agent, fmt_time(now), hostname(), pid, lease_s, exp)


def claim_path(root: Path, task_id: str) -> Path:
    if not re.match(_ID_SAFE, task_id):  # never build a path out of the tree from an id
        raise UsageError(f"task id {task_id!r} cannot name a claim file",
                         "ids are letters, digits, '.', '_' or '-'")
    return root / CLAIMS_DIR / f"{task_id}.json"


def _from_dict(d: dict, fallback: str) -> Claim | None:
    if not isinstance(d, dict) or not isinstance(d.get("agent"), str):
        return None
    pid = d.get("pid")
    lease = d.get("lease_s")
    return Claim(str(d.get("task") or fallback), d["agent"], str(d.get("claimed_at") or ""),
                 str(d.get("host") or ""), pid if isinstance(pid, int) else None,
                 lease if isinstance(lease, int) else None,
                 d.get("expires_at") if isinstance(d.get("expires_at"), str) else None)


def read(root: Path, task_id: str) -> Claim | None:
    try:
        return _from_dict(jsonread.load(claim_path(root, task_id), jsonread.MAX_RECORD_BYTES),
                          task_id)
    except (OSError, ValueError):
        return None


def read_all(root: Path) -> dict[str, Claim]:
    """Every readable claim file, by task id (unreadable ones are ignored: not a claim)."""
    out: dict[str, Claim] = {}
    d = root / CLAIMS_DIR
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return out
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        try:
            c = _from_dict(jsonread.load(d / name, jsonread.MAX_RECORD_BYTES), name[:-5])
        except (OSError, ValueError):
            continue
        if c is not None:
            out[name[:-5]] = c
    return out


def claim_text(c: Claim) -> str:
    return json.dumps(asdict(c), indent=2) + "\n"


def write(root: Path, c: Claim) -> None:
    atomic.write_text(claim_path(root, c.task), claim_text(c))


def remove(root: Path, task_id: str) -> bool:
    """Drop the claim on a task (done or released work). True if there was one."""
    try:
        claim_path(root, task_id).unlink()
    except (FileNotFoundError, UsageError):
        return False
    atomic.fsync_dir(root / CLAIMS_DIR)
    return True
