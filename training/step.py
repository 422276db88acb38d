"""Pure step functions: model + optimizer state init, the jitted train step, the evaluator.

The train step is ``jax.jit(step, donate_argnums=0)`` over a plain pytree state
``{"params", "opt_state", "step", "rng"}`` with the model's graphdef closed over. Data-parallel /
FSDP runs place ``state`` and the batch with ``NamedSharding``s (training/sharding.py) and pass
``in_shardings``/``out_shardings`` to the same ``jax.jit``; the step body does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from training.config import TrainConfig
from training.data.dataset import Batch
from training.evaluate import (
    evaluate_loss,
    greedy_exact_match,
    make_eval_step,
    make_generate,
    masked_stats,
)
from training.model import GPT
from training.optim import lr_schedule


def init_state(cfg: TrainConfig, tx: optax.GradientTransformation,
               platform: str | None = None):
    """(graphdef, state) for a freshly initialised model; params are float32. ``platform``
    resolves the ``auto`` compute dtype and attention (default: JAX's default backend)."""
    model = GPT(cfg.model, nnx.Rngs(params=cfg.seed), platform)
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
        # one micro-batch (the usual case): unrolled, so no while loop around the whole step
        (grads, loss, n), _ = jax.lax.scan(micro, (zeros, 0.0, 0.0), xs,
                                           unroll=inputs.shape[0] == 1)
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
    width = min(cfg.seq_len + 1, max((len(e.prompt.encode()) + 1 for e in examples), default=0)
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
