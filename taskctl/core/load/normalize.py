"""Normalise the spellings found in the wild (see docs/format.md) to the canonical model.

Each normalisation is reported back as an `Alias` so the validator can warn about it. The
normaliser is defensive: values of the wrong type are skipped (the schema check reports them).
"""

from __future__ import annotations

import re
import sys

from taskctl.core.records import record
from taskctl.core.status import TaskStatus

TYPE_CHECKING = False  # typing only for annotations (import cost)
if TYPE_CHECKING:
    from typing import Any

_ALIASES = {  # canonical status <- the spellings found in the wild (docs/format.md)
    TaskStatus.PENDING: ("todo", "open", "new", "not_started", "not-started", "ready"),
    TaskStatus.IN_PROGRESS: ("in-progress", "inprogress", "in progress", "wip", "started",
                             "doing", "active"),
    TaskStatus.COMPLETED: ("complete", "done", "finished", "closed"),
    TaskStatus.CANCELLED: ("canceled", "wontfix", "won't fix"),
    TaskStatus.DEFERRED: ("on-hold", "on_hold", "postponed", "later"),
    TaskStatus.COMPLETED_UNVERIFIED: ("completed-unverified",),
}
STATUS_ALIASES = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}
CANONICAL_STATUSES = frozenset(TaskStatus)
PRIORITY_WORDS = {"critical": 0, "urgent": 0, "highest": 0, "high": 1, "medium": 2, "normal": 2,
                  "low": 3, "lowest": 4, "trivial": 4}
_PRIO_RE = re.compile(r"^[Pp]([0-4])(?:[-_ ]?(mvp))?$", re.IGNORECASE)

# canonical key <- accepted spellings (first is canonical)
KEY_ALIASES = {
    "est_tokens": "estimated_tokens",
    "estimate_hours": "estimated_hours",
    "created": "created_at",
    "updated": "updated_at",
    "started": "started_at",
    "completed": "completed_at",  # not a status
}
DEPENDENCY_KEYS = ("depends_on", "dependencies", "blocked_by")
ESTIMATE_KEYS = ("estimated_hours", "estimated_tokens", "actual_hours", "actual_tokens")
TIME_KEYS = ("created_at", "updated_at", "started_at", "completed_at")
KNOWN_KEYS = frozenset(
    {"id", "title", "status", "priority", "blocks", "tags", "phase", "milestone", "description",
     "acceptance", *DEPENDENCY_KEYS, *ESTIMATE_KEYS, *TIME_KEYS, *KEY_ALIASES})


@record
class Alias:
    """One normalisation applied: where (key path) and what."""

    path: tuple
    message: str


class UnknownValue(Exception):
    def __init__(self, path: tuple, kind: str, value: Any):
        super().__init__(f"unknown {kind} {value!r}")
        self.path, self.kind, self.value = path, kind, value


_DATE_TYPES: frozenset = frozenset()  # what YAML's timestamp resolver builds, once imported


def _date_types() -> frozenset:
    """date and datetime once the datetime module is imported; none before — no value can be
    one then (a read whose files hold no unquoted date never imports it, ≈ 2 ms)."""
    global _DATE_TYPES
    if not _DATE_TYPES:
        dt = sys.modules.get("datetime")
        if dt is not None:
            _DATE_TYPES = frozenset({dt.date, dt.datetime})
    return _DATE_TYPES


def stringify_dates(d: dict) -> dict:
    """YAML turns unquoted timestamps into date objects; the model keeps ISO strings. A new
    dict either way; the common case (no top-level date) is one C-level pass over the types."""
    if _date_types().isdisjoint(map(type, d.values())):
        return dict(d)
    import datetime as _dt

    out = {}
    for k, v in d.items():
        if isinstance(v, _dt.datetime):
            v = v.isoformat().replace("+00:00", "Z")
        elif isinstance(v, _dt.date):
            v = v.isoformat()
        out[k] = v
    return out


def status(value: Any, path: tuple, notes: list[Alias]) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if v in CANONICAL_STATUSES:
        if v != value:
            notes.append(Alias(path, f"status {value!r} spelled non-canonically; use {v!r}"))
        return v
    if v in STATUS_ALIASES:
        canon = STATUS_ALIASES[v]
        notes.append(Alias(path, f"status {value!r} is an alias of {str(canon)!r}"))
        return canon
    raise UnknownValue(path, "status", value)


def priority(value: Any, path: tuple, notes: list[Alias]) -> tuple[int | None, bool]:
    """Returns (priority 0..4, mvp flag)."""
    if value is None:
        return None, False
    if isinstance(value, bool):
        raise UnknownValue(path, "priority", value)
    if isinstance(value, int):
        if 0 <= value <= 4:
            notes.append(Alias(path, f"priority {value} written as a number; use 'P{value}'"))
            return value, False
        raise UnknownValue(path, "priority", value)
    if not isinstance(value, str):
        return None, False
    s = value.strip()
    m = _PRIO_RE.match(s)
    if m:
        p, mvp = int(m.group(1)), bool(m.group(2))
        if s != f"P{p}":
            extra = " plus tag 'mvp'" if mvp else ""
            notes.append(Alias(path, f"priority {value!r} read as 'P{p}'{extra}"))
        return p, mvp
    if s.isdigit() and 0 <= int(s) <= 4:
        notes.append(Alias(path, f"priority {value!r} read as 'P{s}'"))
        return int(s), False
    if s.lower() in PRIORITY_WORDS:
        p = PRIORITY_WORDS[s.lower()]
        notes.append(Alias(path, f"priority {value!r} read as 'P{p}'"))
        return p, False
    raise UnknownValue(path, "priority", value)


def id_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.replace(",", " ").split() if v.strip()]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int)) and not isinstance(v, bool)]
    return []


def dependencies(d: dict, notes: list[Alias]) -> list[str]:
    """Union of every dependency spelling, order kept, duplicates dropped."""
    out: list[str] = []
    for key in DEPENDENCY_KEYS:
        if key not in d:
            continue
        vals = id_list(d[key])
        if key != "depends_on" and vals:
            notes.append(Alias((key,), f"dependency key {key!r} is an alias of 'depends_on'"))
        if isinstance(d[key], str) and vals:
            notes.append(Alias((key,), f"{key} written as a string; use a list"))
        for v in vals:
            if v not in out:
                out.append(v)
    return out


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if value >= 0 else None


def canonical_keys(d: dict, notes: list[Alias]) -> dict:
    """Rename aliased keys (est_tokens → estimated_tokens…); the canonical key wins if both."""
    out = dict(d)
    for alias, canon in KEY_ALIASES.items():
        if alias in out:
            val = out.pop(alias)
            notes.append(Alias((alias,), f"key {alias!r} is an alias of {canon!r}"))
            out.setdefault(canon, val)
    return out
