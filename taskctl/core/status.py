"""The one status vocabulary: task statuses, acceptance-item outcomes, per-task outcomes.

Every status word taskctl reads, writes or prints is a member of one of these enums (a test
greps the package for stray literals). They are `StrEnum`s, so they compare equal to, format as
and serialise to their plain string values: files and JSON output keep the same words.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """A task's status, as stored in task files and the manifest (docs/format.md)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DEFERRED = "deferred"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    COMPLETED_UNVERIFIED = "completed_unverified"  # ticked somewhere, proven by nobody


# Semantics (docs/planning.md): remaining work is scheduled; done counts as finished; deferred is
# parked; completed_unverified is planned like remaining work (nobody proved it).
STATUSES = tuple(TaskStatus)
REMAINING = frozenset({TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED})
DONE = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELLED})
PLANNED = REMAINING | {TaskStatus.COMPLETED_UNVERIFIED}
PARKED = frozenset({TaskStatus.DEFERRED})


class ItemOutcome(StrEnum):
    """What happened to one acceptance item in a verify or gate pass (evidence `status`)."""

    PASS = "PASS"
    FAIL = "FAIL"
    TIMEOUT = "TIMEOUT"
    INTERRUPTED = "INTERRUPTED"
    CANNOT_RUN = "CANNOT_RUN"  # needs a capability this machine lacks
    SIGNED_OFF = "SIGNED_OFF"  # a manual item, checked by a person
    NEEDS_SIGNOFF = "NEEDS_SIGNOFF"  # a manual item nobody has checked
    WOULD_RUN = "WOULD_RUN"  # dry run: it would execute
    NOT_RUN = "NOT_RUN"  # an earlier item failed and --keep-going was off
    STALE = "STALE"  # gate: the evidence no longer matches the item
    NOT_REVERIFIED = "NOT_REVERIFIED"  # gate: passed elsewhere, cannot run here


PASSING = frozenset({ItemOutcome.PASS, ItemOutcome.SIGNED_OFF})
FAILED = frozenset({ItemOutcome.FAIL, ItemOutcome.TIMEOUT})


class TaskOutcome(StrEnum):
    """The verdict on one task of a verify or gate pass."""

    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANNOT_RUN = "cannot_run"
    NEEDS_SIGNOFF = "needs_signoff"
    BLOCKED = "blocked"
    INVALID = "invalid"
    NO_ACCEPTANCE = "no_acceptance"
    BUSY = "busy"
    SKIPPED = "skipped"
    DRY_RUN = "dry_run"
    # gate verdicts
    OK = "ok"
    STALE = "stale"
    NOT_REVERIFIED = "not_reverified"
    UNPROVEN = "unproven"
