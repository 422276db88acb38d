"""Typed errors of the trainer. ``training.cli.main`` maps them to exit codes, once.

Exit codes of ``python -m training COMMAND`` (each error family owns one code):

====  =================================================================  =======================
code  meaning                                                            raised as
====  =================================================================  =======================
0     success
1     the work failed: training diverged (NaN/inf), a pipeline gave up   ``DivergenceError``,
      after its retries, ``export check`` / ``registry verify`` found a  ``TrainingError``,
      corrupted file, an invalid SBOM, any unexpected exception          anything else
2     usage: bad command-line options, unknown/invalid config keys or    ``UsageError`` (and
      ``--set`` values, dataset spec, missing device, incompatible       ``ConfigError``, ...),
      resume, unknown registry model/version, no usable checkpoint       ``CheckpointError``
130   interrupted (Ctrl-C)
====  =================================================================  =======================

Errors print as ``error: MESSAGE`` (plus ``hint: ...`` when there is one) on stderr, one
line, no traceback; ``--debug`` (global, or on ``train`` / ``bench``) shows the traceback.
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
