"""The trainer's CPU defaults: XLA flags measured to help the train step on CPU.

XLA reads ``XLA_FLAGS`` once, when the backend starts, so :func:`apply` must run before JAX
initialises (the ``python -m training`` entry point calls it first). A flag the user already
put in ``XLA_FLAGS`` is left as they set it. Each default here won an interleaved A/B against
the baseline on the ``bench`` preset (``benchmarks/cpu_knobs.py``; table in
docs/performance.md); knobs that did not help are listed there, not here.
"""

from __future__ import annotations

import os

# flag -> value; every one of these affects only XLA's CPU backend
CPU_XLA_FLAGS: dict[str, str] = {}


def apply(environ: dict[str, str] | None = None) -> list[str]:
    """Add the CPU defaults to ``XLA_FLAGS`` in ``environ`` (default ``os.environ``) unless
    already set there; returns the flags it added (recorded in provenance)."""
    env = os.environ if environ is None else environ
    current = env.get("XLA_FLAGS", "")
    present = {item.split("=", 1)[0] for item in current.split()}
    added = [f"{k}={v}" for k, v in CPU_XLA_FLAGS.items() if k not in present]
    if added:
        env["XLA_FLAGS"] = " ".join([*current.split(), *added])
    return added


def active_flags(environ: dict[str, str] | None = None) -> list[str]:
    """The XLA flags in effect for this process (as the environment says)."""
    env = os.environ if environ is None else environ
    return env.get("XLA_FLAGS", "").split()


def defaults() -> list[str]:
    """The CPU default flags as ``--flag=value`` strings."""
    return [f"{k}={v}" for k, v in CPU_XLA_FLAGS.items()]
