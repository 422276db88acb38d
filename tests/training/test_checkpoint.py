"""Checkpoint round trip, integrity sidecars, corrupt/partial fallback."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from tests.training.conftest import micro_config
from training.checkpoint import Checkpointer, flatten
from training.errors import CheckpointError
from training.optim import make_optimizer
from training.step import init_state

pytestmark = pytest.mark.training


def _state(seed: int):
    cfg = micro_config(seed=seed)
    return init_state(cfg, make_optimizer(cfg))[1]


def _equal(a, b) -> bool:
    fa, fb = flatten(a)[0], flatten(b)[0]
    return fa.keys() == fb.keys() and all(np.array_equal(fa[k], fb[k]) for k in fa)


def test_round_trip_is_bitwise_and_carries_metadata(tmp_path):
    state = _state(0)
    ck = Checkpointer(tmp_path, keep=2)
    ck.save(7, state, {"step": 7, "config_hash": "abc"})
    ck.close()
    assert (tmp_path / "integrity" / "7.json").is_file()
    found = Checkpointer(tmp_path, keep=2).find("latest")
    assert found.step == 7 and found.meta == {"step": 7, "config_hash": "abc"}
    restored = found.state(_state(1))  # a different init: the values must come from disk
    assert _equal(restored, state) and not _equal(_state(1), state)
    assert restored["rng"].dtype == np.uint32 and int(restored["step"]) == 0


def test_keep_prunes_old_steps_and_their_sidecars(tmp_path):
    ck = Checkpointer(tmp_path, keep=2)
    for step in (1, 2, 3):
        ck.save(step, _state(0), {"step": step})
    ck.close()
    assert sorted(int(p.name) for p in tmp_path.iterdir() if p.name.isdigit()) == [2, 3]
    assert sorted(p.stem for p in (tmp_path / "integrity").glob("*.json")) == ["2", "3"]


def _two_checkpoints(tmp_path):
    ck = Checkpointer(tmp_path, keep=3)
    ck.save(1, _state(1), {"step": 1})
    ck.save(2, _state(2), {"step": 2})
    ck.close()


def test_corrupt_latest_falls_back_to_previous(tmp_path):
    _two_checkpoints(tmp_path)
    victim = max((p for p in (tmp_path / "2").rglob("*") if p.is_file()),
                 key=lambda p: p.stat().st_size)
    data = victim.read_bytes()
    victim.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # always a change (a last 0x00
    # byte "corrupted" to 0x00 left the checkpoint intact: a flaky pass/fail seen in CI)
    warnings = []
    found = Checkpointer(tmp_path, keep=3, warn=warnings.append).find("latest")
    assert found.step == 1 and _equal(found.state(_state(0)), _state(1))
    assert len(warnings) == 1 and "step 2 is unusable (sha256 mismatch" in warnings[0]
    assert (tmp_path / "quarantine" / "2").is_dir() and not (tmp_path / "2").exists()


def test_missing_sidecar_counts_as_partial(tmp_path):
    _two_checkpoints(tmp_path)
    (tmp_path / "integrity" / "2.json").unlink()
    warnings = []
    assert Checkpointer(tmp_path, keep=3, warn=warnings.append).find("latest").step == 1
    assert "partial save" in warnings[0]


def test_explicit_step_path_that_is_corrupt_is_an_error(tmp_path):
    _two_checkpoints(tmp_path)
    (tmp_path / "integrity" / "2.json").unlink()
    with pytest.raises(CheckpointError, match="is unusable"):
        Checkpointer(tmp_path / "other", keep=3).find(str(tmp_path / "2"))
    found = Checkpointer(tmp_path / "other", keep=3).find(str(tmp_path / "1"))
    assert found.step == 1


def test_latest_with_nothing_saved_is_none(tmp_path):
    assert Checkpointer(tmp_path, keep=1).find("latest") is None
    assert jax.devices()[0].platform == "cpu"


def test_a_save_is_not_changed_by_the_next_step_donating_its_buffers(tmp_path):
    """save() returns before the write; the next jitted step donates (and on CPU reuses) the
    very buffers handed to Orbax. The checkpoint must still hold the values at save time."""
    from training.data.dataset import load_dataset
    from training.step import make_train_step, split_micro

    cfg = micro_config()
    tx = make_optimizer(cfg)
    graphdef, state = init_state(cfg, tx)
    step = make_train_step(graphdef, cfg, tx)
    data = load_dataset(cfg)
    batch = split_micro(data.train_batch(0, 0, cfg.batch_size), 1)
    state, _ = step(state, *batch)
    want = {k: np.array(v) for k, v in flatten(state)[0].items()}  # host copy at save time
    ck = Checkpointer(tmp_path, keep=2)
    ck.save(1, state, {"step": 1})
    for i in range(1, 4):  # donates the saved buffers while the write may be in flight
        state, _ = step(state, *split_micro(data.train_batch(0, i, cfg.batch_size), 1))
    jax.block_until_ready(state)
    ck.close()
    restored = Checkpointer(tmp_path, keep=2).find("latest").state(_state(1))
    got = flatten(restored)[0]
    assert all(np.array_equal(got[k], want[k]) for k in want)
    assert not np.array_equal(np.asarray(flatten(state)[0]["step"]), want["step"])
