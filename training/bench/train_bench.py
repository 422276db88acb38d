"""Training-step benchmark: compile time vs steady-state step time, throughput, FLOPs, MFU.

``python -m training bench --preset small --steps 20 --warmup 3 [--json PATH]`` (CLI in
training/cli/bench.py). The step measured is the real one (``training.step.make_train_step``)
on real batches of the preset's dataset. Batches are built and placed on the device before
the timed window (data off the critical path); each measured step ends with
``block_until_ready`` so per-step times are honest (one host sync per step here; the trainer
itself syncs only at log/eval/save points). A matmul-peak sample is taken just before the
first measured step and after every ``peak_every`` measured steps, outside their timing; each
step is paired with the samples around it, so the MFU (``mfu.measured_peak``, the median of
the per-step ratios) sees the same machine load in numerator and denominator. See
docs/performance.md.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.bench.record import environment, percentile
from training.config import TrainConfig


@dataclass(frozen=True)
class BenchOptions:
    steps: int = 10  # measured steps
    warmup: int = 2  # untimed steps after compile (allocator, caches, thread pools)
    compile_cache: Path | None = None  # None: the default dir
    use_compile_cache: bool = True
    profile_dir: Path | None = None  # capture a jax.profiler trace of profile_steps steps
    profile_steps: int = 3
    checkpoint_every: int = 0  # >0: async-save every N measured steps; time the blocking
    checkpoint_dir: Path | None = None  # default: a temp dir, removed afterwards
    mesh_data: int = 1  # devices on the data axis; 1 = single device, no mesh
    fsdp: bool = False
    measure_peak: bool = True
    peak_every: int = 1  # a matmul-peak sample after every N measured steps (load-robust)


def _step_stats(times: list[float]) -> dict[str, float]:
    return {"n": len(times), "median_s": statistics.median(times),
            "p90_s": percentile(times, 90), "mean_s": statistics.fmean(times),
            "min_s": min(times), "max_s": max(times)}


def _xla_flops(compiled) -> float | None:
    """XLA's own FLOP estimate of the compiled step (cross-check; None if unavailable)."""
    try:
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, list) else cost
        return float(cost["flops"])
    except Exception:
        return None


def _prepare(cfg: TrainConfig, opts: BenchOptions, note: Callable[[str], None]):
    """Model/optimizer state, placement and every batch, all on device before timing."""
    import jax

    from training import sharding
    from training.data.dataset import load_dataset
    from training.optim import make_optimizer
    from training.step import init_state, split_micro

    placement = None
    device = jax.devices()[0]
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    if opts.mesh_data > 1 or opts.fsdp:
        sharding.check_batch(cfg.batch_size, cfg.grad_accum, opts.mesh_data)
        mesh = sharding.make_mesh(opts.mesh_data)
        placement = sharding.placement(state, mesh, opts.fsdp)
        state = jax.device_put(state, placement.state)
        put = placement.batch
    else:
        state = jax.device_put(state, device)
        put = device
    note(f"loading dataset {cfg.dataset!r}")
    dataset = load_dataset(cfg)
    n = opts.warmup + opts.steps + (opts.profile_steps if opts.profile_dir else 0)
    t0 = time.perf_counter()
    host = [split_micro(dataset.train_batch(cfg.seed, i, cfg.batch_size), cfg.grad_accum)
            for i in range(n)]
    batch_s = (time.perf_counter() - t0) / n
    batches = [jax.device_put(b, put) for b in host]
    jax.block_until_ready(batches)
    return graphdef, tx, state, placement, batches, batch_s


def _compile(step_fn, state, batch) -> tuple[Any, dict[str, float]]:
    """trace -> lower -> compile, each timed (JAX's AOT stages)."""
    t0 = time.perf_counter()
    traced = step_fn.trace(state, *batch)
    t1 = time.perf_counter()
    lowered = traced.lower()
    t2 = time.perf_counter()
    compiled = lowered.compile()
    t3 = time.perf_counter()
    return compiled, {"trace_s": t1 - t0, "lower_s": t2 - t1, "compile_s": t3 - t2,
                      "total_s": t3 - t0}


def run_bench(cfg: TrainConfig, preset: str, opts: BenchOptions,
              note: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Benchmark the train step of ``cfg``; returns the JSON record (see docs/performance.md)."""
    from training import compile_cache, provenance, sharding
    from training.bench import flops

    sharding.initialize_distributed()  # multi-host only when JAX_COORDINATOR_ADDRESS is set
    cache_dir = None
    if opts.use_compile_cache:  # before jax compiles anything
        cache_dir = compile_cache.enable(opts.compile_cache)
    import jax

    from training.step import make_train_step

    record: dict[str, Any] = {**environment(), "kind": "train_step", "preset": preset,
                              "config": cfg.to_dict(), "config_hash": cfg.hash()}
    device = jax.devices()[0]
    # the matmul peak is sampled before and after the timed window and the better one kept:
    # on a shared machine a single sample taken at a busy moment would inflate the MFU
    early = flops.measure_matmul_peak(device, "f32") if opts.measure_peak else None
    interleaved: list[dict] = []  # peak samples taken between measured steps
    after_step: list[int] = []  # ... and after which measured step (0 = before the first)
    graphdef, tx, state, placement, batches, batch_s = _prepare(cfg, opts, note)
    record["mesh"] = {"data": opts.mesh_data, "fsdp": opts.fsdp}
    record["compute"] = provenance.compute_choices(cfg, device.platform)
    record["data"] = {"host_batch_s": batch_s, "prefetched_batches": len(batches)}

    note("compiling")
    before = compile_cache.entry_count(cache_dir)
    compiled, compile_times = _compile(make_train_step(graphdef, cfg, tx, placement), state,
                                       batches[0])
    after = compile_cache.entry_count(cache_dir)
    record["compile"] = {**compile_times, "cache": {
        "enabled": cache_dir is not None, "dir": str(cache_dir) if cache_dir else None,
        "entries_before": before, "entries_after": after,
        "hit": cache_dir is not None and before > 0 and after == before}}

    t0 = time.perf_counter()
    state, m = compiled(state, *batches[0])
    jax.block_until_ready((state, m))
    record["first_step_s"] = time.perf_counter() - t0
    for b in batches[1:opts.warmup]:
        state, m = compiled(state, *b)
    jax.block_until_ready((state, m))

    note(f"measuring {opts.steps} steps")
    ckpt, saves = _checkpointer(opts), []
    times, cpu_times, losses = [], [], []
    measured = batches[opts.warmup:opts.warmup + opts.steps]
    sample_peaks = opts.measure_peak and opts.peak_every > 0
    if sample_peaks:
        interleaved.append(flops.measure_matmul_peak(device, "f32", repeats=3))
        after_step.append(0)
    wall0 = time.perf_counter()
    for i, b in enumerate(measured, start=1):
        t0, c0 = time.perf_counter(), time.process_time()
        state, m = compiled(state, *b)
        jax.block_until_ready((state, m))
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        losses.append(m["loss"])
        if sample_peaks and i % opts.peak_every == 0:
            # between steps (outside their timing): the peak is sampled under the same
            # machine load as the steps around it, not once at a lucky or unlucky moment
            interleaved.append(flops.measure_matmul_peak(device, "f32", repeats=3))
            after_step.append(i)
        if ckpt is not None and i % opts.checkpoint_every == 0:
            t0 = time.perf_counter()
            ckpt.save(i, state, {"step": i, "bench": True})
            saves.append({"after_step": i, "blocking_s": time.perf_counter() - t0})
    wall = time.perf_counter() - wall0
    losses = [float(x) for x in losses]

    step = _step_stats(times)
    per_step = flops.flops_per_step(cfg)
    achieved = per_step / step["median_s"]
    tokens = cfg.batch_size * cfg.seq_len
    record["step_time"] = {**step, "window_wall_s": wall,
                           "cpu_median_s": statistics.median(cpu_times)}
    record["throughput"] = {"steps_per_s": 1 / step["median_s"],
                            "examples_per_s": cfg.batch_size / step["median_s"],
                            "tokens_per_s": tokens / step["median_s"]}
    record["loss"] = {"first": losses[0], "last": losses[-1]}
    record["flops"] = {"params": flops.param_count(cfg),
                       "per_token": flops.flops_per_token(cfg),
                       "per_token_causal": flops.flops_per_token(cfg, causal_halved=True),
                       "per_step": per_step, "xla_per_step": _xla_flops(compiled),
                       "achieved_per_s": achieved, "convention": "6N + 12LHQT (nanoGPT); "
                       "'causal' halves the attention term (MaxText)"}
    record["peak"] = _peaks(device, opts, early, interleaved)
    record["mfu"] = _mfu(record, achieved, cfg)
    record["mfu"].update(_paired_mfu(per_step, times, interleaved, after_step))
    mfu = record["mfu"]
    if mfu["paired"] and mfu["dtype"] == "f32" and mfu["measured_peak"] is not None:
        # the paired median is the headline; the best-sample figure stays for comparison
        scale = 1 if record["backend"] == "cpu" else mfu["devices"]
        ratio = mfu["measured_peak_causal"] / mfu["measured_peak"]
        mfu["measured_peak_best"] = mfu["measured_peak"]
        mfu["measured_peak"] = mfu["paired"]["median"] / scale
        mfu["measured_peak_causal"] = mfu["measured_peak"] * ratio
    record["checkpoint"] = _checkpoint_summary(ckpt, saves, times, opts)
    record["profile_dir"] = _profile(compiled, state, batches, opts) if opts.profile_dir \
        else None
    return record


def _peaks(device, opts: BenchOptions, early: dict | None,
           interleaved: list[dict] | None = None) -> dict[str, Any]:
    """Matmul peaks: f32 sampled before, between (every ``peak_every`` steps) and after the
    timed window, the best sample kept as THE peak and the spread reported; bf16 on
    accelerators; the nominal data-sheet peaks."""
    from training.bench import flops

    dtypes = ["f32"] if device.platform == "cpu" else ["f32", "bf16"]  # GPU f32 = TF32
    measured = {d: flops.measure_matmul_peak(device, d) for d in dtypes} \
        if opts.measure_peak else {}
    candidates = [x for x in (early, *(interleaved or []), measured.get("f32")) if x]
    samples = [x["flops_per_s"] for x in candidates]
    if candidates:
        measured["f32"] = max(candidates, key=lambda x: x["flops_per_s"])
    spread = ({"min": min(samples), "median": statistics.median(samples), "max": max(samples),
               "max_over_min": max(samples) / min(samples)} if samples else None)
    return {"measured": measured, "f32_samples_flops_per_s": samples, "f32_spread": spread,
            "device_kind": device.device_kind,
            "nominal_flops_per_s": {d: flops.nominal_peak(device.device_kind, d)
                                    for d in ("f32", "tf32", "bf16")}}


def _mfu(record: dict, achieved: float, cfg: TrainConfig) -> dict[str, Any]:
    """MFU against the measured peak of the compute dtype and the nominal peak (if known) of
    the matmul type actually used (bf16; TF32 for f32 on NVIDIA at default precision)."""
    import jax

    from training.bench import flops
    from training.config import compute_dtype

    compute = compute_dtype(cfg.model.dtype, record["backend"])
    dtype = "bf16" if compute == "bfloat16" else "f32"
    nominal_key = flops.matmul_dtype(compute, record["backend"],
                                     jax.config.jax_default_matmul_precision)
    n_dev = max(record["mesh"]["data"], 1)
    measured = record["peak"]["measured"].get(dtype) or record["peak"]["measured"].get("f32")
    nominal = record["peak"]["nominal_flops_per_s"].get(nominal_key)
    ratio = record["flops"]["per_token_causal"] / record["flops"]["per_token"]
    out: dict[str, Any] = {"dtype": dtype, "nominal_peak_dtype": nominal_key,
                           "devices": n_dev, "measured_peak": None,
                           "measured_peak_causal": None, "nominal_peak": None,
                           "cpu_time_efficiency": None}
    if measured:
        # simulated CPU devices share the same cores, so the peak is not multiplied by n_dev
        # there; on real accelerators each device brings its own peak.
        scale = 1 if record["backend"] == "cpu" else n_dev
        out["measured_peak"] = achieved / (measured["flops_per_s"] * scale)
        out["measured_peak_causal"] = out["measured_peak"] * ratio
        if record["backend"] == "cpu":
            # load-robust proxy on a shared CPU: FLOPs per CPU-second of the step over the
            # same of the matmul (time-slicing by other processes cancels out)
            per_cpu_s = record["flops"]["per_step"] / record["step_time"]["cpu_median_s"]
            out["cpu_time_efficiency"] = per_cpu_s / measured["flops_per_cpu_s"]
    if nominal:
        out["nominal_peak"] = achieved / (nominal * n_dev)
    return out


def _paired_mfu(per_step: float, times: list[float], samples: list[dict],
                after_step: list[int]) -> dict[str, Any]:
    """MFU of each measured step against the peak sampled around it (mean of the nearest
    sample before and after; each sample's mean FLOP/s over its repeats, a window like the
    step's). The median over steps is THE measured-peak MFU: load that slows the step slows
    the adjacent samples too, so it cancels, where a best-of peak taken at one quiet moment
    would not (two runs at load 10-12: paired 0.72 / 0.87, best-sample 0.16 / 0.60; quiet
    best-sample 0.71-0.73). Also keeps ``measured_peak_best`` (median step vs the best
    sample: the old, load-sensitive figure) for comparison."""
    if not samples or not times:
        return {"paired": None}
    ratios = []
    for i, t in enumerate(times, start=1):
        before = [s for s, k in zip(samples, after_step, strict=True) if k < i]
        after = [s for s, k in zip(samples, after_step, strict=True) if k >= i]
        around = [x["mean_flops_per_s"] for x in (before[-1:] + after[:1])]
        ratios.append(per_step / t / statistics.fmean(around))
    return {"paired": {"n": len(ratios), "median": statistics.median(ratios),
                       "min": min(ratios), "max": max(ratios), "per_step": ratios}}


def _checkpointer(opts: BenchOptions):
    if not opts.checkpoint_every:
        return None
    from training.checkpoint import Checkpointer

    directory = opts.checkpoint_dir or Path(tempfile.mkdtemp(prefix="bench-ckpt-"))
    return Checkpointer(directory, keep=2, warn=lambda _: None)


def _checkpoint_summary(ckpt, saves: list[dict], times: list[float],
                        opts: BenchOptions) -> dict[str, Any] | None:
    """Blocking time of each async save vs the step time it amortises over."""
    if ckpt is None:
        return None
    t0 = time.perf_counter()
    ckpt.close()
    drain = time.perf_counter() - t0
    if opts.checkpoint_dir is None:
        import shutil

        shutil.rmtree(ckpt.dir, ignore_errors=True)
    out: dict[str, Any] = {"every": opts.checkpoint_every, "saves": saves,
                           "final_wait_s": drain}
    if saves:
        block = statistics.fmean(s["blocking_s"] for s in saves)
        after = [times[s["after_step"] + k] for s in saves for k in range(5)
                 if s["after_step"] + k < len(times)]
        out.update({"blocking_mean_s": block,
                    "blocking_fraction": block / (opts.checkpoint_every
                                                  * statistics.median(times)),
                    "step_median_s_5_after_save": statistics.median(after) if after else None})
    return out


def _profile(compiled, state, batches, opts: BenchOptions) -> str:
    """Trace ``profile_steps`` extra steps (after the timed window) into ``profile_dir``."""
    import jax

    window = batches[-opts.profile_steps:]
    with jax.profiler.trace(str(opts.profile_dir), create_perfetto_trace=True):
        for i, b in enumerate(window):
            with jax.profiler.StepTraceAnnotation("train", step_num=i):
                state, m = compiled(state, *b)
                jax.block_until_ready((state, m))
    return str(opts.profile_dir)

