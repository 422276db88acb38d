"""Checkpoints: the only Orbax user.

Layout under the checkpoint dir (default RUN_DIR/checkpoints)::

    <step>/                 latest ``keep`` checkpoints (Orbax CheckpointManager, async)
    integrity/<step>.json   sha256 of every file of <step>/, written after the save commits
    best/<step>/            the best checkpoint by validation loss (its own manager, keeps 1)
    best/integrity/<step>.json
    quarantine/<step>-<n>/  checkpoints found corrupt or partial on resume (kept for autopsy)

A checkpoint holds the flattened train state (params, optimizer state, step, RNG key) under
``state`` and JSON metadata (step, loss, lr, device, dataset, config + hash, data position)
under ``meta``. A step directory without a matching sidecar (killed after commit, before the
sidecar) or with a mismatch (bit rot, truncation) is not trusted: resume falls back to the
previous verified step.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp

from training.errors import CheckpointError
from training.jsonio import write_json

INTEGRITY = "integrity"


def flatten(tree) -> tuple[dict[str, Any], Any]:
    """Tree -> ({"params.blocks.0.attn...": leaf}, treedef); stable, readable keys."""
    pairs, treedef = jax.tree_util.tree_flatten_with_path(tree)
    keys = [".".join(str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))))
                     for k in path) for path, _ in pairs]
    return dict(zip(keys, (leaf for _, leaf in pairs), strict=True)), treedef


def _tree_sha(step_dir: Path) -> dict[str, str]:
    files = sorted(p for p in step_dir.rglob("*") if p.is_file())
    return {str(p.relative_to(step_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


class _Store:
    """One CheckpointManager plus its integrity sidecars."""

    def __init__(self, directory: Path, keep: int, create: bool = True):
        self.dir = directory
        options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=create,
                                               enable_async_checkpointing=True)
        self.manager = ocp.CheckpointManager(directory, options=options)

    def sidecar(self, step: int) -> Path:
        return self.dir / INTEGRITY / f"{step}.json"

    def write_sidecar(self, step: int) -> None:
        if not (self.dir / str(step)).is_dir():
            return  # already garbage-collected by max_to_keep
        self.sidecar(step).parent.mkdir(exist_ok=True)
        # atomic: a sidecar is either whole or absent
        write_json(self.sidecar(step), {"step": step, "files": _tree_sha(self.dir / str(step))},
                   indent=1)
        live = {str(s) for s in self.manager.all_steps()}
        for old in self.sidecar(step).parent.glob("*.json"):
            if old.stem not in live:
                old.unlink()

    def problem(self, step: int) -> str | None:
        """None if ``step`` verifies against its sidecar, else what is wrong."""
        if not self.sidecar(step).is_file():
            return "no integrity sidecar (partial save: interrupted before it completed)"
        want = json.loads(self.sidecar(step).read_text())["files"]
        have = _tree_sha(self.dir / str(step))
        bad = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        return f"sha256 mismatch in {', '.join(bad[:3])}" if bad else None

    def quarantine(self, step: int) -> Path:
        target = self.dir / "quarantine" / f"{step}"
        n = 0
        while target.exists():
            n += 1
            target = self.dir / "quarantine" / f"{step}-{n}"
        target.parent.mkdir(exist_ok=True)
        shutil.move(str(self.dir / str(step)), target)
        self.sidecar(step).unlink(missing_ok=True)
        self.manager.reload()
        return target


class Checkpointer:
    """Async saves of the latest ``keep`` steps plus the best-by-val-loss step."""

    def __init__(self, directory: Path, keep: int, warn: Callable[[str], None] = print):
        self.dir = Path(directory).absolute()
        self.latest = _Store(self.dir, keep)
        self.best = _Store(self.dir / "best", 1)
        self.warn = warn
        self._pending: list[tuple[_Store, int]] = []  # saved, sidecar not yet confirmed
        self._sealer: threading.Thread | None = None
        self._seal_error: BaseException | None = None

    def save(self, step: int, state, meta: dict, best: bool = False) -> None:
        """Start an async save of ``state`` at ``step`` and return.

        The ``jax.Array``s go to Orbax as they are: Orbax copies each shard to host memory
        itself before ``save`` returns (so donating the buffers to the next step is safe),
        every process writes only its own shards (multi-host), and the file writes run on
        Orbax's thread. Waiting for the commit and hashing the files for the integrity
        sidecar run on a background thread; the next save (or ``finalize``) joins it."""
        self.finalize()
        store = self.best if best else self.latest
        flat, _ = flatten(state)
        store.manager.save(step, force=True, args=ocp.args.Composite(
            state=ocp.args.StandardSave(flat), meta=ocp.args.JsonSave(meta)))
        self._pending.append((store, step))
        self._sealer = threading.Thread(target=self._seal, args=(list(self._pending),),
                                        name="checkpoint-integrity", daemon=True)
        self._sealer.start()

    def _seal(self, pending: list[tuple[_Store, int]]) -> None:
        """Background: wait for the commit, then write the sidecars (errors kept for
        ``finalize`` to raise on the training thread)."""
        try:
            for store, step in pending:
                store.manager.wait_until_finished()
                store.write_sidecar(step)
        except BaseException as exc:
            self._seal_error = exc

    def finalize(self) -> None:
        """Wait for in-flight saves and their integrity sidecars."""
        if self._sealer is not None:
            self._sealer.join()
            self._sealer = None
        for store in (self.latest, self.best):
            store.manager.wait_until_finished()
        error, self._seal_error = self._seal_error, None
        if error is not None:
            raise error
        self._pending.clear()

    def close(self) -> None:
        self.finalize()
        for store in (self.latest, self.best):
            store.manager.close()

    def best_val_loss(self) -> float:
        """val_loss recorded with the current best checkpoint (inf if none), so a resumed
        run only replaces ``best/`` with something better."""
        step = self.best.manager.latest_step()
        if step is None or self.best.problem(step) is not None:
            return float("inf")
        meta = self.best.manager.restore(step, args=ocp.args.Composite(
            meta=ocp.args.JsonRestore()))["meta"]
        return float(meta.get("val_loss") or float("inf"))

    def verified_steps(self) -> list[int]:
        return [s for s in self.latest.manager.all_steps() if self.latest.problem(s) is None]

    def find(self, source: str) -> Found | None:
        """Locate the checkpoint to resume: ``latest`` (this dir), a checkpoint root, or a
        step dir. ``None`` when ``latest`` finds nothing. Corrupt or partial steps are
        quarantined with a warning and the previous verified step is used."""
        if source == "latest":
            store, only = self.latest, None
        else:
            path = Path(source).absolute()
            if path.name.isdigit() and path.is_dir():
                store, only = _Store(path.parent, 10**6, create=False), int(path.name)
            elif path.is_dir():
                store, only = _Store(path, 10**6, create=False), None
            else:
                raise CheckpointError(f"--resume-from {source}: no such checkpoint directory")
        steps = [only] if only is not None else sorted(store.manager.all_steps(), reverse=True)
        for step in steps:
            problem = store.problem(step)
            if problem is None:
                meta = store.manager.restore(step, args=ocp.args.Composite(
                    meta=ocp.args.JsonRestore()))["meta"]
                return Found(store, step, meta)
            if only is not None:
                raise CheckpointError(f"checkpoint {store.dir / str(step)} is unusable: "
                                      f"{problem}")
            moved = store.quarantine(step)
            self.warn(f"checkpoint step {step} is unusable ({problem}); moved to {moved}; "
                      "using the previous one")
        if source != "latest":
            raise CheckpointError(f"--resume-from {source}: no usable checkpoint found")
        return None


@dataclass
class Found:
    """A verified checkpoint: its metadata now, its arrays on demand."""

    store: _Store
    step: int
    meta: dict

    def state(self, abstract_state):
        """Restore the train state into the structure/shardings of ``abstract_state``."""
        flat_abstract, treedef = flatten(abstract_state)
        restored = self.store.manager.restore(self.step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(flat_abstract)))["state"]
        return jax.tree_util.tree_unflatten(treedef, [restored[k] for k in flat_abstract])


def open_verified(root: Path, step: int | None = None) -> Found:
    """Read-only lookup for evaluation: ``step`` under the checkpoint root ``root`` (or its
    newest step that verifies), checked against its integrity sidecar. Unlike
    ``Checkpointer.find`` nothing is quarantined or moved: a reader must not edit a run."""
    root = Path(root).absolute()
    if not root.is_dir():
        raise CheckpointError(f"{root}: no such checkpoint directory")
    store = _Store(root, 10**6, create=False)
    steps = [step] if step is not None else sorted(store.manager.all_steps(), reverse=True)
    problems = []
    for s in steps:
        problem = store.problem(s) if (root / str(s)).is_dir() else "no such step"
        if problem is None:
            meta = store.manager.restore(s, args=ocp.args.Composite(
                meta=ocp.args.JsonRestore()))["meta"]
            return Found(store, s, meta)
        problems.append(f"step {s}: {problem}")
    detail = "; ".join(problems[:3]) or "no checkpoint steps"
    raise CheckpointError(f"{root}: no usable checkpoint ({detail})")


def content_sha256(step_dir: Path) -> str:
    """One digest of a checkpoint step: sha256 over its sorted ``path sha256`` lines."""
    lines = "".join(f"{k} {v}\n" for k, v in sorted(_tree_sha(Path(step_dir)).items()))
    return hashlib.sha256(lines.encode()).hexdigest()
