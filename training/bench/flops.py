"""Model FLOPs, device peaks and MFU.

Per token (nanoGPT, PaLM appendix B): ``6·N + 12·L·H·Q·T`` where N is the parameter count
without the position embedding (the tied token embedding *is* counted: it is the LM head
matmul), L layers, H heads, Q head dim, T sequence length. The attention term counts the
full T×T score and value matmuls, as nanoGPT does; MaxText halves it for causal masking. We
report MFU both ways (``mfu`` = nanoGPT convention, ``mfu_causal`` = halved attention term).
XLA's CPU/GPU attention here computes the full masked T×T matrix, so the unhalved figure
matches the work the hardware actually does.
"""

from __future__ import annotations

import time
from typing import Any

from training.config import TrainConfig

# Nominal dense peaks in TFLOP/s (no 2:4 sparsity), vendor data sheets. Matched as a
# lowercase substring of ``jax.Device.device_kind``; first match wins (specific first).
NOMINAL_PEAK_TFLOPS: list[tuple[str, dict[str, float]]] = [
    # "tf32": what f32 matmuls reach on NVIDIA tensor cores at JAX's default matmul
    # precision (f32 inputs rounded to TF32); "f32": true IEEE f32 (precision=highest).
    ("h200", {"bf16": 989.0, "tf32": 494.0, "f32": 67.0}),
    ("h100 pcie", {"bf16": 756.0, "tf32": 378.0, "f32": 51.0}),
    ("h100", {"bf16": 989.0, "tf32": 494.0, "f32": 67.0}),  # SXM
    ("a100", {"bf16": 312.0, "tf32": 156.0, "f32": 19.5}),
    ("l40s", {"bf16": 362.0, "tf32": 183.0, "f32": 91.6}),
    ("a10g", {"bf16": 70.0, "tf32": 35.0, "f32": 31.2}),
    ("rtx 4090", {"bf16": 165.0, "tf32": 82.6, "f32": 82.6}),
    ("v100", {"bf16": 125.0, "f32": 15.7}),  # fp16 tensor cores (no bf16, no TF32)
    ("tpu v5p", {"bf16": 459.0}),
    ("tpu v5 lite", {"bf16": 197.0}),  # v5e
    ("tpu v5e", {"bf16": 197.0}),
    ("tpu v4", {"bf16": 275.0}),
    ("tpu v6", {"bf16": 918.0}),  # Trillium
]


def param_count(cfg: TrainConfig) -> int:
    """Trainable parameters of training.model.GPT (tied embeddings), computed from shapes."""
    d, h, v = cfg.d_model, cfg.mlp_ratio * cfg.d_model, cfg.vocab_size
    ln = 2 * d
    block = ln + (d * 3 * d + 3 * d) + (d * d + d) + ln + (d * h + h) + (h * d + d)
    return v * d + cfg.seq_len * d + cfg.n_layers * block + ln


def flops_per_token(cfg: TrainConfig, causal_halved: bool = False) -> float:
    """Training FLOPs (forward + backward) per token: 6·N + 12·L·H·Q·T."""
    n = param_count(cfg) - cfg.seq_len * cfg.d_model  # position embedding is a lookup
    q = cfg.d_model // cfg.n_heads
    attn = 12 * cfg.n_layers * cfg.n_heads * q * cfg.seq_len
    return 6 * n + (attn / 2 if causal_halved else attn)


def flops_per_step(cfg: TrainConfig, causal_halved: bool = False) -> float:
    return flops_per_token(cfg, causal_halved) * cfg.batch_size * cfg.seq_len


def matmul_dtype(compute: str, platform: str, matmul_precision: str | None) -> str:
    """The peak an MFU should be measured against: ``bf16``, or for f32 compute on an NVIDIA
    GPU at JAX's default matmul precision ``tf32`` (tensor cores round f32 inputs to TF32;
    measuring against the IEEE f32 peak would give MFU > 100 %), else ``f32``."""
    if compute in ("bf16", "bfloat16"):
        return "bf16"
    exact = matmul_precision in ("highest", "float32", "HIGHEST")
    return "tf32" if platform in ("gpu", "cuda") and not exact else "f32"


def nominal_peak(device_kind: str, dtype: str) -> float | None:
    """Vendor dense peak in FLOP/s for a known GPU/TPU, else None (CPUs: always None).
    ``dtype`` is "bf16", "tf32" or "f32"."""
    kind = device_kind.lower()
    for key, peaks in NOMINAL_PEAK_TFLOPS:
        if key in kind:
            tflops = peaks.get(dtype)
            return tflops * 1e12 if tflops else None
    return None


def measure_matmul_peak(device, dtype: str = "f32", n: int | None = None,
                        repeats: int = 5) -> dict[str, Any]:
    """Best-of-``repeats`` FLOP/s of one square ``jnp.dot`` on ``device`` (and the mean over
    all repeats).

    n defaults to 2048 on CPU (≈ 40 ms a product here) and 8192 on accelerators."""
    import jax
    import jax.numpy as jnp

    n = n or (2048 if device.platform == "cpu" else 8192)
    dt = {"f32": jnp.float32, "bf16": jnp.bfloat16}[dtype]
    with jax.default_device(device):
        a = jax.random.normal(jax.random.key(0), (n, n), dt)
        b = jax.random.normal(jax.random.key(1), (n, n), dt)
        dot = jax.jit(jnp.dot)
        dot(a, b).block_until_ready()  # compile + warm
        wall, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            dot(a, b).block_until_ready()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    best = min(wall)
    return {"dtype": dtype, "n": n, "repeats": repeats, "seconds": best,
            "flops_per_s": 2 * n**3 / best,
            # over the whole sample, like a step's wall time (best-of would catch the quiet
            # moments a multi-second step cannot): what a step is paired with (train_bench)
            "mean_flops_per_s": 2 * n**3 * repeats / sum(wall),
            # FLOPs per second of CPU time this process got: robust to other load (CPU only)
            "flops_per_cpu_s": 2 * n**3 / sorted(cpu)[len(cpu) // 2]}
