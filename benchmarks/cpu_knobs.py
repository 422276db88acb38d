"""CPU tuning knobs for the JAX train step, each measured against the baseline in ONE run.

``python benchmarks/cpu_knobs.py [--preset bench] [--rounds 4] [--steps 2] [--knobs a,b]``

XLA flags are read once per process, so every variant is its own worker process (started
with its environment, compiled and warmed up first); the driver then asks the workers in
turn for ``--steps`` timed steps, round after round, so machine load falls on all of them
alike (only one worker runs at a time; the others wait on their stdin). Prints per-variant
median step time, the spread (min, max), the ratio baseline/variant (> 1: the knob helps),
the CPU-time median (less sensitive to other processes) and ``uptime`` before and after.

Code knobs that are not config keys (scan ``unroll``, matmul precision) are applied in the
worker before the step is traced; they change no project code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from workers import Remote, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASE_FLAGS = os.environ.get("XLA_FLAGS", "")

# name -> {"xla": extra XLA_FLAGS, "env": extra environment, "set": config overrides,
#          "unroll": lax.scan unroll for the layer scan, "precision": jax matmul precision,
#          "taskset": CPU list to pin the worker to}
KNOBS: dict[str, dict] = {
    "baseline": {},
    "unscanned": {"set": {"scan_layers": "false"}},
    "scan_unroll": {"unroll": True},
    "no_eigen_mt": {"xla": "--xla_cpu_multi_thread_eigen=false"},
    "onednn": {"xla": "--xla_cpu_use_onednn=true"},
    "onednn_fusion": {"xla": "--xla_cpu_experimental_onednn_fusion_type=dot,eltwise"},
    "no_xnnpack": {"xla": "--xla_cpu_use_xnnpack=false"},
    "ynn_dot": {"xla": "--xla_cpu_experimental_ynn_fusion_type=+individual_dot"},
    "fast_math": {"xla": "--xla_cpu_enable_fast_math=true"},
    "vec512": {"xla": "--xla_cpu_prefer_vector_width=512"},
    "concurrency_sched": {"xla": "--xla_cpu_enable_concurrency_optimized_scheduler=true"},
    "precision_highest": {"precision": "highest"},
    "pinned": {"taskset": "0,1"},
    # data parallel over two host devices (one per core): the same step, the batch split in two
    "dp2": {"xla": "--xla_force_host_platform_device_count=2", "mesh": 2},
    "no_concurrency_sched": {"xla": "--xla_cpu_enable_concurrency_optimized_scheduler=false"},
    "xnn_graph": {"xla": "--xla_cpu_experimental_xnn_graph_fusion_mode=greedy"},
    "custom_tiling": {"xla": "--xla_cpu_enable_custom_matmul_tiling=true"},
}
# Not knobs here: --xla_cpu_use_thunk_runtime=false ("no longer supported", a no-op in jaxlib
# 0.10.2); OMP_NUM_THREADS (XLA's CPU backend does not use OpenMP); donate_argnums (already on)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


# ---------------------------------------------------------------- worker (one variant)
def worker(spec: dict, preset: str, warmup: int) -> None:
    """Compile the real train step under ``spec``, then serve ``run K`` requests on stdin."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    if spec.get("precision"):
        jax.config.update("jax_default_matmul_precision", spec["precision"])
    if spec.get("unroll"):
        scan = jax.lax.scan  # the layer scan (and the length-1 micro-batch scan) unrolled
        jax.lax.scan = lambda *a, **k: scan(*a, **{**k, "unroll": spec["unroll"]})
    sys.path.insert(0, str(ROOT))
    from training.config import make_config
    from training.data.dataset import load_dataset
    from training.optim import make_optimizer
    from training.step import init_state, make_train_step, split_micro

    cfg = make_config(preset, spec.get("set", {}))
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    placement = None
    if spec.get("mesh"):
        from training import sharding

        placement = sharding.placement(state, sharding.make_mesh(spec["mesh"]), False)
        state = jax.device_put(state, placement.state)
    step = make_train_step(graphdef, cfg, tx, placement)
    data = load_dataset(cfg)
    put = placement.batch if placement else None
    batches = [jax.device_put(split_micro(data.train_batch(cfg.seed, i, cfg.batch_size),
                                          cfg.grad_accum), put) for i in range(8)]
    box = {"state": state}

    def one(i: int) -> dict:
        box["state"], m = step(box["state"], *batches[i % 8])
        jax.block_until_ready((box["state"], m))
        return {"loss": float(m["loss"])}

    for i in range(warmup):
        one(i)
    serve(one, 0, {})


# ---------------------------------------------------------------- driver
def start(name: str, preset: str, warmup: int) -> Remote:
    spec = KNOBS[name]
    env = {**os.environ, "JAX_PLATFORMS": "cpu", **spec.get("env", {}),
           "XLA_FLAGS": " ".join(x for x in (BASE_FLAGS, spec.get("xla", "")) if x)}
    cmd = [sys.executable, __file__, "--worker", name, "--preset", preset,
           "--warmup", str(warmup)]
    if spec.get("taskset"):
        cmd = ["taskset", "-c", spec["taskset"], *cmd]
    return Remote(cmd, env, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bench")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=2, help="timed steps per variant per round")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--knobs", default=",".join(k for k in KNOBS if k != "baseline"),
                    help="comma-separated knobs measured against the baseline")
    ap.add_argument("--json", type=Path, help="write the raw samples here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(KNOBS[args.worker], args.preset, args.warmup)
    names = ["baseline", *[k for k in args.knobs.split(",") if k and k != "baseline"]]
    unknown = [n for n in names if n not in KNOBS]
    if unknown:
        sys.exit(f"unknown knob(s) {', '.join(unknown)}; known: {', '.join(KNOBS)}")
    before = uptime()
    print(f"before: {before}", flush=True)
    procs = {}
    for n in names:  # one at a time: compiles do not overlap each other
        procs[n] = start(n, args.preset, args.warmup)
        try:
            procs[n].ask()
        except RuntimeError as exc:
            print(f"{n}: {exc}; skipped", flush=True)
            procs.pop(n)
    wall = {n: [] for n in procs}
    cpu = {n: [] for n in procs}
    loss = {}
    for r in range(args.rounds):
        order = list(procs) if r % 2 == 0 else list(reversed(procs))  # no fixed position
        for n in order:
            res = procs[n].ask(f"run {args.steps}")
            wall[n] += res["wall"]
            cpu[n] += res["cpu"]
            loss[n] = res["loss"]
        print(f"round {r + 1}: load {os.getloadavg()[0]:.2f}", flush=True)
        report(wall, cpu, loss)  # so far: a run cut short still leaves its figures
        if args.json:
            args.json.write_text(json.dumps({
                "preset": args.preset, "rounds_done": r + 1, "steps": args.steps,
                "uptime_before": before, "uptime_now": uptime(), "wall_s": wall, "cpu_s": cpu,
                "knobs": {n: KNOBS[n] for n in procs}}, indent=1))
    for p in procs.values():
        p.close()
    print(f"\nbefore: {before}\nafter:  {uptime()}")


def report(wall: dict, cpu: dict, loss: dict) -> None:
    """Per-knob median, spread and ratio to the baseline (> 1: the knob is faster)."""
    base = statistics.median(wall["baseline"])
    base_cpu = statistics.median(cpu["baseline"])
    print(f"{'knob':20s} {'median ms':>9s} {'min':>6s} {'max':>6s} {'base/knob':>9s} "
          f"{'cpu ms':>7s} {'base/knob cpu':>13s} {'last loss':>9s}")
    for n in wall:
        w, c = statistics.median(wall[n]), statistics.median(cpu[n])
        print(f"{n:20s} {w * 1e3:9.0f} {min(wall[n]) * 1e3:6.0f} {max(wall[n]) * 1e3:6.0f} "
              f"{base / w:9.3f} {c * 1e3:7.0f} {base_cpu / c:13.3f} {loss[n]:9.4f}")


if __name__ == "__main__":
    main()
