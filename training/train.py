"""``train_and_evaluate(config, run_dir)``: set up a run, resume if asked, run the loop.

Writes config.json and provenance.json, opens the checkpointer and metrics.jsonl, restores a
checkpoint (refusing one written under an incompatible config), then hands over to
``training.loop.Loop``. The step functions live in training/step.py. The CLI is
``python -m training train`` (training/cli/train.py).
"""

from __future__ import annotations

from pathlib import Path

import jax

from training import compile_cache, provenance, sharding
from training.checkpoint import Checkpointer
from training.config import TrainConfig, incompatible_keys
from training.data.dataset import load_dataset
from training.errors import IncompatibleResumeError
from training.jsonio import atomic_write, write_json
from training.loop import Loop, Observer, RunOptions, TrainResult
from training.metrics import MetricsWriter, plot_loss_curve
from training.optim import make_optimizer
from training.step import init_state

# The API of train_and_evaluate, importable from here.
__all__ = ["Observer", "RunOptions", "TrainResult", "train_and_evaluate"]


def train_and_evaluate(cfg: TrainConfig, run_dir: Path, options: RunOptions = RunOptions(),
                       observer: Observer | None = None) -> TrainResult:
    """Train ``cfg`` in ``run_dir``; see docs/training.md for what the run leaves behind."""
    obs = observer or Observer()
    sharding.initialize_distributed()  # multi-host only when JAX_COORDINATOR_ADDRESS is set
    if options.use_compile_cache:  # before anything compiles
        compile_cache.enable(options.compile_cache)
    device = provenance.resolve_device(options.device, options.device_index)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(cfg)
    ckpt = Checkpointer(options.checkpoint_dir or run_dir / "checkpoints", cfg.keep,
                        warn=obs.on_message)
    try:  # an incompatible resume is refused before the run's metadata is rewritten
        found = resume_point(ckpt, options.resume_from, cfg)
    except BaseException:
        ckpt.close()
        raise
    if getattr(dataset, "tokenizer_json", None):  # bpe: the run decodes with exactly this
        atomic_write(run_dir / "tokenizer.json", dataset.tokenizer_json)
    write_json(run_dir / "config.json", {"config": cfg.to_dict(), "config_hash": cfg.hash()})
    write_json(run_dir / "provenance.json",
               {**provenance.collect(device, options.device, dataset.info, cfg.seed),
                "compute": provenance.compute_choices(cfg, device.platform)})
    metrics = MetricsWriter(run_dir / "metrics.jsonl")
    try:
        with jax.default_device(device):
            tx = make_optimizer(cfg)
            graphdef, state = init_state(cfg, tx, device.platform)
            placement = sharding.for_config(cfg, state)  # None: one device, no mesh
            target = placement.state if placement else device
            state = jax.device_put(state, target)
            start = 0
            if found is not None:
                state = jax.device_put(found.state(state), target)
                start = found.step
                obs.on_message(f"resumed from step {start} ({found.store.dir})")
            loop = Loop(cfg, options, dataset, device, graphdef, tx, ckpt, metrics, obs,
                        placement)
            result = loop.run(state, start, run_dir)
    finally:
        ckpt.close()
        metrics.close()
        plot_loss_curve(run_dir / "metrics.jsonl", run_dir / "loss.png")
    return result


def resume_point(ckpt: Checkpointer, source: str | None, cfg: TrainConfig):
    """The verified checkpoint to resume from (None: start afresh), refused with the
    differing keys when it was written with an incompatible config."""
    if not source:
        return None
    found = ckpt.find(source)
    if found is not None and (diff := incompatible_keys(found.meta["config"], cfg)):
        raise IncompatibleResumeError(
            f"checkpoint {found.store.dir / str(found.step)} was written with a different "
            f"config; differing keys: {', '.join(diff)}")
    return found
