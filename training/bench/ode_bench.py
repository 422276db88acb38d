"""Accelerator vs CPU demo: RK4 over many independent damped harmonic oscillators.

``python -m training ode-bench [--systems 100000] [--steps 1000] [--json PATH]``

Each system is ``x'' + 2ζω x' + ω² x = 0`` with its own (ω, ζ, x0) — underdamped, so the exact
solution is known and every run reports its max error against it. The integrator is a
fixed-step classical RK4 in ``jax.lax.fori_loop``, vmapped over systems, jitted once per
device. It runs on the CPU and, when JAX sees one, on the default accelerator; otherwise the
record says "no accelerator: CPU only". The record uses the same envelope as the step bench
(training/bench/record.py).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

FLOPS_PER_SYSTEM_STEP = 38  # 4 derivative evals (5 each) + RK4 combination (18): an estimate


def _rk4_solver(n_steps: int, dt: float):
    import jax
    import jax.numpy as jnp

    def deriv(y, omega, zeta):
        x, v = y
        return jnp.stack([v, -2.0 * zeta * omega * v - omega**2 * x])

    def integrate_one(y0, omega, zeta):
        def body(_, y):
            k1 = deriv(y, omega, zeta)
            k2 = deriv(y + 0.5 * dt * k1, omega, zeta)
            k3 = deriv(y + 0.5 * dt * k2, omega, zeta)
            k4 = deriv(y + dt * k3, omega, zeta)
            return y + (dt / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)

        return jax.lax.fori_loop(0, n_steps, body, y0)

    return jax.jit(jax.vmap(integrate_one))


def _exact(x0, omega, zeta, t):
    """Underdamped solution with v(0) = 0, in float64 numpy."""
    import numpy as np

    wd = omega * np.sqrt(1 - zeta**2)
    return x0 * np.exp(-zeta * omega * t) * (np.cos(wd * t) + zeta * omega / wd * np.sin(wd * t))


def _problem(n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    omega = rng.uniform(0.5, 2.0, n).astype(np.float32)
    zeta = rng.uniform(0.01, 0.5, n).astype(np.float32)
    x0 = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    y0 = np.stack([x0, np.zeros_like(x0)], axis=1)
    return y0, omega, zeta


def time_on(device, n_systems: int, n_steps: int, dt: float, repeats: int) -> dict[str, Any]:
    """Compile once, run ``repeats`` times on ``device``; times and accuracy."""
    import jax
    import numpy as np

    y0, omega, zeta = _problem(n_systems)
    solve = _rk4_solver(n_steps, dt)
    args = jax.device_put((y0, omega, zeta), device)
    t0 = time.perf_counter()
    compiled = solve.trace(*args).lower().compile()
    compile_s = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = compiled(*args).block_until_ready()
        runs.append(time.perf_counter() - t0)
    exact = _exact(y0[:, 0].astype(np.float64), omega.astype(np.float64),
                   zeta.astype(np.float64), n_steps * dt)
    median = statistics.median(runs)
    work = n_systems * n_steps
    return {"platform": device.platform, "device_kind": device.device_kind,
            "compile_s": compile_s, "run_s": runs, "run_median_s": median,
            "run_min_s": min(runs), "system_steps_per_s": work / median,
            "approx_flops_per_s": work * FLOPS_PER_SYSTEM_STEP / median,
            "max_abs_error_vs_exact": float(np.max(np.abs(np.asarray(out)[:, 0] - exact)))}


def run_ode_bench(n_systems: int, n_steps: int, dt: float = 0.01,
                  repeats: int = 3) -> dict[str, Any]:
    """The ode_rk4 record: CPU result, accelerator result (or None), speedup."""
    import jax

    from training.bench.record import environment

    record: dict[str, Any] = {**environment(), "kind": "ode_rk4", "problem": {
        "system": "damped harmonic oscillator x'' + 2*zeta*omega*x' + omega^2*x = 0",
        "systems": n_systems, "steps": n_steps, "dt": dt, "dtype": "float32",
        "integrator": "classical RK4, lax.fori_loop, vmap over systems",
        "repeats": repeats, "flops_per_system_step_estimate": FLOPS_PER_SYSTEM_STEP}}
    record["cpu"] = time_on(jax.devices("cpu")[0], n_systems, n_steps, dt, repeats)
    if jax.default_backend() == "cpu":
        record["accelerator"] = None
        record["note"] = "no accelerator: CPU only"
    else:
        acc = time_on(jax.devices()[0], n_systems, n_steps, dt, repeats)
        record["accelerator"] = acc
        record["speedup_accelerator_vs_cpu"] = (record["cpu"]["run_median_s"]
                                                / acc["run_median_s"])
    return record

