"""Small hyper-parameter search over ``--set`` overrides: grid or seeded random.

Each trial is a short ``train_and_evaluate`` in ``OUT/trial-NNN`` (via ``run_many``), ranked
by best validation loss (final train loss when no eval ran). Writes ``OUT/runs.jsonl`` (one
line per trial) and ``OUT/best.json``.

CLI: ``python -m training hpsearch --space lr=1e-3,3e-3 --space warmup_steps=1,2
[--mode grid|random --trials N --seed S] --steps 3 --out DIR [--set k=v ...]``.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

from training.errors import UsageError
from training.jsonio import write_json


def parse_space(items: list[str]) -> dict[str, list[str]]:
    """``["lr=1e-3,3e-3"]`` -> ``{"lr": ["1e-3", "3e-3"]}`` (values stay strings: the
    config parses them by declared type, exactly like ``--set``)."""
    space: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        choices = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not choices:
            raise UsageError(f"--space expects key=v1,v2,..., got {item!r}")
        space[key.strip()] = choices
    if not space:
        raise UsageError("give at least one --space key=v1,v2")
    return space


def trials(space: dict[str, list[str]], mode: str = "grid", n: int = 0,
           seed: int = 0) -> list[dict[str, str]]:
    """Grid: the cartesian product (first ``n`` if n > 0). Random: ``n`` seeded draws."""
    keys = sorted(space)
    if mode == "grid":
        out = [dict(zip(keys, combo, strict=True))
               for combo in itertools.product(*(space[k] for k in keys))]
        return out[:n] if n > 0 else out
    if mode == "random":
        if n <= 0:
            raise UsageError("--mode random needs --trials N > 0")
        rng = random.Random(seed)
        return [{k: rng.choice(space[k]) for k in keys} for _ in range(n)]
    raise UsageError(f"--mode {mode!r}: choose grid or random")


def score(row: dict[str, Any]) -> float:
    for key in ("best_val_loss", "final_loss"):
        if row.get(key) is not None:
            return float(row[key])
    return float("inf")


def search(preset: str, base: dict[str, str], space: dict[str, list[str]], out: Path,
           mode: str = "grid", n: int = 0, seed: int = 0, options=None) -> dict[str, Any]:
    """Run every trial; return (and write) best.json's document."""
    from training.config import make_config
    from training.ops.pipeline import run_many

    chosen = trials(space, mode, n, seed)
    configs = [make_config(preset, {**base, **t}) for t in chosen]  # all validated up front
    names = [f"trial-{i:03d}" for i in range(len(chosen))]
    rows = run_many(configs, out, options, names)
    for row, overrides in zip(rows, chosen, strict=True):
        row["overrides"] = overrides
        row["score"] = score(row)
    ranked = sorted(rows, key=lambda r: r["score"])
    best = {"mode": mode, "space": space, "trials": len(rows),
            "best": {k: ranked[0][k] for k in ("name", "overrides", "score", "config_hash")},
            "ranking": [{"name": r["name"], "score": r["score"], "overrides": r["overrides"]}
                        for r in ranked]}
    write_json(Path(out) / "best.json", best)
    return best

