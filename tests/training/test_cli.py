"""The CLI as a process: artifacts, aliases, exit codes and messages, divergence, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.training.conftest import REPO, run_cli, set_args
from training.metrics import read_metrics

pytestmark = pytest.mark.training


def test_smoke_run_with_underscore_aliases(tmp_path):
    cache = tmp_path / "compile-cache"
    proc = run_cli("--preset", "tiny", *set_args(), "--smoke_steps", "3", "--run_dir",
                   str(tmp_path), "--device", "cpu", "--device_index", "0",
                   "--compile_cache", str(cache))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"done: {tmp_path} steps 0->3")
    assert "step=3 loss=" in proc.stderr  # not a TTY: one plain line per log interval
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2, 3]
    for name in ("config.json", "provenance.json", "loss.png", "checkpoints/3",
                 "checkpoints/integrity/3.json"):
        assert (tmp_path / name).exists(), name
    assert any(p.is_file() for p in cache.rglob("*"))  # train uses the persistent cache
    compute = json.loads((tmp_path / "provenance.json").read_text())["compute"]
    assert compute["compute_dtype"] == "float32" and compute["attention"] == "xla"


@pytest.mark.parametrize(("args", "needle"), [
    (["--device", "gpu"], "--device gpu: no GPU is visible to JAX"),
    (["--device", "cpu", "--device-index", "5"], "--device-index 5: only 1 cpu device"),
    (["--set", "nope=1"], "unknown config key 'nope'"),
    (["--set", "steps=ten"], "steps=ten: expected int"),
    (["--precision", "fp8"], "precision must be one of"),
    (["--dataset", "nowhere"], "unknown dataset 'nowhere'"),
])
def test_usage_errors_exit_2_with_one_clear_line(tmp_path, args, needle):
    proc = run_cli(*args, "--run-dir", str(tmp_path / "r"), "--smoke-steps", "1")
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_divergence_exits_1_and_keeps_last_good_checkpoint(tmp_path):
    proc = run_cli(*set_args(lr=1e30, min_lr=0, warmup_steps=0, save_every_steps=1, steps=20),
                   "--run-dir", str(tmp_path), "--device", "cpu")
    assert proc.returncode == 1, proc.stderr
    assert "error: training diverged at step" in proc.stderr and "Traceback" not in proc.stderr
    bad_step = int(proc.stderr.split("diverged at step ")[1].split(":")[0])
    good = sorted(int(p.stem) for p in (tmp_path / "checkpoints" / "integrity").glob("*.json"))
    assert good and good[-1] == bad_step - 1  # every step before the NaN, never the NaN one
    assert f"last good checkpoint: step {good[-1]}" in proc.stderr
    assert read_metrics(tmp_path / "metrics.jsonl")[-1]["nonfinite"] is True


def test_incompatible_resume_exits_2(tmp_path):
    assert run_cli(*set_args(), "--smoke-steps", "2", "--run-dir", str(tmp_path)).returncode == 0
    meta = {n: (tmp_path / n).read_bytes() for n in ("config.json", "provenance.json")}
    proc = run_cli(*set_args(d_model=32, dataset="golden-v2"), "--run-dir", str(tmp_path),
                   "--resume-from", "latest")
    assert proc.returncode == 2
    assert "differing keys: d_model" in proc.stderr and "Traceback" not in proc.stderr
    # refused before the run's metadata is rewritten: export and eval still read the real run
    assert {n: (tmp_path / n).read_bytes() for n in meta} == meta


def test_sigkill_during_save_then_resume_from_last_complete(tmp_path):
    """Kill a real training process while an async save is in flight; resume must start
    from the newest checkpoint whose integrity sidecar was written."""
    ckpt = tmp_path / "checkpoints"
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    args = [*set_args(steps=2000, lr_decay_steps=2000, save_every_steps=1, keep=3),
            "--run-dir", str(tmp_path), "--device", "cpu"]
    proc = subprocess.Popen([sys.executable, "-m", "training", "train", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught, deadline = False, time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            sidecars = list((ckpt / "integrity").glob("*.json")) if ckpt.exists() else []
            if len(sidecars) >= 2 and list(ckpt.glob("*.orbax-checkpoint-tmp*")):
                caught = True
                break
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert caught, "never observed a save in flight"
    verified = max(int(p.stem) for p in (ckpt / "integrity").glob("*.json"))
    resumed = run_cli(*set_args(steps=verified + 2, lr_decay_steps=2000, save_every_steps=1,
                                keep=3),
                      "--run-dir", str(tmp_path), "--device", "cpu", "--resume-from", "latest")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from step {verified} " in resumed.stderr
    assert f"steps {verified}->{verified + 2}" in resumed.stdout
    assert json.loads((ckpt / "integrity" / f"{verified + 2}.json").read_text())["files"]
