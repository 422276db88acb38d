"""Compile time of the train step per preset: trace / lower / compile, no step is run.

``python benchmarks/compile_time.py --preset gpt2-124m [--set scan_layers=false] [--rounds 2]``

State and batch are abstract (``jax.eval_shape`` / ``ShapeDtypeStruct``), so even
``gpt2-124m`` (1.5 GB of f32 state) costs no memory; the persistent compile cache is off so
every round really compiles. With several ``--set`` groups (``--variant 'scan_layers=false'
--variant 'scan_layers=true'``) the variants are interleaved round by round, so machine load
hits them alike. Prints one line per measurement and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def measure(preset: str, overrides: dict[str, str]) -> dict[str, float]:
    import jax
    import jax.numpy as jnp

    from training.config import make_config
    from training.optim import make_optimizer
    from training.step import init_state, make_train_step

    cfg = make_config(preset, overrides)
    tx = make_optimizer(cfg)
    t0 = time.perf_counter()
    state = jax.eval_shape(lambda: init_state(cfg, tx)[1])
    graphdef = _graphdef(cfg)
    shape = (cfg.grad_accum, cfg.batch_size // cfg.grad_accum, cfg.seq_len)
    batch = (jax.ShapeDtypeStruct(shape, jnp.int32),) * 2 + \
        (jax.ShapeDtypeStruct(shape, jnp.float32),)
    step = make_train_step(graphdef, cfg, tx)
    t1 = time.perf_counter()
    traced = step.trace(state, *batch)
    t2 = time.perf_counter()
    lowered = traced.lower()
    t3 = time.perf_counter()
    lowered.compile()
    t4 = time.perf_counter()
    return {"setup_s": t1 - t0, "trace_s": t2 - t1, "lower_s": t3 - t2, "compile_s": t4 - t3,
            "total_s": t4 - t1}


def _graphdef(cfg):
    """The model's graphdef without allocating its parameters."""
    from flax import nnx

    from training.model import GPT

    abstract = nnx.eval_shape(lambda: GPT(cfg.model, nnx.Rngs(params=cfg.seed)))
    return nnx.split(abstract, nnx.Param)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="gpt2-124m")
    ap.add_argument("--variant", action="append", default=[],
                    help="comma-separated key=value overrides; repeat to interleave variants")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    variants = args.variant or [""]
    parsed = [dict(kv.split("=", 1) for kv in v.split(",") if kv) for v in variants]
    results: dict[str, list[dict]] = {v: [] for v in variants}
    print(f"load average: {os.getloadavg()}")
    for r in range(args.rounds):
        for name, over in zip(variants, parsed, strict=True):
            m = measure(args.preset, over)
            results[name].append(m)
            print(f"round {r + 1} {args.preset} [{name or 'defaults'}]: "
                  + "  ".join(f"{k} {v:.2f}" for k, v in m.items()), flush=True)
    for name, ms in results.items():
        med = {k: statistics.median(m[k] for m in ms) for k in ms[0]}
        print(f"median {args.preset} [{name or 'defaults'}]: "
              + "  ".join(f"{k} {v:.2f}" for k, v in med.items()))
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
