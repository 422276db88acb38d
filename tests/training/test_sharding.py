"""Data-parallel / FSDP on simulated CPU devices, in subprocesses (XLA_FLAGS must be set
before jax is imported, and this test process may already have imported it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.training.conftest import REPO

pytestmark = pytest.mark.training

SCRIPT = REPO / "tests" / "training" / "scripts" / "sharded_run.py"
REL_TOL = 1e-5  # all-reduce order differs from the single-device sum; ~1e-7 seen


def _run(mode: str, out, devices: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    proc = subprocess.run([sys.executable, str(SCRIPT), mode, str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / ("result.json" if mode == "save" else "restore.json")).read_text())


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("sharded")
    return out, _run("save", out, devices=8)


def test_data_parallel_and_fsdp_match_single_device(saved):
    _, r = saved
    assert r["devices"] == 8
    for mode in ("dp", "fsdp"):
        for a, b in zip(r["single"]["losses"], r[mode]["losses"], strict=True):
            assert abs(a - b) <= REL_TOL * abs(a), (mode, r["single"]["losses"],
                                                     r[mode]["losses"])


def test_fsdp_shards_params_and_optimizer_state(saved):
    _, r = saved
    dp, fsdp = r["dp"]["specs"], r["fsdp"]["specs"]
    assert all("data" not in spec for spec in dp.values())  # data parallel: replicated
    big = [k for k in fsdp if k.endswith(("wte.embedding", "mlp.up.kernel"))]
    params = [k for k in big if k.startswith("params.")]
    moments = [k for k in big if k.startswith("opt_state.") and (".mu." in k or ".nu." in k)]
    assert params and len(moments) == 2 * len(params), big
    for key in big:  # scanned layers: the leading layer axis stays whole, dim 1 is split
        want = [None, "data"] if ".blocks." in key else ["data"]
        assert fsdp[key][:len(want)] == want, (key, fsdp[key])
    assert fsdp["step"] == [] and fsdp["params.ln_f.scale"] == []  # small leaves replicated


@pytest.mark.parametrize("devices", [2, pytest.param(1, marks=pytest.mark.slow)])
def test_sharded_checkpoint_restores_on_another_device_count(saved, devices):
    out, _ = saved
    r = _run("restore", out, devices=devices)
    assert r["devices"] == devices and r["step"] == 3
    assert r["mismatched"] == []
    assert r["specs"]["params.wte.embedding"] == ["data"]  # re-sharded over the new mesh


def test_train_cli_runs_fsdp_on_two_devices(tmp_path):
    from tests.training.conftest import set_args

    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    proc = subprocess.run([sys.executable, "-m", "training", "train", *set_args(steps=3),
                           "--mesh", "data=2", "--fsdp", "--run-dir", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cfg = json.loads((tmp_path / "config.json").read_text())["config"]
    assert cfg["mesh_data"] == 2 and cfg["fsdp"] is True
    assert (tmp_path / "checkpoints" / "3").is_dir()


def test_mesh_larger_than_the_device_count_is_a_usage_error(tmp_path):
    from tests.training.conftest import run_cli, set_args

    proc = run_cli(*set_args(steps=1), "--mesh", "data=4", "--run-dir", str(tmp_path))
    assert proc.returncode == 2 and "only" in proc.stderr and "device" in proc.stderr
