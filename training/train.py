"""Pure step functions and ``train_and_evaluate(config, run_dir)``.

The train step is ``jax.jit(step, donate_argnums=0)`` over a plain pytree state
``{"params", "opt_state", "step", "rng"}`` with the model's graphdef closed over. To add
data-parallel / FSDP sharding later, place ``state`` and the batch with ``NamedSharding``s
(``jax.make_mesh``) and pass ``in_shardings``/``out_shardings`` to the same ``jax.jit``; the
step body does not change.

``python -m training.train`` runs the CLI (training/cli.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from training import provenance
from training.checkpoint import Checkpointer
from training.config import TrainConfig, incompatible_keys
from training.data import Batch, load_dataset
from training.errors import DivergenceError, IncompatibleResumeError
from training.evaluate import (
    evaluate_loss,
    greedy_exact_match,
    make_eval_step,
    make_generate,
    masked_stats,
)
from training.metrics import MetricsWriter, plot_loss_curve
from training.model import GPT
from training.optim import lr_schedule, make_optimizer


def init_state(cfg: TrainConfig, tx: optax.GradientTransformation):
    """(graphdef, state) for a freshly initialised model; params are float32."""
    model = GPT(cfg, nnx.Rngs(params=cfg.seed))
    graphdef, params = nnx.split(model, nnx.Param)
    rng = jax.random.key_data(jax.random.key(cfg.seed + 1))  # raw uint32: checkpointable
    return graphdef, {"params": params, "opt_state": tx.init(params),
                      "step": jnp.zeros((), jnp.int32), "rng": rng}


def make_train_step(graphdef: nnx.GraphDef, cfg: TrainConfig,
                    tx: optax.GradientTransformation, placement=None) -> Callable:
    """``step(state, inputs, targets, mask) -> (state, metrics)``; batch arrays are
    [grad_accum, micro_batch, T]. Gradients of the K micro-batches are summed and divided by
    the total masked-token count, so K micro-batches equal one K-times batch (up to float
    summation order). ``placement`` (training.sharding.Placement) pins the state and batch
    shardings for data-parallel / FSDP runs; None leaves placement to the inputs."""
    schedule = lr_schedule(cfg)

    def loss_sum(params, inputs, targets, mask, key):
        logits = nnx.merge(graphdef, params)(inputs, dropout_key=key)
        total, n, _ = masked_stats(logits, targets, mask)
        return total, n

    grad_fn = jax.value_and_grad(loss_sum, has_aux=True)

    def step(state, inputs, targets, mask):
        params = state["params"]
        key = jax.random.fold_in(jax.random.wrap_key_data(state["rng"]), state["step"])

        def micro(carry, xs):
            g_acc, l_acc, n_acc = carry
            i, inp, tgt, msk = xs
            mkey = jax.random.fold_in(key, i) if cfg.dropout > 0 else None
            (loss, n), grads = grad_fn(params, inp, tgt, msk, mkey)
            return (jax.tree.map(jnp.add, g_acc, grads), l_acc + loss, n_acc + n), None

        zeros = jax.tree.map(jnp.zeros_like, params)
        xs = (jnp.arange(inputs.shape[0]), inputs, targets, mask)
        (grads, loss, n), _ = jax.lax.scan(micro, (zeros, 0.0, 0.0), xs)
        n = jnp.maximum(n, 1.0)
        grads = jax.tree.map(lambda g: g / n, grads)
        updates, opt_state = tx.update(grads, state["opt_state"], params)
        new_state = {"params": optax.apply_updates(params, updates), "opt_state": opt_state,
                     "step": state["step"] + 1, "rng": state["rng"]}
        metrics = {"loss": loss / n, "grad_norm": optax.tree.norm(grads),
                   "lr": schedule(state["step"])}
        return new_state, metrics

    if placement is None:
        return jax.jit(step, donate_argnums=0)
    b = placement.batch
    return jax.jit(step, donate_argnums=0, in_shardings=(placement.state, b, b, b),
                   out_shardings=(placement.state, placement.replicated))


def split_micro(batch: Batch, k: int) -> tuple[np.ndarray, ...]:
    """[B, T] -> [k, B/k, T] for each of inputs/targets/mask."""
    return tuple(x.reshape(k, x.shape[0] // k, *x.shape[1:]) for x in batch)


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


@dataclass
class TrainResult:
    run_dir: Path
    start_step: int
    last_step: int
    losses: dict[int, float] = field(default_factory=dict)  # step -> train loss
    last_eval: dict[str, Any] = field(default_factory=dict)
    stopped_early: bool = False
    seconds: float = 0.0


def write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def train_and_evaluate(cfg: TrainConfig, run_dir: Path, options: RunOptions = RunOptions(),
                       observer: Observer | None = None) -> TrainResult:
    """Train ``cfg`` in ``run_dir``; see docs/training.md for what the run leaves behind."""
    from training import sharding
    from training.loop import Loop  # the loop body lives in its own file (size)

    obs = observer or Observer()
    sharding.initialize_distributed()  # multi-host only when JAX_COORDINATOR_ADDRESS is set
    device = provenance.resolve_device(options.device, options.device_index)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(cfg)
    write_json(run_dir / "config.json", {"config": cfg.to_dict(), "config_hash": cfg.hash()})
    write_json(run_dir / "provenance.json",
               provenance.collect(device, options.device, dataset.info, cfg.seed))
    ckpt = Checkpointer(options.checkpoint_dir or run_dir / "checkpoints", cfg.keep,
                        warn=obs.on_message)
    metrics = MetricsWriter(run_dir / "metrics.jsonl")
    try:
        with jax.default_device(device):
            tx = make_optimizer(cfg)
            graphdef, state = init_state(cfg, tx)
            placement = sharding.for_config(cfg, state)  # None: one device, no mesh
            target = placement.state if placement else device
            state = jax.device_put(state, target)
            start = 0
            if options.resume_from:
                found = ckpt.find(options.resume_from)
                if found is not None:
                    diff = incompatible_keys(found.meta["config"], cfg)
                    if diff:
                        raise IncompatibleResumeError(
                            f"checkpoint {found.store.dir / str(found.step)} was written with a "
                            f"different config; differing keys: {', '.join(diff)}")
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


def nonfinite(*values: float) -> bool:
    return any(not math.isfinite(v) for v in values)


def divergence(step: int, loss: float, grad_norm: float, ckpt: Checkpointer) -> DivergenceError:
    good = ckpt.verified_steps()
    where = (f"last good checkpoint: step {good[-1]} in {ckpt.dir}" if good
             else "no checkpoint was saved before it")
    return DivergenceError(f"training diverged at step {step}: loss={loss}, "
                           f"grad_norm={grad_norm}; stopped ({where})",
                           hint="lower lr, raise warmup_steps, or use precision=f32")


def make_evaluator(cfg: TrainConfig, graphdef, dataset) -> Callable[[Any], dict[str, float]]:
    """``evaluate(params, final) -> {val_loss, val_ppl, val_acc[, exact_match, ...]}``.

    On golden data ``exact_match`` comes from the one-pass check in ``make_eval_step``; the
    final eval also runs the real autoregressive decoder on ``exact_match_examples`` held-out
    examples (``exact_match_greedy``)."""
    golden = bool(dataset.golden_val(1))
    eval_step = make_eval_step(graphdef)
    batches = dataset.val_batches(cfg.batch_size, cfg.eval_batches)
    examples = dataset.golden_val(cfg.exact_match_examples)
    max_new = max((len(e.answer.encode()) + 1 for e in examples), default=0)
    width = min(cfg.seq_len, max((len(e.prompt.encode()) + 1 for e in examples), default=0)
                + max_new)
    generate = make_generate(graphdef, max_new) if examples else None

    def evaluate(params, final: bool = False) -> dict[str, float]:
        out = evaluate_loss(eval_step, params, batches)
        if not golden:
            out.pop("exact_match")
        if final and generate is not None:
            out["exact_match_greedy"] = greedy_exact_match(generate, params, examples, width)
        return out

    return evaluate


if __name__ == "__main__":
    from training.cli import main

    main()
