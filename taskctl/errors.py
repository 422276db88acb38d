"""The one error hierarchy. Each family owns an exit code; the CLI maps them in one place.

Exit codes (documented in README.md):
  0  success
  1  problems found: validation errors, failing/stale evidence, failed verification
  2  usage error: bad arguments, tasks directory not found, unknown task id
  3  state conflict: another taskctl holds the task's lock
  130 interrupted (Ctrl+C)
"""

from __future__ import annotations


class TaskctlError(Exception):
    """Base of every error taskctl raises on purpose. Carries a hint for the user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(TaskctlError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2


class TasksDirNotFound(UsageError):
    """No `.tasks` directory given or found upward from the working directory."""


class UnknownTask(UsageError):
    """A task id named on the command line does not exist."""


class ProblemsFound(TaskctlError):
    """Validation, gate or verification found problems (already reported in detail)."""

    exit_code = 1


class LockBusy(TaskctlError):
    """Another taskctl process holds the lock on this task."""

    exit_code = 3


class Interrupted(TaskctlError):
    exit_code = 130
