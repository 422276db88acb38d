"""The eval command end to end on a random-init checkpoint (CI-sized), the determinism of the
results pack, refusals, and that evaluating never edits the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.training.conftest import REPO, micro_config

pytestmark = pytest.mark.training

SEQ = 96
ARGS = ["--lengths", "80,96", "--depths", "0,0.5,1", "--trials", "4", "--seed", "0",
        "--device", "cpu"]


def run_eval(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "-m", "training", "eval", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def save_init(run, **overrides):
    """Save the random init of a passkey micro config as ``run``'s only checkpoint (step 0)."""
    from training.checkpoint import Checkpointer
    from training.optim import make_optimizer
    from training.step import init_state

    cfg = micro_config(dataset="passkey", seq_len=SEQ, **overrides)
    _, state = init_state(cfg, make_optimizer(cfg))
    ckpt = Checkpointer(run / "checkpoints", keep=1, warn=lambda _: None)
    ckpt.save(0, state, {"step": 0, "config": cfg.to_dict(), "config_hash": cfg.hash()})
    ckpt.close()
    return cfg


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run dir whose only checkpoint (step 0) is the random init of a passkey config."""
    run = tmp_path_factory.mktemp("eval_run")
    save_init(run)
    return run


def _pack_path(run_dir):
    (path,) = (run_dir / "checkpoints" / "eval" / "0").glob("passkey-checkpoint-*.json")
    return path


def test_random_init_checkpoint_end_to_end_and_byte_identical_rerun(run_dir):
    t0 = time.perf_counter()
    first = run_eval("passkey", "--checkpoint", str(run_dir), *ARGS)
    seconds = time.perf_counter() - t0
    assert first.returncode == 0, first.stderr
    line = first.stdout.strip()
    assert "\n" not in line and line.startswith("passkey: exact match 0.000 (0/24), digits ")
    path = _pack_path(run_dir)
    assert str(path) in line and path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    pack = json.loads(path.read_text())
    assert pack["schema_version"] == 1 and pack["checkpoint"]["step"] == 0
    assert len(pack["checkpoint"]["sha256"]) == 64 and len(pack["config_hash"]) == 16
    assert "sha" in pack["git"]
    assert [(c["length"], c["depth"], c["n"]) for c in pack["cells"]] == [
        (n, d, 4) for n in (80, 96) for d in (0.0, 0.5, 1.0)]
    assert pack["overall"]["n"] == 24 and pack["overall"]["correct"] == 0  # chance: ~1e-5
    assert pack["overall"]["accuracy"] == 0.0 and pack["overall"]["digit_accuracy"] < 0.3
    assert all(w["got"] != w["expected"] for c in pack["cells"] for w in c["wrong"])
    print(f"CI-sized eval (24 prompts, 2 lengths) took {seconds:.1f}s")  # shown with -s

    blob = path.read_bytes()
    second = run_eval("passkey", "--checkpoint", str(run_dir / "checkpoints" / "0"), *ARGS)
    assert second.returncode == 0, second.stderr
    assert path.read_bytes() == blob  # same checkpoint + seed: byte-identical pack
    other = run_eval("passkey", "--checkpoint", str(run_dir), *ARGS[:-4], "--seed", "1",
                     "--device", "cpu", "--json")
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["spec"]["seed"] == 1
    assert json.loads(other.stdout)["example_prompt"] != pack["example_prompt"]


def test_a_rope_checkpoint_is_restored_and_scored_with_its_own_positions(tmp_path):
    """The model is rebuilt from the checkpoint's config: a rotary model (no position table)
    restores from its checkpoint and decodes."""
    cfg = save_init(tmp_path, positions="rope", n_heads=4)
    out = run_eval("passkey", "--checkpoint", str(tmp_path), *ARGS, "--json")
    assert out.returncode == 0, out.stderr
    pack = json.loads(out.stdout)
    assert pack["config_hash"] == cfg.hash() and pack["overall"]["n"] == 24


@pytest.mark.parametrize(("args", "needle"), [
    (["--lengths", "96,200"], "--lengths 200: longer than the model's seq_len 96"),
    (["--lengths", "40"], "--lengths 40: shorter than the passkey prompt needs"),
    (["--lengths", "8o"], "--lengths 8o: expected comma-separated integers"),
    (["--depths", "0,1.5"], "--depths 0,1.5: every depth must be in [0, 1]"),
    (["--trials", "0"], "--trials 0: must be >= 1"),
    (["--haystack", "wiki"], "--haystack wiki: choose from repeat, golden, stdlib"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(run_dir, tmp_path, args, needle):
    proc = run_eval("passkey", "--checkpoint", str(run_dir), "--out", str(tmp_path / "o"),
                    *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_missing_or_corrupt_checkpoint_exits_2_and_the_run_is_left_alone(run_dir, tmp_path):
    import shutil

    proc = run_eval("niah", "--checkpoint", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "no such run or checkpoint directory" in proc.stderr
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    victim = next(p for p in sorted((copy / "checkpoints" / "0").rglob("*")) if p.is_file()
                  and p.stat().st_size > 100)
    victim.write_bytes(b"\0" * victim.stat().st_size)  # bit rot
    before = sorted(str(p.relative_to(copy)) for p in copy.rglob("*"))
    proc = run_eval("passkey", "--checkpoint", str(copy), "--device", "cpu")
    assert proc.returncode == 2, proc.stderr
    assert "no usable checkpoint (step 0: sha256 mismatch" in proc.stderr
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == before  # no quarantine
