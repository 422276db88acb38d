"""Learning-rate schedule, weight-decay mask and the optax transformation.

Weight decay (AdamW, decoupled) applies only to matmul kernels (Linear ``kernel`` params,
ndim >= 2). Not decayed: biases and LayerNorm scales (decaying them only fights the
normalisation) and the token/position embeddings (tied to the output head here; decaying a
lookup table shrinks rare tokens' vectors just because they are rare).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from training.config import TrainConfig


def lr_schedule(cfg: TrainConfig) -> optax.Schedule:
    """Linear warmup 0 -> lr over ``warmup_steps``, then cosine lr -> min_lr by decay_steps.

    ``schedule(step)`` is the lr used by the update that *completes* step ``step + 1``, so the
    first update uses ``lr / warmup_steps`` rather than 0 (a wasted step).
    """

    def schedule(step):
        step = jnp.asarray(step, jnp.float32) + 1.0
        warm = cfg.lr * step / max(cfg.warmup_steps, 1)
        span = max(cfg.decay_steps - cfg.warmup_steps, 1)
        progress = jnp.clip((step - cfg.warmup_steps) / span, 0.0, 1.0)
        cosine = cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1.0 + jnp.cos(jnp.pi * progress))
        return jnp.where(step <= cfg.warmup_steps, warm, cosine)

    return schedule


def decay_mask(params):
    """True for leaves that get weight decay (Linear kernels); same tree as ``params``."""

    def decide(path, leaf) -> bool:
        names = [str(getattr(k, "key", getattr(k, "name", k))) for k in path]
        return "kernel" in names and leaf.ndim >= 2

    return jax.tree_util.tree_map_with_path(decide, params)


def make_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    """Global-norm clipping, then AdamW with the masked decay and the schedule above."""
    adamw = optax.adamw(lr_schedule(cfg), b1=cfg.beta1, b2=cfg.beta2, eps=1e-8,
                        weight_decay=cfg.weight_decay, mask=decay_mask)
    if cfg.grad_clip > 0:
        return optax.chain(optax.clip_by_global_norm(cfg.grad_clip), adamw)
    return adamw
