"""Typed errors of the trainer; the CLI maps each family to one exit code, once.

Exit codes: 0 ok, 1 training failure (divergence, unexpected runtime failure),
2 usage / config / device / incompatible-resume errors.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with; ``hint`` is optional advice."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(TrainingError):
    """Bad input from the user: config keys/values, dataset spec, CLI arguments."""

    exit_code = 2


class ConfigError(UsageError):
    """An unknown config key, a value of the wrong type, or a failed config check."""


class DeviceError(UsageError):
    """The requested accelerator is not present (or the index is out of range)."""


class IncompatibleResumeError(UsageError):
    """A checkpoint was written under a config that differs in keys that matter."""


class CheckpointError(TrainingError):
    """No usable checkpoint where one was required (all candidates corrupt/partial)."""

    exit_code = 2


class DivergenceError(TrainingError):
    """Loss or gradient norm became NaN/inf; training stopped, last good checkpoint kept."""

    exit_code = 1
