"""Decoder-only transformer (GPT-2 style, pre-LayerNorm) in Flax NNX. Modules only.

Parameters are always float32 ("master" params); ``dtype`` is the compute dtype (bf16 or
f32). Logits are returned in float32 so the loss and softmax are computed in full precision.
Input and output embeddings are tied, as in GPT-2.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from training.config import ModelConfig


def _dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    if key is None or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


class CausalSelfAttention(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs):
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        init = nnx.initializers.normal(0.02)
        # GPT-2: residual projections scaled by 1/sqrt(2 * n_layers) at init.
        proj_init = nnx.initializers.normal(0.02 / (2 * cfg.n_layers) ** 0.5)
        self.qkv = nnx.Linear(d, 3 * d, kernel_init=init, dtype=dtype, rngs=rngs)
        self.proj = nnx.Linear(d, d, kernel_init=proj_init, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, d = x.shape
        q, k, v = jnp.split(self.qkv(x), 3, axis=-1)
        shape = (b, t, self.n_heads, d // self.n_heads)
        y = jax.nn.dot_product_attention(q.reshape(shape), k.reshape(shape), v.reshape(shape),
                                         is_causal=True)
        return self.proj(y.reshape(b, t, d))


class MLP(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs):
        d, h = cfg.d_model, cfg.mlp_ratio * cfg.d_model
        init = nnx.initializers.normal(0.02)
        proj_init = nnx.initializers.normal(0.02 / (2 * cfg.n_layers) ** 0.5)
        self.up = nnx.Linear(d, h, kernel_init=init, dtype=dtype, rngs=rngs)
        self.down = nnx.Linear(h, d, kernel_init=proj_init, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.down(jax.nn.gelu(self.up(x)))


class Block(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs):
        self.ln1 = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.attn = CausalSelfAttention(cfg, dtype, rngs)
        self.ln2 = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.mlp = MLP(cfg, dtype, rngs)
        self.dropout = cfg.dropout

    def __call__(self, x: jax.Array, key: jax.Array | None) -> jax.Array:
        k1, k2 = jax.random.split(key) if key is not None else (None, None)
        x = x + _dropout(self.attn(self.ln1(x)), self.dropout, k1)
        return x + _dropout(self.mlp(self.ln2(x)), self.dropout, k2)


class GPT(nnx.Module):
    """``GPT(model_cfg, rngs)(tokens[B, T], dropout_key=None) -> logits[B, T, vocab] (float32)``."""

    def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs):
        dtype = jnp.dtype(cfg.dtype)
        init = nnx.initializers.normal(0.02)
        self.wte = nnx.Embed(cfg.vocab_size, cfg.d_model, embedding_init=init, dtype=dtype,
                             rngs=rngs)
        self.wpe = nnx.Embed(cfg.seq_len, cfg.d_model, embedding_init=init, dtype=dtype,
                             rngs=rngs)
        self.blocks = nnx.List([Block(cfg, dtype, rngs) for _ in range(cfg.n_layers)])
        self.ln_f = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.dropout = cfg.dropout

    def __call__(self, tokens: jax.Array, dropout_key: jax.Array | None = None) -> jax.Array:
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(jnp.arange(t)[None, :])
        keys = (jax.random.split(dropout_key, len(self.blocks) + 1)
                if dropout_key is not None else [None] * (len(self.blocks) + 1))
        x = _dropout(x, self.dropout, keys[-1])
        for block, key in zip(self.blocks, keys, strict=False):
            x = block(x, key)
        return self.wte.attend(self.ln_f(x)).astype(jnp.float32)


def count_params(model: nnx.Module) -> int:
    """Number of trainable parameters."""
    return sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
