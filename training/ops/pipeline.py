"""Pipelines over the trainer: train (retrying transient failures with resume) -> export ->
register, and several runs one after another.

``RUN_DIR/pipeline.json`` records every stage and training attempt::

    {"stages": [{"stage": "train", "status": "ok", "attempts": [...]},
                {"stage": "export", ...}, {"stage": "register", ..., "version": "..."}]}

CLI: ``python -m training pipeline --preset tiny [--set k=v ...] --run-dir R
--registry DIR --name NAME [--retries N]``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from training.config import TrainConfig
from training.errors import DivergenceError, TrainingError, UsageError
from training.jsonio import write_json

# Deterministic failures: retrying them would fail the same way.
NOT_RETRYABLE = (UsageError, DivergenceError)


def train_with_retry(cfg: TrainConfig, run_dir: Path, retries: int = 1, options=None,
                     observer=None) -> tuple[Any, list[dict[str, Any]]]:
    """Train; on a transient failure resume from the latest verified checkpoint, up to
    ``retries`` more times. Returns (TrainResult, attempts)."""
    from dataclasses import replace

    from training.train import RunOptions, train_and_evaluate

    options = options or RunOptions()
    attempts: list[dict[str, Any]] = []
    for n in range(retries + 1):
        opts = options if n == 0 else replace(options, resume_from="latest")
        t0 = time.perf_counter()
        try:
            result = train_and_evaluate(cfg, run_dir, opts, observer)
        except NOT_RETRYABLE:
            raise
        except Exception as exc:  # transient: preemption, I/O, runtime faults
            attempts.append({"attempt": n + 1, "status": "failed",
                             "error": f"{type(exc).__name__}: {exc}",
                             "seconds": round(time.perf_counter() - t0, 3)})
            if n == retries:
                raise TrainingError(f"training failed after {n + 1} attempt(s): "
                                    f"{type(exc).__name__}: {exc}") from exc
            continue
        attempts.append({"attempt": n + 1, "status": "ok", "start_step": result.start_step,
                         "last_step": result.last_step,
                         "seconds": round(time.perf_counter() - t0, 3)})
        return result, attempts
    raise AssertionError("unreachable")


def _write(run_dir: Path, doc: dict[str, Any]) -> None:
    write_json(Path(run_dir) / "pipeline.json", doc)


def run_pipeline(cfg: TrainConfig, run_dir: Path, registry_root: Path, name: str,
                 retries: int = 1, options=None, observer=None) -> dict[str, Any]:
    """train -> export (RUN_DIR/export) -> register; pipeline.json is rewritten per stage."""
    from training.ops.export import export_run
    from training.ops.registry import Registry, parse_ref

    parse_ref(name)  # a bad name fails before any compute is spent
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"config_hash": cfg.hash(), "name": name, "stages": []}
    try:
        result, attempts = train_with_retry(cfg, run_dir, retries, options, observer)
        doc["stages"].append({"stage": "train", "status": "ok", "attempts": attempts,
                              "last_step": result.last_step})
        _write(run_dir, doc)
        meta = export_run(run_dir, run_dir / "export")
        doc["stages"].append({"stage": "export", "status": "ok", "dir": str(run_dir / "export"),
                              "format": meta["stablehlo_format"]})
        _write(run_dir, doc)
        version = Registry(registry_root).register(name, run_dir)
        doc["stages"].append({"stage": "register", "status": "ok", "version": str(version)})
    except Exception as exc:
        doc["stages"].append({"stage": "failed", "status": "failed",
                              "error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        _write(run_dir, doc)
    return doc


def run_many(configs: list[TrainConfig], root: Path, options=None,
             names: list[str] | None = None) -> list[dict[str, Any]]:
    """Train each config in ``root/<name>`` in turn; append a summary line per run to
    ``root/runs.jsonl``. A failing run is recorded and the others still run."""
    from training.ops.tracking import summarize
    from training.train import RunOptions, train_and_evaluate

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    names = names or [f"run-{i:03d}" for i in range(len(configs))]
    out = []
    for name, cfg in zip(names, configs, strict=True):
        run_dir = root / name
        try:
            train_and_evaluate(cfg, run_dir, options or RunOptions())
            row = {"name": name, "status": "ok", **summarize(run_dir)}
        except TrainingError as exc:
            row = {"name": name, "status": "failed", "error": str(exc), "run": str(run_dir),
                   "config": cfg.to_dict(), "config_hash": cfg.hash()}
        out.append(row)
        with open(root / "runs.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    return out

