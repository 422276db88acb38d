"""Run by tests/training/test_sharding.py in a subprocess (XLA_FLAGS set by the caller).

``save OUT``: 3 steps single-device, data-parallel and FSDP over all devices; writes losses,
shardings and the FSDP state (npz) to OUT/result.json, and an FSDP checkpoint to OUT/ckpt.
``restore OUT``: restores OUT/ckpt onto an FSDP placement over this process's devices and
checks it equals the saved arrays bitwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jax
import numpy as np

from training import sharding
from training.checkpoint import Checkpointer, flatten
from training.config import make_config
from training.data.dataset import load_dataset
from training.optim import make_optimizer
from training.step import init_state, make_train_step, split_micro

CFG = make_config("tiny", n_layers=2, d_model=64, n_heads=2, batch_size=16, golden_count=400,
                  warmup_steps=2)
STEPS = 3


def run(mode: str):
    tx = make_optimizer(CFG)
    graphdef, state = init_state(CFG, tx)
    data = load_dataset(CFG)
    placement = None
    if mode != "single":
        placement = sharding.placement(state, sharding.make_mesh(), fsdp=mode == "fsdp")
        state = jax.device_put(state, placement.state)
    step = make_train_step(graphdef, CFG, tx, placement)
    losses = []
    for i in range(STEPS):
        batch = split_micro(data.train_batch(CFG.seed, i, CFG.batch_size), 1)
        batch = jax.device_put(batch, placement.batch if placement else jax.devices()[0])
        state, m = step(state, *batch)
        losses.append(float(m["loss"]))
    return state, losses


def specs(state) -> dict[str, list]:
    flat, _ = flatten(state)
    return {k.removesuffix(".value"): [None if s is None else str(s) for s in v.sharding.spec]
            for k, v in flat.items() if hasattr(v.sharding, "spec")}


def save(out: Path) -> None:
    result = {"devices": len(jax.devices())}
    for mode in ("single", "dp", "fsdp"):
        state, losses = run(mode)
        result[mode] = {"losses": losses, "specs": specs(state)}
    ckpt = Checkpointer(out / "ckpt", keep=1, warn=print)
    ckpt.save(STEPS, state, {"step": STEPS})
    ckpt.close()
    flat, _ = flatten(state)
    np.savez(out / "state.npz", **{k: np.asarray(v) for k, v in flat.items()})
    (out / "result.json").write_text(json.dumps(result))


def restore(out: Path) -> None:
    tx = make_optimizer(CFG)
    _, state = init_state(CFG, tx)
    placement = sharding.placement(state, sharding.make_mesh(), fsdp=True)
    abstract = jax.device_put(state, placement.state)
    found = Checkpointer(out / "ckpt", keep=1, warn=print).find("latest")
    restored = found.state(abstract)
    want = np.load(out / "state.npz")
    flat, _ = flatten(restored)
    mismatched = [k for k, v in flat.items() if not np.array_equal(np.asarray(v), want[k])]
    (out / "restore.json").write_text(json.dumps({
        "devices": len(jax.devices()), "step": found.step, "mismatched": mismatched,
        "specs": specs(restored)}))


if __name__ == "__main__":
    {"save": save, "restore": restore}[sys.argv[1]](Path(sys.argv[2]))
