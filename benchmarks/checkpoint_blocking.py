"""Blocking time of one checkpoint save on the training thread: before vs after, interleaved.

``python benchmarks/checkpoint_blocking.py [--presets small,gpt2-124m] [--saves 4]``

*before* is the previous ``Checkpointer.save`` (kept here as ``LegacyCheckpointer``): a full
``np.array`` host copy of every leaf on the training thread, and the previous save's sha256
sidecar hashed on the training thread at the start of the next save. *after* is
``training.checkpoint.Checkpointer``: the ``jax.Array``s go to Orbax as they are and the
sidecar is hashed on a background thread. Both save the real train state (params + Adam
moments) of the preset. Between saves the script waits (untimed) for the write to commit, as
the steps between two saves of a real run would. The first save of each variant is dropped
(Orbax warm-up). Prints each save's blocking time and the median per variant.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def legacy_class():
    import numpy as np
    import orbax.checkpoint as ocp

    from training.checkpoint import Checkpointer, flatten

    class LegacyCheckpointer(Checkpointer):
        """The save path before this change (host copy + hashing on the caller's thread)."""

        def save(self, step, state, meta, best=False):
            self.finalize()
            store = self.best if best else self.latest
            flat, _ = flatten(state)
            host = {k: np.array(v) for k, v in flat.items()}
            store.manager.save(step, force=True, args=ocp.args.Composite(
                state=ocp.args.StandardSave(host), meta=ocp.args.JsonSave(meta)))
            self._pending.append((store, step))

        def finalize(self):
            for store in (self.latest, self.best):
                store.manager.wait_until_finished()
            for store, step in self._pending:
                store.write_sidecar(step)
            self._pending.clear()

    return LegacyCheckpointer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="small,gpt2-124m")
    ap.add_argument("--saves", type=int, default=4, help="saves per variant (first dropped)")
    args = ap.parse_args()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    from training.checkpoint import Checkpointer
    from training.config import make_config
    from training.optim import make_optimizer
    from training.step import init_state

    variants = {"before": legacy_class(), "after": Checkpointer}
    print(f"load average at start: {os.getloadavg()}")
    for preset in args.presets.split(","):
        cfg = make_config(preset)
        _, state = init_state(cfg, make_optimizer(cfg))
        state = jax.device_put(state, jax.devices()[0])
        nbytes = sum(x.nbytes for x in jax.tree.leaves(state))
        root = Path(tempfile.mkdtemp(prefix="ckpt-blocking-"))
        ckpts = {name: cls(root / name, keep=2, warn=lambda _: None)
                 for name, cls in variants.items()}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for i in range(1, args.saves + 1):
            for name, ckpt in ckpts.items():  # interleaved: load hits both alike
                t0 = time.perf_counter()
                ckpt.save(i, state, {"step": i})
                times[name].append(time.perf_counter() - t0)
                ckpt.latest.manager.wait_until_finished()  # the steps between two saves
                if ckpt._sealer is not None:  # noqa: SLF001 - after: its sidecar thread too
                    ckpt._sealer.join()  # noqa: SLF001
        for ckpt in ckpts.values():
            ckpt.close()
        shutil.rmtree(root, ignore_errors=True)
        print(f"{preset}: state {nbytes / 1e6:,.0f} MB (params + Adam moments)")
        for name, ts in times.items():
            kept = ts[1:] or ts
            print(f"  {name:6s} blocking per save: median {statistics.median(kept) * 1e3:8.1f} "
                  f"ms   all: {', '.join(f'{t * 1e3:.0f}' for t in ts)} ms")
        b, a = (statistics.median(times[n][1:] or times[n]) for n in ("before", "after"))
        print(f"  before/after: {b / a:.1f}x less blocking")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
