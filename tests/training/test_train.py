"""train_and_evaluate in-process: artifacts, bitwise resume, incompatible resume, best ckpt."""

from __future__ import annotations

import json

import pytest

from tests.training.conftest import micro_config
from training.errors import IncompatibleResumeError
from training.metrics import read_metrics
from training.train import RunOptions, train_and_evaluate

pytestmark = pytest.mark.training


def test_run_leaves_the_documented_layout(micro_run):
    cfg, run_dir, result = micro_run
    assert result.last_step == 20
    doc = json.loads((run_dir / "config.json").read_text())
    assert doc["config_hash"] == cfg.hash() and doc["config"]["d_model"] == 64
    prov = json.loads((run_dir / "provenance.json").read_text())
    assert prov["device"]["platform"] == "cpu" and prov["seed"] == cfg.seed
    assert prov["dataset"]["name"] == "golden-v3" and len(prov["dataset"]["sha256"]) == 64
    assert {"jax", "flax", "optax", "orbax-checkpoint"} <= prov["versions"].keys()
    assert "sha" in prov["git"] and prov["packages"]["jax"] == prov["versions"]["jax"]
    records = read_metrics(run_dir / "metrics.jsonl")
    train = [r for r in records if "loss" in r]
    assert [r["step"] for r in train] == list(range(1, 21))
    assert {"lr", "grad_norm", "tokens_per_sec"} <= train[0].keys()
    evals = [r for r in records if "val_loss" in r]
    assert [r["step"] for r in evals] == [10, 20]
    assert {"val_ppl", "val_acc", "exact_match", "exact_match_greedy"} <= evals[-1].keys()
    assert train[-1]["loss"] < train[0]["loss"]  # it learns something
    ckpts = run_dir / "checkpoints"
    assert {"5", "10", "15", "20"} >= {p.name for p in ckpts.iterdir() if p.name.isdigit()}
    assert (ckpts / "20").is_dir() and (ckpts / "integrity" / "20.json").is_file()
    best = [int(p.name) for p in (ckpts / "best").iterdir() if p.name.isdigit()]
    assert best == [min(evals, key=lambda r: r["val_loss"])["step"]]  # keeps only the best
    assert (run_dir / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_is_bitwise_identical(micro_run, tmp_path):
    """Uninterrupted 20 steps vs 10 steps + resume to 20: steps 11-20 losses are ==."""
    cfg20, _, full = micro_run
    half = micro_config(steps=10, eval_every=10, lr_decay_steps=20)
    assert cfg20.decay_steps == half.decay_steps == 20
    train_and_evaluate(half, tmp_path, RunOptions(device="cpu"))
    resumed = train_and_evaluate(micro_config(steps=20, eval_every=10, lr_decay_steps=20),
                                 tmp_path, RunOptions(device="cpu", resume_from="latest"))
    assert resumed.start_step == 10
    assert [resumed.losses[s] for s in range(11, 21)] == [full.losses[s] for s in range(11, 21)]


def test_resume_with_incompatible_config_names_the_keys(micro_run):
    _, run_dir, _ = micro_run
    with pytest.raises(IncompatibleResumeError) as info:
        train_and_evaluate(micro_config(steps=30, d_model=32, lr=1e-3), run_dir / "other",
                           RunOptions(device="cpu", checkpoint_dir=run_dir / "checkpoints",
                                      resume_from="latest"))
    assert "differing keys: d_model, lr" in str(info.value)
