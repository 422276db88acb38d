"""Where the JAX train step's time goes on CPU, per kind of work (issue 16).

``python benchmarks/step_profile.py [--preset bench] [--steps 3] [--out DIR] [--top N]``

Compiles the real train step with an XLA dump of the optimized HLO, runs ``--steps`` steps
under ``jax.profiler.trace`` and joins the per-thunk events of XLA:CPU's runtime with the HLO:
each fusion/dot is put in one category (dense matmuls through YNNPACK, weight-gradient dots
left to Eigen, attention, GELU, optimizer, layout copies, ...) and the op time per step is
summed per category. Run it pinned to one core (``taskset -c 0``) for per-op times that do
not overlap: on two cores XLA runs independent thunks concurrently and their durations
overlap. ``--top N`` also lists the N most expensive ops with their shapes and GFLOP/s.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = ("$", "ThunkExecutor", "SlinkyThreadPool", "end:")


def op_times(trace_dir: str, steps: int) -> collections.Counter:
    """Microseconds per step for each XLA op name in the newest trace under ``trace_dir``."""
    path = sorted(glob.glob(f"{trace_dir}/**/*.trace.json.gz", recursive=True),
                  key=os.path.getmtime)[-1]
    times: collections.Counter = collections.Counter()
    for e in json.load(gzip.open(path))["traceEvents"]:
        if e.get("ph") == "X" and not e["name"].startswith(SKIP) and "block_until" not in e["name"]:
            times[e["name"]] += e.get("dur", 0) / steps
    return times


def hlo_ops(text: str) -> dict[str, tuple[str, list[int], set[str], int, float]]:
    """ENTRY op name -> (opcode, output dims, opcodes inside its fusion, dot rank, dot FLOPs)."""
    comps: dict[str, list[str]] = {}
    cur = entry = None
    for line in text.splitlines():
        m = re.match(r"^(ENTRY )?%?([\w.\-]+) .*\{$", line)
        if m and not line.startswith(" "):
            cur = m.group(2)
            comps[cur] = []
            entry = cur if m.group(1) else entry
        elif cur and line.startswith("  "):
            comps[cur].append(line.strip())
    pat = re.compile(r"(?:ROOT )?%?([\w.\-]+) = \w+\[([\d,]*)\]\S* ([\w\-]+)\(")

    def dims(s: str) -> list[int]:
        return [int(x) for x in s.split(",") if x]

    def dot_flops(lines: list[str], line: str) -> float:
        shapes = {m.group(1): dims(m.group(2)) for m in map(pat.match, lines) if m}
        lhs = re.search(r" dot\(%?([\w.\-]+),", line).group(1)
        lc = dims(re.search(r"lhs_contracting_dims=\{([\d,]*)\}", line).group(1))
        out = dims(pat.match(line).group(2))
        k = 1
        for i in lc:
            k *= shapes.get(lhs, [1] * (i + 1))[i]
        n = 1
        for x in out:
            n *= x
        return 2.0 * n * k

    ops = {}
    for line in comps.get(entry, []):
        m = pat.match(line)
        if not m:
            continue
        body, rank, flops = set(), 0, 0.0
        call = re.search(r"calls=%?([\w.\-]+)", line)
        if m.group(3) == "dot":
            rank, flops = len(dims(m.group(2))), dot_flops(comps[entry], line)
        elif call and call.group(1) in comps:
            inner = comps[call.group(1)]
            for x in inner:
                mm = pat.match(x)
                if mm and mm.group(3) not in ("parameter", "bitcast", "constant"):
                    body.add(mm.group(3))
                    if mm.group(3) == "dot":
                        rank, flops = len(dims(mm.group(2))), dot_flops(inner, x)
        ops[m.group(1)] = (m.group(3), dims(m.group(2)), body, rank, flops)
    return ops


def category(name: str, op: tuple) -> str:
    """The kind of work an ENTRY op does (heuristics on opcode, fused opcodes and shape)."""
    opcode, shape, body, rank, _ = op
    if opcode == "dot":
        return "weight-gradient dots on Eigen (transposed lhs: not YNNPACK)"
    if "dot" in body:
        return ("dense matmuls (YNNPACK)" if rank == 2
                else "attention: batched QK^T / PV dots (YNNPACK, softmax parts fused)")
    if name.startswith("ynn_fusion"):
        return "YNNPACK reductions (bias / LayerNorm gradients, sums)"
    if body & {"copy", "transpose"} and len(shape) == 2 and shape[1] >= 2048 > shape[0] \
            or body & {"copy", "transpose"} and len(shape) == 2 and shape[1] == 2048:
        return "transposes of activations for weight gradients"
    if len(shape) >= 4:
        return "attention: mask / softmax / scale, head split-merge copies"
    if shape[:1] == [4] or (len(shape) == 2 and body == {"slice"}):
        if body == {"slice"}:
            return "per-layer slices of the stacked parameters (unrolled scan)"
        if body <= {"concatenate", "copy", "transpose"}:
            return "stacking per-layer gradients (unrolled scan)"
        return "optimizer (global-norm clip + AdamW)"
    if "tanh" in body or shape[-1:] == [3072]:
        return "GELU (tanh) forward / backward"
    return "LayerNorm, residual adds, loss, embedding, other elementwise"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bench")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--out", default=None, help="keep the trace and HLO dump here")
    ap.add_argument("--top", type=int, default=0)
    args = ap.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="step-profile-"))
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" --xla_dump_to={out}/hlo"
                               " --xla_dump_hlo_as_text --xla_dump_hlo_pass_re=^$"
                               " --xla_dump_hlo_module_re=jit_step")
    sys.path.insert(0, str(ROOT))
    from training import cpu_tuning

    cpu_tuning.apply()
    import jax

    from training.config import make_config
    from training.data.dataset import load_dataset
    from training.optim import make_optimizer
    from training.step import init_state, make_train_step, split_micro

    cfg = make_config(args.preset)
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    data = load_dataset(cfg)
    batches = [jax.device_put(split_micro(data.train_batch(cfg.seed, i, cfg.batch_size), 1))
               for i in range(2)]
    step = make_train_step(graphdef, cfg, tx)
    for i in range(2):  # compile + warm-up
        state, _ = step(state, *batches[i % 2])
    jax.block_until_ready(state)
    wall, cpu = [], []
    with jax.profiler.trace(str(out / "trace")):
        for i in range(args.steps):
            t0, c0 = time.perf_counter(), time.process_time()
            state, m = step(state, *batches[i % 2])
            jax.block_until_ready((state, m))
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    times = op_times(str(out / "trace"), args.steps)
    hlo = sorted((out / "hlo").glob("*jit_step*cpu_after_optimizations.txt"))[-1]
    ops = hlo_ops(hlo.read_text())
    per: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    for name, t in times.items():
        if name in ops:
            per[category(name, ops[name])] += t
            count[category(name, ops[name])] += 1
    total = sum(per.values()) or 1.0
    print(f"preset {args.preset}: {args.steps} steps, wall {min(wall) * 1e3:.0f}-"
          f"{max(wall) * 1e3:.0f} ms, CPU {min(cpu) * 1e3:.0f}-{max(cpu) * 1e3:.0f} ms/step; "
          f"XLA op time {total / 1e3:.0f} ms/step; load {os.getloadavg()[0]:.2f}; dump {out}")
    print("| category | ops | ms/step | share |\n|---|---|---|---|")
    for cat, t in per.most_common():
        print(f"| {cat} | {count[cat]} | {t / 1e3:.0f} | {100 * t / total:.1f} % |")
    dots = [(t, n) for n, t in times.items() if n in ops and ops[n][4]]
    gflop = sum(ops[n][4] for _, n in dots) / 1e9
    dot_ms = sum(t for t, _ in dots) / 1e3
    print(f"all dots: {gflop:.1f} GFLOP in {dot_ms:.0f} ms = {gflop / dot_ms * 1e3:.0f} GFLOP/s")
    for t, n in sorted(((t, n) for n, t in times.items() if n in ops), reverse=True)[:args.top]:
        opcode, shape, body, _, flops = ops[n]
        rate = f" {flops / t / 1e3:.0f} GFLOP/s" if flops else ""
        print(f"{t / 1e3:8.1f} ms  {n:30s} {shape} {','.join(sorted(body))[:50]}{rate}")


if __name__ == "__main__":
    main()
