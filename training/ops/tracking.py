"""Experiment tracking: one ``Tracker`` protocol, three backends, an Observer adapter.

Backends (``make_tracker(kind, run_dir)``):
  ``jsonl``        default; ``RUN_DIR/tracking.jsonl``, one JSON object per event, no deps
  ``tensorboard``  scalar event files under ``RUN_DIR/tensorboard`` via ``tensorboardX``
  ``wandb``        Weights & Biases in ``mode="offline"`` under ``RUN_DIR/wandb`` (sync later)
The optional backends import their package lazily; when it is missing, selecting them is a
``UsageError`` with the ``pip install`` line, never an ImportError traceback.

``TrackerObserver(tracker)`` plugs a tracker into ``train_and_evaluate(..., observer=...)``.

CLI: ``python -m training tracking compare RUN_DIR...``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from training.errors import UsageError

KINDS = ("jsonl", "tensorboard", "wandb")
JSONL_NAME = "tracking.jsonl"


@runtime_checkable
class Tracker(Protocol):
    def log_params(self, params: dict[str, Any]) -> None:
        """Record the run's hyper-parameters and provenance (once, first)."""

    def log_metrics(self, step: int, values: dict[str, float], kind: str = "train") -> None:
        """Record scalar values at ``step``; ``kind`` is ``train`` or ``eval``."""

    def close(self) -> None: ...


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


class JsonlTracker:
    """Appends ``{"event": "params"|"metrics", ...}`` lines to RUN_DIR/tracking.jsonl."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / JSONL_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def _write(self, doc: dict[str, Any]) -> None:
        self._fh.write(json.dumps(doc, sort_keys=True, default=str) + "\n")
        self._fh.flush()

    def log_params(self, params: dict[str, Any]) -> None:
        self._write({"event": "params", "time": time.time(), "params": params})

    def log_metrics(self, step: int, values: dict[str, float], kind: str = "train") -> None:
        self._write({"event": "metrics", "kind": kind, "step": int(step), "time": time.time(),
                     "values": {k: _finite(v) for k, v in values.items()}})

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def _require(module: str, package: str, kind: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"tracker {kind!r} needs the {package!r} package, which is not "
                         f"installed", hint=f"pip install {package}  (or use tracker=jsonl)"
                         ) from None


class TensorBoardTracker:
    """Scalars as TensorBoard event files (``tensorboardX.SummaryWriter``)."""

    def __init__(self, run_dir: Path):
        tbx = _require("tensorboardX", "tensorboardX", "tensorboard")
        self.writer = tbx.SummaryWriter(logdir=str(Path(run_dir) / "tensorboard"))

    def log_params(self, params: dict[str, Any]) -> None:
        self.writer.add_text("params", json.dumps(params, sort_keys=True, default=str), 0)

    def log_metrics(self, step: int, values: dict[str, float], kind: str = "train") -> None:
        for key, value in values.items():
            if isinstance(value, int | float):
                self.writer.add_scalar(f"{kind}/{key}", value, int(step))

    def close(self) -> None:
        self.writer.close()


class WandbTracker:
    """W&B, always offline: nothing is sent; ``wandb sync RUN_DIR/wandb/offline-run-*``."""

    def __init__(self, run_dir: Path, project: str = "taskctl-training"):
        wandb = _require("wandb", "wandb", "wandb")
        self.run = wandb.init(project=project, dir=str(run_dir), mode="offline",
                              reinit=True)

    def log_params(self, params: dict[str, Any]) -> None:
        self.run.config.update(params, allow_val_change=True)

    def log_metrics(self, step: int, values: dict[str, float], kind: str = "train") -> None:
        self.run.log({f"{kind}/{k}": v for k, v in values.items()}, step=int(step))

    def close(self) -> None:
        self.run.finish()


def make_tracker(kind: str, run_dir: Path) -> Tracker:
    """The tracker of ``kind`` writing under ``run_dir``."""
    backends = {"jsonl": JsonlTracker, "tensorboard": TensorBoardTracker, "wandb": WandbTracker}
    if kind not in backends:
        raise UsageError(f"unknown tracker {kind!r}; choose from {', '.join(KINDS)}")
    return backends[kind](Path(run_dir))


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """The JSONL tracker's events, in order."""
    path = Path(run_dir) / JSONL_NAME
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _observer_base():
    from training.loop import Observer  # lazy: importing jax is not needed for the protocol

    return Observer


def TrackerObserver(tracker: Tracker,  # noqa: N802 - reads as a class at call sites
                    params: dict[str, Any] | Callable[[], dict[str, Any]] | None = None):
    """An ``Observer`` that forwards the loop's log and eval records to ``tracker``.

    ``params`` (or ``params()``, called when training starts, after config.json and
    provenance.json exist: e.g. ``lambda: run_params(run_dir)``) is logged once, first.
    """

    class _TrackerObserver(_observer_base()):
        def on_start(self, start_step: int, end_step: int) -> None:
            if params is not None:
                doc = params() if callable(params) else params
                tracker.log_params({**doc, "start_step": start_step, "end_step": end_step})

        def on_log(self, record: dict[str, Any]) -> None:
            tracker.log_metrics(record["step"], _values(record), "train")

        def on_eval(self, record: dict[str, Any]) -> None:
            tracker.log_metrics(record["step"], _values(record), "eval")

    return _TrackerObserver()


def _values(record: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in record.items() if k != "step" and isinstance(v, int | float)}


def run_params(run_dir: Path) -> dict[str, Any]:
    """Config, hash, seed, device and git SHA of a run dir (written by train_and_evaluate)."""
    run_dir = Path(run_dir)
    cfg = json.loads((run_dir / "config.json").read_text())
    prov = json.loads((run_dir / "provenance.json").read_text())
    return {"config": cfg["config"], "config_hash": cfg["config_hash"], "seed": prov["seed"],
            "device": prov["device"], "git_sha": prov["git"].get("sha"),
            "dataset": prov["dataset"]}


def summarize(run_dir: Path) -> dict[str, Any]:
    """Final train loss, best val loss, last step and config of a run dir."""
    from training.metrics import read_metrics

    run_dir = Path(run_dir)
    records = read_metrics(run_dir / "metrics.jsonl")
    train = [r for r in records if r.get("loss") is not None]
    vals = [r["val_loss"] for r in records if r.get("val_loss") is not None]
    cfg = json.loads((run_dir / "config.json").read_text())
    return {"run": str(run_dir), "steps": max((r["step"] for r in records), default=0),
            "final_loss": train[-1]["loss"] if train else None,
            "best_val_loss": min(vals) if vals else None,
            "config_hash": cfg["config_hash"], "config": cfg["config"]}


def compare(run_dirs: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """(one summary per run, config keys whose values differ between the runs)."""
    rows = [summarize(d) for d in run_dirs]
    keys = sorted({k for r in rows for k in r["config"]})
    differing = [k for k in keys if len({json.dumps(r["config"].get(k)) for r in rows}) > 1]
    return rows, differing


def render_compare(rows: list[dict[str, Any]], differing: list[str]) -> str:
    def num(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    lines = [f"{'run':40} {'steps':>6} {'loss':>8} {'best_val':>9} {'config':>16} "
             + " ".join(differing)]
    for r in rows:
        extra = " ".join(str(r["config"].get(k)) for k in differing)
        lines.append(f"{r['run'][-40:]:40} {r['steps']:>6} {num(r['final_loss']):>8} "
                     f"{num(r['best_val_loss']):>9} {r['config_hash']:>16} {extra}")
    lines.append("differing keys: " + (", ".join(differing) or "none"))
    return "\n".join(lines)

