"""Export: params round trip, StableHLO forward vs native logits, metadata, check."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.training.conftest import micro_config
from training.cli import main
from training.ops import export as ex

pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from training.train import RunOptions, train_and_evaluate

    run_dir = tmp_path_factory.mktemp("exp_run")
    train_and_evaluate(micro_config(steps=3, exact_match_examples=2), run_dir,
                       RunOptions(device="cpu"))
    out = run_dir / "export"
    meta = ex.export_run(run_dir, out)
    return run_dir, out, meta


def _leaves_equal(a, b) -> bool:
    fa, fb = ex._flat(a), ex._flat(b)
    return fa.keys() == fb.keys() and all(np.array_equal(fa[k], fb[k]) for k in fa)


def test_params_round_trip_npz_and_msgpack(exported):
    run_dir, out, meta = exported
    run = ex.load_run(run_dir)
    assert run.source == "best" and run.step == meta["source"]["step"] == 3
    want = ex.pure_params(run.params)
    assert _leaves_equal(ex.load_params_npz(out / "params.npz"), want)
    assert _leaves_equal(ex.load_params_msgpack(out / "params.msgpack"), want)


def test_stablehlo_export_matches_native_logits(exported):
    run_dir, out, _ = exported
    run = ex.load_run(run_dir)
    exp = ex.export_forward(run.cfg, run.graphdef, run.params)  # runs the StableHLO module
    pure = ex.pure_params(run.params)
    for batch in (1, 3):
        tokens = jax.random.randint(jax.random.key(batch), (batch, run.cfg.seq_len), 0, 258)
        want = ex.forward_fn(run.graphdef, run.params)(pure, tokens)
        assert float(jnp.max(jnp.abs(ex.call_exported(exp, pure, tokens) - want))) <= 1e-5
    text = (out / "model.mlir").read_text()
    assert "stablehlo." in text and "func.func public @main" in text
    assert (out / "model.stablehlo").stat().st_size > 1000


def test_stablehlo_round_trip_matches_native_logits(exported):
    _, out, meta = exported
    assert meta["stablehlo_format"] == "jax.export"
    assert ex._check_logits(out, meta, ex.load_params_msgpack(out / "params.msgpack"),
                            1e-5) == []


def test_metadata_describes_and_hashes_artifacts(exported):
    run_dir, out, meta = exported
    assert json.loads((out / "export.json").read_text()) == meta
    assert meta["format_version"] == 1 and meta["config_hash"] == micro_config(
        steps=3, exact_match_examples=2).hash()
    assert meta["inputs"][0]["shape"] == ["b", 48] and meta["outputs"][0]["dtype"] == "float32"
    assert meta["param_count"] == sum(int(np.prod(v["shape"])) for v in meta["params"].values())
    assert meta["params"]["wte.embedding"]["shape"] == [320, 64]
    assert set(meta["files"]) == set(ex.ARTIFACTS)
    assert all(ex.sha256(out / n) == h for n, h in meta["files"].items())
    assert meta["source"]["run_dir"] == str(run_dir.resolve()) and meta["jax_version"]


def test_check_fails_on_tampered_artifact(exported, tmp_path, capsys):
    import shutil

    _, out, _ = exported
    assert main(["export", "check", str(out)]) == 0
    copy = tmp_path / "x"
    shutil.copytree(out, copy)
    blob = bytearray((copy / "params.npz").read_bytes())
    blob[-100] ^= 0xFF
    (copy / "params.npz").write_bytes(bytes(blob))
    assert main(["export", "check", str(copy)]) == 1
    assert "params.npz: sha256 mismatch" in capsys.readouterr().err
