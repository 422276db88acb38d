"""Shared tiny shapes and helpers. Real JAX on CPU; no mocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Small enough that a step takes milliseconds, big enough to exercise every code path.
MICRO = {"n_layers": 2, "d_model": 64, "n_heads": 2, "batch_size": 8, "golden_count": 400,
         "warmup_steps": 2, "log_every": 1, "eval_every": 0, "eval_batches": 1,
         "exact_match_examples": 8, "save_every_steps": 5}


def micro_config(**overrides):
    from training.config import make_config

    return make_config("tiny", **{**MICRO, **overrides})


def set_args(**overrides) -> list[str]:
    """``--set k=v`` CLI arguments for MICRO plus ``overrides``."""
    out = []
    for k, v in {**MICRO, **overrides}.items():
        out += ["--set", f"{k}={v}"]
    return out


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m training train ARGS`` as a real subprocess (stderr is not a TTY)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "-m", "training", "train", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def micro_run(tmp_path_factory):
    """One 20-step in-process run shared by tests that only read its outputs."""
    from training.train import RunOptions, train_and_evaluate

    run_dir = tmp_path_factory.mktemp("micro_run")
    cfg = micro_config(steps=20, eval_every=10)
    result = train_and_evaluate(cfg, run_dir, RunOptions(device="cpu"))
    return cfg, run_dir, result
