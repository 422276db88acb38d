"""``python -m training bench`` and ``python -m training ode-bench``: options -> run -> a
rich table (or plain lines) on stdout, or the JSON record with ``--json PATH``.

Progress goes to stderr. Errors propagate to ``training.cli.main`` (exit codes in
training/errors.py); tracebacks only with ``--debug``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from training.cli.common import debug_option, eprint, set_option
from training.config import PRESETS, make_config, parse_set_options


def _fmt(x: float | None, unit: str = "", scale: float = 1.0, digits: int = 3) -> str:
    return "—" if x is None else f"{x / scale:,.{digits}g}{unit}"


def render(record: dict[str, Any]):
    """A rich Table of the headline figures of a train_step record."""
    from rich.table import Table

    st, th, fl, mfu, comp = (record["step_time"], record["throughput"], record["flops"],
                             record["mfu"], record["compile"])
    table = Table(title=f"training bench — preset {record['preset']} on "
                        f"{record['devices'][0]['kind']} ({record['backend']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    measured = record["peak"]["measured"].get(mfu["dtype"]) or {}
    ckpt = record.get("checkpoint") or {}
    rows = [
        ("compile: trace / lower / compile", f"{comp['trace_s']:.2f} / {comp['lower_s']:.2f} / "
                                             f"{comp['compile_s']:.2f} s"),
        ("compile cache", "hit" if comp["cache"]["hit"] else
         ("miss" if comp["cache"]["enabled"] else "off")),
        ("first step", _fmt(record["first_step_s"], " s")),
        ("step median / p90", f"{st['median_s'] * 1e3:,.1f} / {st['p90_s'] * 1e3:,.1f} ms "
                              f"(n={st['n']})"),
        ("steps/s", _fmt(th["steps_per_s"])),
        ("examples/s", _fmt(th["examples_per_s"], digits=4)),
        ("tokens/s", f"{th['tokens_per_s']:,.0f}"),
        ("model FLOPs/step", _fmt(fl["per_step"], " GFLOP", 1e9, 4)),
        ("achieved", _fmt(fl["achieved_per_s"], " GFLOP/s", 1e9, 4)),
        (f"measured {mfu['dtype']} matmul peak", _fmt(measured.get("flops_per_s"),
                                                      " GFLOP/s", 1e9, 4)),
        ("f32 peak samples min / median / max", "—" if not record["peak"].get("f32_spread")
         else " / ".join(f"{record['peak']['f32_spread'][k] / 1e9:,.0f}"
                         for k in ("min", "median", "max")) + " GFLOP/s"),
        ("MFU vs measured peak (causal-halved)",
         "—" if mfu["measured_peak"] is None else
         f"{mfu['measured_peak']:.1%} ({mfu['measured_peak_causal']:.1%})"),
        ("MFU per step vs the peak around it: min / median / max", "—" if not mfu.get("paired")
         else " / ".join(f"{mfu['paired'][k]:.1%}" for k in ("min", "median", "max"))),
        ("MFU vs the best peak sample (load-sensitive)", "—" if mfu.get("measured_peak_best")
         is None else f"{mfu['measured_peak_best']:.1%}"),
        ("CPU-time efficiency (load-robust proxy)", "—" if mfu.get("cpu_time_efficiency")
         is None else f"{mfu['cpu_time_efficiency']:.1%}"),
        ("MFU vs nominal peak", "— (no nominal peak for this device)"
         if mfu["nominal_peak"] is None else f"{mfu['nominal_peak']:.1%}"),
    ]
    if ckpt.get("saves"):
        rows.append((f"checkpoint blocking (every {ckpt['every']})",
                     f"{ckpt['blocking_mean_s'] * 1e3:,.1f} ms/save = "
                     f"{ckpt['blocking_fraction']:.2%} of step time"))
    for row in rows:
        table.add_row(*row)
    return table


def bench(
    preset: str = typer.Option("small", help=f"One of: {', '.join(PRESETS)}."),
    set_: list[str] = set_option(),
    steps: int = typer.Option(10, "--steps", min=1, help="Measured steps."),
    warmup: int = typer.Option(2, "--warmup", min=1, help="Untimed steps after compiling."),
    json_path: Path = typer.Option(None, "--json", help="Write the JSON record here."),
    profile_dir: Path = typer.Option(None, "--profile-dir",
                                     help="Capture a jax.profiler trace of a few steps."),
    profile_steps: int = typer.Option(3, "--profile-steps", min=1),
    compile_cache: Path = typer.Option(None, "--compile-cache",
                                       help="Cache dir (default ~/.cache/taskctl-training/jax)."),
    no_compile_cache: bool = typer.Option(False, "--no-compile-cache"),
    checkpoint_every: int = typer.Option(0, "--checkpoint-every", min=0,
                                         help="Async-save every N measured steps; time it."),
    mesh: str = typer.Option(None, "--mesh", help="data=N: data-parallel over N devices."),
    fsdp: bool = typer.Option(False, "--fsdp", help="Shard params + optimizer state too."),
    debug: bool = debug_option(),
) -> None:
    """Compile time vs steady-state step time, tokens/s, model FLOPs and MFU."""
    from training import sharding
    from training.bench.train_bench import BenchOptions, run_bench
    from training.jsonio import write_json

    cfg = make_config(preset, parse_set_options(set_))
    mesh_data = sharding.parse_mesh(mesh) if mesh else 1
    if fsdp and not mesh:
        import jax

        mesh_data = len(jax.devices())
    opts = BenchOptions(steps=steps, warmup=warmup, compile_cache=compile_cache,
                        use_compile_cache=not no_compile_cache, profile_dir=profile_dir,
                        profile_steps=profile_steps, checkpoint_every=checkpoint_every,
                        mesh_data=mesh_data, fsdp=fsdp)
    record = run_bench(cfg, preset, opts, note=eprint)
    if json_path:
        write_json(json_path, record, default=str)
        eprint(f"wrote {json_path}")
    else:
        from rich.console import Console

        Console().print(render(record))


def ode_bench(
    systems: int = typer.Option(100_000, "--systems", min=1),
    steps: int = typer.Option(1000, "--steps", min=1),
    dt: float = typer.Option(0.01, "--dt"),
    repeats: int = typer.Option(3, "--repeats", min=1),
    json_path: Path = typer.Option(None, "--json", help="Write the JSON record here."),
) -> None:
    """Time a vmapped RK4 integrator on CPU and on the accelerator (if any)."""
    from training.bench.ode_bench import run_ode_bench
    from training.jsonio import write_json

    record = run_ode_bench(systems, steps, dt, repeats)
    if json_path:
        write_json(json_path, record, default=str)
        eprint(f"wrote {json_path}")
        return
    for name in ("cpu", "accelerator"):
        r = record[name]
        if r is None:
            print(f"{name}: {record['note']}")
            continue
        print(f"{name} ({r['device_kind']}): compile {r['compile_s']:.2f} s, "
              f"run median {r['run_median_s'] * 1e3:.1f} ms, "
              f"{r['system_steps_per_s']:.3g} system-steps/s, "
              f"max |err| {r['max_abs_error_vs_exact']:.2e}")
    if record.get("speedup_accelerator_vs_cpu"):
        print(f"speedup accelerator vs CPU: {record['speedup_accelerator_vs_cpu']:.1f}x")
