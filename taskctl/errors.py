"""The one error hierarchy and the one exit-code table. The CLI maps errors to codes in one
place (`taskctl/cli/app.py:main`); README.md "Exit codes" repeats this table (a test checks).

| code | ExitCode    | meaning |
|------|-------------|---------|
| 0    | OK          | success |
| 1    | PROBLEMS    | problems found: validation errors (or warnings under --strict), failing, stale or missing evidence, verification that did not complete, manifest out of date (sync dry run) |
| 2    | USAGE       | usage error: bad option or value, tasks directory not found, unknown or malformed task id, schema or format name, a file that cannot be read, no usable signing key, a malformed .tasks/trust.yaml, a write the store's dialect cannot take, a write refused for leaving .tasks/ (symlinked state folder, escaping id or glob) |
| 3    | BUSY        | state conflict: another taskctl process holds the lock this command needs (or the tree lock was not had in time), another agent holds a live claim on the task, or the state change does not apply to its status |
| 4    | NOTHING_LEFT | nothing left: `next --claim` found no actionable task that nobody holds |
| 70   | INTERNAL    | internal error: a bug in taskctl (rerun with --debug and report it) |
| 130  | INTERRUPTED | interrupted (Ctrl+C or SIGTERM) |
"""  # noqa: E501 - a table

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS = 1
    USAGE = 2
    BUSY = 3
    NOTHING_LEFT = 4
    INTERNAL = 70
    INTERRUPTED = 130


class TaskctlError(Exception):
    """Base of every error taskctl raises on purpose. Carries a hint for the user.

    `reported=True` means the command already printed its full result (a `--json` document
    with `"ok": false`): the CLI then exits with the code without printing a second document.
    """

    exit_code = ExitCode.PROBLEMS

    def __init__(self, message: str, hint: str | None = None, *, reported: bool = False):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.reported = reported


class UsageError(TaskctlError):
    """The user asked for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class TasksDirNotFound(UsageError):
    """No `.tasks` directory given or found upward from the working directory."""


class UnknownTask(UsageError):
    """A task id named on the command line does not exist."""


class NotWritable(UsageError):
    """The tree's dialect cannot be written back the way the command needs."""


class UnsafePath(UsageError):
    """A write would leave the tasks directory (hostile id, symlinked state folder, glob)."""


class ProblemsFound(TaskctlError):
    """Validation, gate or verification found problems (already reported in detail)."""

    exit_code = ExitCode.PROBLEMS


class LockBusy(TaskctlError):
    """Another taskctl process holds the lock on this task."""

    exit_code = ExitCode.BUSY


class ClaimHeld(TaskctlError):
    """Another agent holds a live claim on the task (or the state change does not apply)."""

    exit_code = ExitCode.BUSY


class NothingToClaim(TaskctlError):
    """`next --claim`: every actionable task is held by someone (or none is actionable)."""

    exit_code = ExitCode.NOTHING_LEFT


class Interrupted(TaskctlError):
    """Ctrl+C or SIGTERM stopped the command; what was interrupted was not recorded as done."""

    exit_code = ExitCode.INTERRUPTED


class SigningKeyError(UsageError):
    """No signing key, an unreadable one, or a malformed public key (`taskctl keys`)."""


class TrustPolicyError(UsageError):
    """`.tasks/trust.yaml` cannot be read or is malformed."""
