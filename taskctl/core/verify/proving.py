"""Faster proving: how many tasks at once, in which order, on which CI shard, and the caches
acceptance commands share.

- `--jobs auto` = the CPUs this process may use.
- Slowest first (by the durations recorded in the evidence), so the longest item does not
  start last and leave the other workers idle at the end.
- `gate --shard K/N`: a deterministic split of the gated tasks over N CI jobs, balanced by
  recorded durations (longest-processing-time first onto the least-loaded shard). Every job
  computes the same split from the same checkout; shards write disjoint evidence files (one
  per item), so their outputs merge without conflicts; a final `gate --check` verifies them.
- A persistent JAX compilation cache under `.tasks/.cache/jax`, shared by every item (JAX
  keys entries by program and versions, so a hit is the same executable, never a stale result).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from taskctl.core.files import jsonread
from taskctl.core.model import Backlog
from taskctl.core.verify import evidence
from taskctl.errors import UsageError

UNKNOWN_S = 30.0  # a task never run before: a guess, so it is neither first nor last
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
JAX_CACHE = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
             "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_jobs(value: str | int) -> int:
    """`auto` (the usable CPUs) or a positive integer."""
    if isinstance(value, int):
        n = value
    elif value.strip().lower() == "auto":
        return cpus()
    else:
        try:
            n = int(value)
        except ValueError:
            n = 0
    if n < 1:
        raise UsageError(f"--jobs {value!r}: want a positive number or 'auto'",
                         "e.g. --jobs 4, or --jobs auto for one per CPU")
    return n


MAX_SHARDS = 1024  # CI matrices stop far below (GitHub Actions: 256 jobs)


def parse_shard(value: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N <= MAX_SHARDS."""
    m = _SHARD.fullmatch(value.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)) <= MAX_SHARDS:
        raise UsageError(f"--shard {value!r}: want K/N with 1 <= K <= N <= {MAX_SHARDS}",
                         "e.g. --shard 2/4 in the second of four CI jobs")
    return int(m.group(1)), int(m.group(2))


def _duration(root: Path, task_id: str, index: int) -> float | None:
    """`duration_s` of the stored record, signed (a DSSE envelope) or bare. Unverified on
    purpose: it only orders and balances work, it proves nothing."""
    try:
        data = jsonread.loads(evidence.read_bytes(evidence.item_path(root, task_id, index))
                              .decode("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("payload"), str):
            data = jsonread.loads(base64.b64decode(data["payload"]).decode("utf-8"))
            data = data.get("predicate") if isinstance(data, dict) else None
    except (OSError, ValueError):  # JsonLimit, binascii.Error, UnicodeDecodeError included
        return None
    d = data.get("duration_s") if isinstance(data, dict) else None
    return float(d) if isinstance(d, (int, float)) and d >= 0 else None


def recorded_seconds(bl: Backlog, task_id: str) -> float:
    """How long the task's run items took when last recorded (UNKNOWN_S per unrecorded)."""
    total = 0.0
    for item in bl.tasks[task_id].acceptance:
        if not item.manual:
            d = _duration(bl.root, task_id, item.index)
            total += UNKNOWN_S if d is None else d
    return total


def slowest_first(bl: Backlog, ids: list[str]) -> list[str]:
    """`ids` by recorded duration, longest first (ties keep the given order)."""
    cost = {t: recorded_seconds(bl, t) for t in ids}
    return sorted(ids, key=lambda t: -cost[t])


def shard(bl: Backlog, ids: list[str], k: int, n: int) -> list[str]:
    """The tasks of shard k of n: LPT over recorded durations, ties by id (deterministic)."""
    cost = {t: recorded_seconds(bl, t) for t in ids}
    loads = [0.0] * n
    mine = []
    for t in sorted(ids, key=lambda t: (-cost[t], t)):
        target = min(range(n), key=lambda s: (loads[s], s))
        loads[target] += cost[t]
        if target == k - 1:
            mine.append(t)
    return [t for t in ids if t in set(mine)]


def shared_env(env: dict[str, str], root: Path) -> None:
    """Point the command's JAX at the shared persistent compile cache (unless the item or the
    caller chose one). Skipped for a tree we may not write to."""
    if "JAX_COMPILATION_CACHE_DIR" in env or os.environ.get("TASKCTL_NO_CACHE"):
        return
    cache = root / ".cache" / "jax"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if not os.access(cache, os.W_OK):
        return
    env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    for k, v in JAX_CACHE.items():
        env.setdefault(k, v)
