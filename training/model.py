"""Decoder-only transformer (GPT-2 style, pre-LayerNorm) in Flax NNX. Modules only.

Parameters are always float32 ("master" params); ``dtype`` is the compute dtype (bf16 or
f32, ``auto`` = bf16 on GPU/TPU). Logits are returned in float32 so the loss and softmax are
computed in full precision. Input and output embeddings are tied, as in GPT-2.

With ``scan_layers`` (the default) the blocks are ONE ``Block`` whose parameters carry a
leading layer axis (created under ``nnx.vmap``) and the forward pass is a ``jax.lax.scan``
over that axis: the step is traced once per layer *kind*, not once per layer (on CPU the
scan is unrolled for speed; elsewhere it stays a loop, so compile time is flat in depth).
Positions are GPT-2's learned table or, with ``positions="rope"``, rotary angles applied to
q and k (relative offsets; no position parameters). Attention's implementation is resolved
per device (``training.config.attention_impl``): cuDNN flash attention through
``jax.nn.dot_product_attention`` on GPU + bf16, elsewhere XLA, written out in
:func:`causal_attention`. On CPU the linear layers are ``training.dense.Dense`` (same
parameters as ``nnx.Linear``; their weight gradients take XLA:CPU's fast matmul path).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from training.config import ModelConfig, attention_impl, compute_dtype, layer_scan_unroll
from training.dense import Dense


def _dropout(x: jax.Array, rate: float, key: jax.Array | None) -> jax.Array:
    if key is None or rate == 0.0:
        return x
    keep = jax.random.bernoulli(key, 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


def rope(x: jax.Array) -> jax.Array:
    """Rotary position embedding (RoFormer, Su et al. 2021; GPT-NeoX's half-split layout) of
    ``x[B, T, H, D]`` at positions ``0..T-1``: each pair ``(x_i, x_{i+D/2})`` is rotated by
    ``t * 10000^(-2i/D)``, so ``rope(q)[t] . rope(k)[s]`` depends on ``t - s`` only. Angles in
    float32; the result keeps ``x``'s dtype."""
    t, d = x.shape[1], x.shape[-1]
    half = d // 2
    freq = 1.0 / (10000.0 ** (jnp.arange(half, dtype=jnp.float32) / half))
    angle = jnp.arange(t, dtype=jnp.float32)[:, None] * freq[None, :]
    cos, sin = jnp.cos(angle)[None, :, None, :], jnp.sin(angle)[None, :, None, :]
    x1, x2 = x[..., :half].astype(jnp.float32), x[..., half:].astype(jnp.float32)
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).astype(x.dtype)


def causal_attention(q: jax.Array, k: jax.Array, v: jax.Array, implementation: str
                     ) -> jax.Array:
    """[B, T, H, Q] causal attention; ``implementation`` is "xla" or "cudnn".

    "xla" is written out (scores, causal mask, float32 softmax, weighted sum: the math of
    ``jax.nn.dot_product_attention``'s XLA path without its general mask plumbing), which
    XLA:CPU compiles to fewer, cheaper fusions (docs/performance.md, CPU profile)."""
    if implementation != "xla":
        return jax.nn.dot_product_attention(q, k, v, is_causal=True,
                                            implementation=implementation)
    t, d = q.shape[1], q.shape[-1]
    s = jnp.einsum("bthd,bshd->bhts", q, k, preferred_element_type=jnp.float32) * d ** -0.5
    s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), s, jnp.finfo(jnp.float32).min)
    p = jax.nn.softmax(s, axis=-1).astype(v.dtype)
    return jnp.einsum("bhts,bshd->bthd", p, v)


class CausalSelfAttention(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs, implementation: str = "xla",
                 cpu_layout: bool = False):
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.implementation = implementation
        self.rope = cfg.positions == "rope"
        init = nnx.initializers.normal(0.02)
        # GPT-2: residual projections scaled by 1/sqrt(2 * n_layers) at init.
        proj_init = nnx.initializers.normal(0.02 / (2 * cfg.n_layers) ** 0.5)
        self.qkv = Dense(d, 3 * d, kernel_init=init, dtype=dtype, rngs=rngs,
                         cpu_layout=cpu_layout)
        self.proj = Dense(d, d, kernel_init=proj_init, dtype=dtype, rngs=rngs,
                          cpu_layout=cpu_layout)

    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, d = x.shape
        q, k, v = jnp.split(self.qkv(x), 3, axis=-1)
        shape = (b, t, self.n_heads, d // self.n_heads)
        q, k = q.reshape(shape), k.reshape(shape)
        if self.rope:
            q, k = rope(q), rope(k)
        y = causal_attention(q, k, v.reshape(shape), self.implementation)
        return self.proj(y.reshape(b, t, d))


class MLP(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs, cpu_layout: bool = False):
        d, h = cfg.d_model, cfg.mlp_ratio * cfg.d_model
        init = nnx.initializers.normal(0.02)
        proj_init = nnx.initializers.normal(0.02 / (2 * cfg.n_layers) ** 0.5)
        self.up = Dense(d, h, kernel_init=init, dtype=dtype, rngs=rngs, cpu_layout=cpu_layout)
        self.down = Dense(h, d, kernel_init=proj_init, dtype=dtype, rngs=rngs,
                          cpu_layout=cpu_layout)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.down(jax.nn.gelu(self.up(x)))


class Block(nnx.Module):
    def __init__(self, cfg: ModelConfig, dtype, rngs: nnx.Rngs, implementation: str = "xla",
                 cpu_layout: bool = False):
        self.ln1 = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.attn = CausalSelfAttention(cfg, dtype, rngs, implementation, cpu_layout)
        self.ln2 = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.mlp = MLP(cfg, dtype, rngs, cpu_layout)
        self.dropout = cfg.dropout

    def __call__(self, x: jax.Array, key: jax.Array | None) -> jax.Array:
        k1, k2 = jax.random.split(key) if key is not None else (None, None)
        x = x + _dropout(self.attn(self.ln1(x)), self.dropout, k1)
        return x + _dropout(self.mlp(self.ln2(x)), self.dropout, k2)


class GPT(nnx.Module):
    """``GPT(model_cfg, rngs)(tokens[B, T], dropout_key=None) -> logits[B, T, vocab] (float32)``.

    ``platform`` (a ``jax.Device.platform``; default: JAX's default backend) resolves the
    ``auto`` compute dtype and attention implementation; both are kept as ``self.dtype`` and
    ``self.attention`` (static: part of the graphdef)."""

    def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs, platform: str | None = None):
        platform = platform or jax.default_backend()
        self.dtype = compute_dtype(cfg.dtype, platform)
        self.attention = attention_impl(cfg.attention, platform, self.dtype)
        cpu = platform == "cpu"  # training.dense: weight gradients on XLA:CPU's fast path
        dtype = jnp.dtype(self.dtype)
        init = nnx.initializers.normal(0.02)
        self.wte = nnx.Embed(cfg.vocab_size, cfg.d_model, embedding_init=init, dtype=dtype,
                             rngs=rngs)
        # positions: a learned table added to the input (GPT-2), or none here and rotary
        # angles on q and k inside every attention layer (positions="rope")
        self.wpe = (nnx.Embed(cfg.seq_len, cfg.d_model, embedding_init=init, dtype=dtype,
                              rngs=rngs) if cfg.positions == "learned" else None)
        self.n_layers, self.scan_layers = cfg.n_layers, cfg.scan_layers
        # one stacked parameter tree, traced once; unrolled on CPU (no while loop)
        self.scan_unroll = layer_scan_unroll(cfg.n_layers, platform)
        if cfg.scan_layers:
            @nnx.split_rngs(splits=cfg.n_layers)
            @nnx.vmap(in_axes=(0,), out_axes=0)
            def stacked(rngs: nnx.Rngs) -> Block:
                return Block(cfg, dtype, rngs, self.attention, cpu)

            self.blocks = stacked(rngs)
        else:
            self.blocks = nnx.List([Block(cfg, dtype, rngs, self.attention, cpu)
                                    for _ in range(cfg.n_layers)])
        self.ln_f = nnx.LayerNorm(cfg.d_model, dtype=dtype, rngs=rngs)
        self.dropout = cfg.dropout

    def __call__(self, tokens: jax.Array, dropout_key: jax.Array | None = None) -> jax.Array:
        t = tokens.shape[1]
        x = self.wte(tokens)
        if self.wpe is not None:
            x = x + self.wpe(jnp.arange(t)[None, :])
        keys = (jax.random.split(dropout_key, self.n_layers + 1)
                if dropout_key is not None else None)
        x = _dropout(x, self.dropout, None if keys is None else keys[-1])
        if self.scan_layers:
            graphdef, state = nnx.split(self.blocks)

            def body(h, xs):
                layer, key = xs
                return nnx.merge(graphdef, layer)(h, key), None

            x, _ = jax.lax.scan(body, x, (state, None if keys is None else keys[:-1]),
                                unroll=self.scan_unroll)
        else:
            for i, block in enumerate(self.blocks):
                x = block(x, None if keys is None else keys[i])
        return self.wte.attend(self.ln_f(x)).astype(jnp.float32)


def count_params(model: nnx.Module) -> int:
    """Number of trainable parameters."""
    return sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
