"""Read every event file under `updates/`: taskctl's own and those agents wrote in the wild.

Accepted shapes (one JSON object per file):
- taskctl: `{task, action, from, to, by, at, evidence_id, reason?, message?, ...}`;
- older agent tools: `{timestamp, task, action, from, to, by}`;
- agent update files: `{task_id, agent, status, timestamp, message?|notes?|summary?}` — a
  status report; `from` is the status of the task's previous event, `action` is `status`.
Statuses are normalised (aliases such as `done`, `in-progress`). Unreadable files, or files
with no task id or time, are skipped and counted (`Events.skipped`), never fatal.
"""

from __future__ import annotations

import os
from pathlib import Path

from taskctl.core.files import jsonread
from taskctl.core.load import normalize
from taskctl.core.records import asdict, field, record
from taskctl.core.write.status import UPDATES_DIR

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

MAX_EVENT_BYTES = 256 * 1024  # an event is a few hundred bytes; anything huge is not one


@record
class Event:
    task: str
    action: str
    at: str
    by: str = ""
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None  # reason, message or summary
    file: str = ""
    source: str = "taskctl"  # or "agent" (a wild update file)
    evidence_id: str | None = None
    at_ns: int = 0  # taskctl's sub-second order within one `at` second (0: unknown)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["from"], d["to"] = d.pop("from_status"), d.pop("to_status")
        d.pop("at_ns")
        return {k: v for k, v in d.items() if v not in (None, "")}


@record
class Events:
    events: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def of(self, tid: str) -> list[Event]:
        return [e for e in self.events if e.task == tid]


def _status(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip():
        return None
    try:
        return normalize.status(v, ("status",), []) or None
    except normalize.UnknownValue:
        return v.strip()


def _text(d: dict, *keys: str) -> str | None:
    for k in keys:
        v = d.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def parse(d: Any, name: str) -> Event | None:
    """One event from one file's JSON, or None when it is not an event."""
    if not isinstance(d, dict):
        return None
    tid = _text(d, "task", "task_id", "id")
    at = _text(d, "at", "timestamp", "time", "date")
    if not tid or not at:
        return None
    wild = "task" not in d and "task_id" in d
    ev = Event(tid, _text(d, "action") or ("status" if wild else "update"), at,
               by=_text(d, "by", "agent", "author") or "",
               from_status=_status(d.get("from")),
               to_status=_status(d.get("to") if "to" in d else d.get("status")),
               note=_text(d, "reason", "message", "notes", "summary", "title"),
               file=name, source="agent" if wild else "taskctl",
               evidence_id=_text(d, "evidence_id"),
               at_ns=d["at_ns"] if isinstance(d.get("at_ns"), int) else 0)
    return ev


def read(root: Path) -> Events:
    """All events, oldest first: by time, then taskctl's `at_ns` (events of one second), then
    file name."""
    out = Events()
    d = root / UPDATES_DIR
    try:
        names = sorted(n for n in os.listdir(d) if n.endswith(".json") and not n.startswith("."))
    except OSError:
        return out
    for name in names:
        p = d / name
        try:
            if p.is_symlink() or p.stat().st_size > MAX_EVENT_BYTES:
                raise ValueError("not an event file")
            ev = parse(jsonread.loads(p.read_text("utf-8")), f"{UPDATES_DIR}/{name}")
        except (OSError, ValueError, UnicodeDecodeError):
            ev = None
        if ev is None:
            out.skipped.append(f"{UPDATES_DIR}/{name}")
        else:
            out.events.append(ev)
    out.events.sort(key=lambda e: (_norm_time(e.at), e.at_ns, e.file))
    last: dict[str, str | None] = {}
    for e in out.events:  # wild status reports: `from` is the previous known status
        if e.from_status is None and e.source == "agent":
            e.from_status = last.get(e.task)
        if e.to_status is not None:
            last[e.task] = e.to_status
    return out


def _norm_time(at: str) -> str:
    """Comparable text for `2026-02-01T10:00:00Z`, `2026-02-01 10:00:00+00:00`, `2026-02-01`."""
    return at.replace(" ", "T").replace("+00:00", "Z")
