"""The fixed cost of one acceptance item of the bundled backlog, piece by piece.

    python benchmarks/bench_item_cost.py [--runs 3]

Each line is the median wall time (and the process's CPU time) of a whole process, run from
the repository root with the venv's python: the interpreter alone, + importing jax, + one
tiny jit, + importing the trainer, a typical pytest item, and a typical `python -m training
train` smoke item — the last two without and with a warm JAX persistent compile cache (what
`taskctl verify` now shares between items under .tasks/.cache/jax).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
TRAIN = ("-m training train --preset tiny --device cpu --set n_layers=2 --set d_model=64 "
         "--set n_heads=2 --set batch_size=8 --set golden_count=400 --set eval_batches=1 "
         "--set exact_match_examples=8 --smoke-steps 1 --run-dir {tmp}/r").split()
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider",
          "tests/training/test_checkpoint.py::test_round_trip_is_bitwise_and_carries_metadata"]
STEPS = [
    ("python -c pass", ["-c", "pass"]),
    ("+ import jax", ["-c", "import jax"]),
    ("+ one tiny jit", ["-c", "import jax, jax.numpy as j; jax.jit(lambda x: x * 2)(j.ones(3))"
                        ".block_until_ready()"]),
    ("+ import the trainer (training.train)", ["-c", "import training.train"]),
]


def once(args: list[str], env: dict) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [PY, *(a.replace("{tmp}", tmp) for a in args)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(argv)}")
        return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime


def median(args: list[str], env: dict, n: int) -> str:
    res = [once(args, env) for _ in range(n)]
    return (f"{statistics.median(r[0] for r in res):6.2f} s  "
            f"cpu {statistics.median(r[1] for r in res):6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    base = {**os.environ, "JAX_PLATFORMS": "cpu"}
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   median of {a.runs}")
    for label, args in STEPS:
        print(f"  {label:<44} {median(args, base, a.runs)}", flush=True)
    with tempfile.TemporaryDirectory() as cache:
        warm = {**base, "JAX_COMPILATION_CACHE_DIR": cache,
                "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
        for label, args in (("pytest item (test_checkpoint roundtrip)", PYTEST),
                            ("train smoke item (1 step)", TRAIN)):
            print(f"  {label + ', no compile cache':<44} {median(args, base, a.runs)}",
                  flush=True)
            once(args, warm)  # fill the cache
            print(f"  {label + ', warm compile cache':<44} {median(args, warm, a.runs)}",
                  flush=True)
    print(f"load avg at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
