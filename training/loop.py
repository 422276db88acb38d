"""The host-side training loop: batches in, steps, logging, eval, early stop, saves.

Also the types the loop speaks: ``RunOptions`` in, ``Observer`` hooks out (the CLI draws
them), ``TrainResult`` back. Setup (run dir, resume) is train.py; step functions are step.py.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax

from training.checkpoint import Checkpointer
from training.config import TrainConfig
from training.errors import DivergenceError
from training.metrics import MetricsWriter
from training.prefetch import Prefetcher
from training.step import make_evaluator, make_train_step, split_micro

PREFETCH_DEPTH = 2  # batches on the device ahead of the step using them


class Observer:
    """Progress hooks; the CLI subclasses this to draw. Default: silent."""

    def on_start(self, start_step: int, end_step: int) -> None: ...
    def on_step(self, step: int, loss: float) -> None: ...
    def on_log(self, record: dict[str, Any]) -> None: ...
    def on_eval(self, record: dict[str, Any]) -> None: ...
    def on_message(self, text: str) -> None: ...
    def on_end(self) -> None: ...


@dataclass(frozen=True)
class RunOptions:
    """Run-level choices that do not change what a step computes (not in the config hash)."""

    checkpoint_dir: Path | None = None  # default RUN_DIR/checkpoints
    device: str = "auto"  # cpu | gpu | tpu | auto (auto: JAX default backend)
    device_index: int = 0
    resume_from: str | None = None  # "latest" or a checkpoint path
    smoke_steps: int = 0  # >0: run only this many steps, log + checkpoint the last one
    # persistent XLA compilation cache (training/compile_cache.py): a rerun or resume of the
    # same config loads the compiled step instead of compiling it again
    compile_cache: Path | None = None  # None: ~/.cache/taskctl-training/jax
    use_compile_cache: bool = True


@dataclass
class TrainResult:
    run_dir: Path
    start_step: int
    last_step: int
    losses: dict[int, float] = field(default_factory=dict)  # step -> train loss
    last_eval: dict[str, Any] = field(default_factory=dict)
    stopped_early: bool = False
    seconds: float = 0.0


def nonfinite(*values: float) -> bool:
    return any(not math.isfinite(v) for v in values)


def divergence(step: int, loss: float, grad_norm: float, ckpt: Checkpointer) -> DivergenceError:
    good = ckpt.verified_steps()
    where = (f"last good checkpoint: step {good[-1]} in {ckpt.dir}" if good
             else "no checkpoint was saved before it")
    return DivergenceError(f"training diverged at step {step}: loss={loss}, "
                           f"grad_norm={grad_norm}; stopped ({where})",
                           hint="lower lr, raise warmup_steps, or use precision=f32")



class Loop:
    def __init__(self, cfg: TrainConfig, options: RunOptions, dataset, device, graphdef, tx,
                 ckpt: Checkpointer, metrics: MetricsWriter, obs: Observer, placement=None):
        self.cfg, self.options, self.dataset, self.device = cfg, options, dataset, device
        self.ckpt, self.metrics, self.obs = ckpt, metrics, obs
        self.train_step = make_train_step(graphdef, cfg, tx, placement)
        self.batch_target = placement.batch if placement else device  # DP/FSDP: split batch
        self.evaluate = make_evaluator(cfg, graphdef, dataset)
        self.best_val = ckpt.best_val_loss()
        self.bad_evals = 0
        self.sync_steps: list[int] = []  # steps after which the host waited for the device

    def meta(self, step: int, record: dict) -> dict:
        cfg, info = self.cfg, self.dataset.info
        return {"step": step, "loss": record.get("loss"), "lr": record.get("lr"),
                "val_loss": record.get("val_loss"),
                "device": {"platform": self.device.platform, "id": self.device.id},
                "dataset": {"key": info.key, "version": info.version, "sha256": info.sha256},
                "config_hash": cfg.hash(), "config": cfg.to_dict(),
                "data_position": {"seed": cfg.seed, "next_step": step,
                                  "examples_seen": step * cfg.batch_size}}

    def put_batch(self, i: int):
        """The batch of step ``i`` (0-based), split into micro-batches, on the device."""
        batch = self.dataset.train_batch(self.cfg.seed, i, self.cfg.batch_size)
        return jax.device_put(split_micro(batch, self.cfg.grad_accum), self.batch_target)

    def run(self, state, start: int, run_dir: Path) -> TrainResult:
        """Dispatch steps without waiting for them: metrics stay on the device and are read
        in one transfer at sync points only (log, eval, save and the last step)."""
        cfg, obs = self.cfg, self.obs
        end = cfg.steps
        if self.options.smoke_steps:
            end = min(end, start + self.options.smoke_steps)
        result = TrainResult(run_dir, start, start)
        obs.on_start(start, end)
        t0 = t_log = time.perf_counter()
        tokens_per_step = cfg.batch_size * cfg.seq_len
        steps_since_log = 0
        record: dict = {}
        pending: list[tuple[int, Any]] = []  # (step, metrics still on the device)
        batches = Prefetcher(self.put_batch, start, end, depth=PREFETCH_DEPTH)
        try:
            for i, arrays in batches:
                step = i + 1  # number of completed optimizer steps after this iteration
                state, m = self.train_step(state, *arrays)
                pending.append((step, m))
                steps_since_log += 1
                last = step == end
                want_log = step % cfg.log_every == 0 or last
                want_eval = bool(cfg.eval_every and step % cfg.eval_every == 0) or (
                    last and not self.options.smoke_steps)
                want_save = step % cfg.save_every_steps == 0 or last
                if not (want_log or want_eval or want_save):
                    continue  # nothing on the host needs this step's numbers yet
                loss, lr, grad_norm = self.drain(pending, result)
                if want_log:
                    now = time.perf_counter()
                    record = {"step": step, "loss": loss, "lr": lr, "grad_norm": grad_norm,
                              "tokens_per_sec": tokens_per_step * steps_since_log
                              / (now - t_log)}
                    self.metrics.write(record)
                    obs.on_log(record)
                    t_log, steps_since_log = now, 0
                stop = want_eval and self.eval_and_track(state, step, result, final=last)
                if want_save or stop:
                    self.ckpt.save(step, state, self.meta(step, {**record, "loss": loss,
                                                                  "lr": lr}))
                if stop:
                    result.stopped_early = True
                    obs.on_message(f"early stop at step {step}: val_loss did not improve for "
                                   f"{cfg.patience} evals (best {self.best_val:.4f})")
                    break
        finally:
            batches.close()
        result.seconds = time.perf_counter() - t0
        obs.on_end()
        return result

    def drain(self, pending: list[tuple[int, Any]], result: TrainResult):
        """Fetch the metrics of every step since the last sync in one device-to-host
        transfer; record them; raise on the first non-finite one. Returns the newest
        (loss, lr, grad_norm)."""
        self.sync_steps.append(pending[-1][0])
        host = jax.device_get([m for _, m in pending])
        for (step, _), m in zip(pending, host, strict=True):
            loss, grad_norm, lr = float(m["loss"]), float(m["grad_norm"]), float(m["lr"])
            if nonfinite(loss, grad_norm):
                self.metrics.write({"step": step, "loss": loss, "grad_norm": grad_norm,
                                    "lr": lr})
                self.ckpt.finalize()  # earlier saves are good; this state is never saved
                raise divergence(step, loss, grad_norm, self.ckpt)
            result.losses[step] = loss
            result.last_step = step
            self.obs.on_step(step, loss)
        pending.clear()
        return loss, lr, grad_norm

    def eval_and_track(self, state, step: int, result: TrainResult, final: bool) -> bool:
        """Evaluate, log, save a new best; True when patience is exhausted."""
        ev = {"step": step, **self.evaluate(state["params"], final)}
        self.metrics.write(ev)
        self.obs.on_eval(ev)
        result.last_eval = ev
        if ev["val_loss"] < self.best_val:
            self.best_val, self.bad_evals = ev["val_loss"], 0
            self.ckpt.save(step, state, self.meta(step, ev), best=True)
            return False
        self.bad_evals += 1
        return bool(self.cfg.patience) and self.bad_evals >= self.cfg.patience


