"""The JSON record envelope shared by the step bench and the ODE bench (written with
``training.jsonio.write_json``).

Every record has ``schema_version``, ``kind`` ("train_step" | "ode_rk4"), ``created`` (UTC),
``git``, ``versions``, ``devices`` and ``host`` (CPU count and load average when measured:
figures taken on a loaded machine are noisy).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def environment() -> dict[str, Any]:
    """Devices, versions, git SHA and host load; importing jax here is fine (bench only)."""
    import jax

    from training import provenance

    try:
        load = list(os.getloadavg())
    except OSError:
        load = None
    return {
        "schema_version": SCHEMA_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": provenance.git_state(Path(__file__).parent),
        "versions": {"python": sys.version.split()[0],
                     **{n: provenance._version(n) for n in
                        ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy")}},
        "backend": jax.default_backend(),
        "devices": provenance.devices_summary(),
        "process_count": jax.process_count(),
        "host": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                 "loadavg_1_5_15": load},
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]
