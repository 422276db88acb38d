"""Smoke tests of the step bench and the ODE bench (training/bench/) on CPU: record fields
and sanity of values (no timing assertions: benchmarks print figures, tests check shapes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.training.conftest import REPO

pytestmark = pytest.mark.training

TINY = ["--preset", "tiny", "--set", "n_layers=1", "--set", "d_model=64", "--set", "n_heads=2",
        "--set", "batch_size=4", "--set", "golden_count=400"]


def _bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "-m", "training", "bench", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    proc = _bench(*TINY, "--steps", "2", "--warmup", "1", "--json", str(tmp / "r.json"),
                  "--compile-cache", str(tmp / "cache"), "--checkpoint-every", "1",
                  "--profile-dir", str(tmp / "profile"), "--profile-steps", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == ""  # --json: nothing on stdout, progress on stderr
    return tmp, json.loads((tmp / "r.json").read_text())


def test_bench_record_has_sane_figures(record):
    tmp, r = record
    assert r["schema_version"] == 1 and r["kind"] == "train_step" and r["preset"] == "tiny"
    assert r["config"]["d_model"] == 64 and r["backend"] == "cpu" and r["devices"]
    assert {"sha", "dirty"} <= r["git"].keys() and r["versions"]["jax"]
    c = r["compile"]
    assert all(c[k] > 0 for k in ("trace_s", "lower_s", "compile_s"))
    assert c["cache"]["enabled"] and c["cache"]["entries_after"] >= 1
    st = r["step_time"]
    assert st["n"] == 2 and 0 < st["min_s"] <= st["median_s"] <= st["p90_s"] <= st["max_s"]
    th = r["throughput"]
    assert th["tokens_per_s"] == pytest.approx(th["examples_per_s"] * r["config"]["seq_len"])
    fl = r["flops"]
    assert 0 < fl["per_token_causal"] < fl["per_token"] and fl["per_step"] > 0
    assert r["peak"]["measured"]["f32"]["flops_per_s"] > 1e9
    assert r["peak"]["nominal_flops_per_s"] == {"f32": None, "tf32": None, "bf16": None}  # CPU
    assert r["mfu"]["dtype"] == "f32" and r["mfu"]["nominal_peak_dtype"] == "f32"
    # peak sampled before compiling, before the first step, after each of the 2 steps, and
    # after the timed window
    spread = r["peak"]["f32_spread"]
    assert len(r["peak"]["f32_samples_flops_per_s"]) == 5 and spread["max_over_min"] >= 1
    assert r["peak"]["measured"]["f32"]["flops_per_s"] == spread["max"]
    assert r["compute"]["attention"] == "xla" and r["compute"]["scan_layers"] is True
    assert 0 < r["mfu"]["measured_peak_causal"] < r["mfu"]["measured_peak"] < 1
    # the headline MFU pairs each step with the peak samples around it
    paired = r["mfu"]["paired"]
    assert paired["n"] == 2 and paired["min"] <= paired["median"] <= paired["max"]
    assert r["mfu"]["measured_peak"] == paired["median"] and 0 < r["mfu"]["measured_peak_best"]
    assert r["mfu"]["nominal_peak"] is None and 0 < r["mfu"]["cpu_time_efficiency"] < 1.5
    ck = r["checkpoint"]
    assert len(ck["saves"]) == 2 and ck["blocking_mean_s"] > 0 and ck["blocking_fraction"] > 0
    assert list((tmp / "profile").rglob("*.trace.json.gz")) or list(
        (tmp / "profile").rglob("*.xplane.pb"))


def test_bench_table_renders(record):
    from rich.console import Console

    from training.cli.bench import render

    console = Console(record=True, width=100)
    console.print(render(record[1]))
    text = console.export_text()
    assert "tokens/s" in text and "MFU vs measured peak" in text and "no nominal peak" in text
    assert "MFU per step vs the peak around it" in text


def test_bench_rejects_a_bad_mesh():
    proc = _bench(*TINY, "--mesh", "model=2")
    assert proc.returncode == 2 and "expected data=N" in proc.stderr


def test_ode_bench_record_cpu_only(tmp_path):
    from training.bench.ode_bench import run_ode_bench
    from training.jsonio import write_json

    r = run_ode_bench(n_systems=1000, n_steps=50, repeats=1)
    write_json(tmp_path / "ode.json", r)
    back = json.loads((tmp_path / "ode.json").read_text())
    assert back["kind"] == "ode_rk4" and back["schema_version"] == 1
    assert back["cpu"]["system_steps_per_s"] > 0
    assert back["cpu"]["max_abs_error_vs_exact"] < 1e-4
    if back["backend"] == "cpu":
        assert back["accelerator"] is None and back["note"] == "no accelerator: CPU only"


def test_paired_mfu_cancels_load_that_hits_step_and_peak_alike():
    from training.bench.train_bench import _paired_mfu

    # step 2 ran at half speed, and so did the peak samples on both sides of it (a busy
    # moment); steps 1 and 3 straddle the change. Paired, every step is at 60 %; against the
    # best sample (100) step 2 would be at 30 %
    samples = [{"mean_flops_per_s": p} for p in (100.0, 50.0, 50.0, 100.0)]
    out = _paired_mfu(60.0, [60 / 45, 2.0, 60 / 45], samples, [0, 1, 2, 3])
    assert out["paired"]["per_step"] == pytest.approx([0.6, 0.6, 0.6])
    assert out["paired"]["n"] == 3 and out["paired"]["median"] == pytest.approx(0.6)
    # samples only every 2nd step: step 2 pairs with the nearest one before and after
    out = _paired_mfu(60.0, [1.0, 1.0], [samples[0], samples[3]], [0, 2])
    assert out["paired"]["per_step"] == pytest.approx([0.6, 0.6])
    assert _paired_mfu(60.0, [1.0], [], []) == {"paired": None}
