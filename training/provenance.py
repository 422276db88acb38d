"""Where a run came from: devices, versions, git state, dataset, seed, installed packages.

Also resolves ``--device``/``--device-index`` to a real ``jax.Device`` (or a DeviceError).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import sys
from pathlib import Path
from typing import Any

import jax

from training import cpu_tuning
from training.errors import DeviceError

DEVICE_KINDS = ("cpu", "gpu", "tpu", "auto")


def devices_summary() -> list[dict[str, Any]]:
    return [{"id": d.id, "platform": d.platform, "kind": d.device_kind} for d in jax.devices()]


def resolve_device(kind: str, index: int = 0) -> jax.Device:
    """The device the run will use; absent accelerators are a DeviceError (exit 2)."""
    if kind not in DEVICE_KINDS:
        raise DeviceError(f"--device {kind!r}: choose from {', '.join(DEVICE_KINDS)}")
    try:
        devices = jax.devices() if kind == "auto" else jax.devices(kind)
    except RuntimeError:
        found = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise DeviceError(f"--device {kind}: no {kind.upper()} is visible to JAX on this "
                          f"machine (available: {found})",
                          hint="use --device cpu or --device auto") from None
    if not 0 <= index < len(devices):
        raise DeviceError(f"--device-index {index}: only {len(devices)} {kind} device(s) "
                          f"(valid: 0..{len(devices) - 1})")
    return devices[index]


def git_state(start: Path) -> dict[str, Any]:
    """{"sha", "dirty"} of the repo containing ``start``; nulls outside a repo."""
    try:
        import git  # gitpython

        repo = git.Repo(start, search_parent_directories=True)
        sha = repo.head.commit.hexsha if repo.head.is_valid() else None
        return {"sha": sha, "dirty": repo.is_dirty(untracked_files=False)}
    except Exception as exc:  # not a repo, no git binary, detached weirdness: never fatal
        return {"sha": None, "dirty": None, "note": type(exc).__name__}


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def collect(device: jax.Device, device_kind: str, dataset_info, seed: int) -> dict[str, Any]:
    """The provenance.json document."""
    packages = sorted({(d.metadata["Name"] or "?").lower(): d.version
                       for d in md.distributions()}.items())
    return {
        "schema_version": 1,
        "device": {"requested": device_kind, "platform": device.platform, "id": device.id,
                   "kind": device.device_kind},
        "jax_devices": devices_summary(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in
                     ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy")},
        "git": git_state(Path(__file__).parent),
        "dataset": {"key": dataset_info.key, "name": dataset_info.name,
                    "version": dataset_info.version, "sha256": dataset_info.sha256,
                    "n_train": dataset_info.n_train, "n_val": dataset_info.n_val,
                    "tokenizer": dataset_info.tokenizer,
                    "tokenizer_sha256": dataset_info.tokenizer_sha256},
        "seed": seed,
        "packages": dict(packages),
    }


def compute_choices(cfg, platform_name: str) -> dict[str, Any]:
    """What ``auto`` resolved to on this device: compute dtype, attention implementation,
    layer scan, and the f32 matmul precision JAX uses (TF32 on NVIDIA tensor cores)."""
    from training.config import attention_impl, compute_dtype, layer_scan_unroll

    dtype = compute_dtype(cfg.model.dtype, platform_name)
    matmul = jax.config.jax_default_matmul_precision
    return {"precision_requested": cfg.precision, "compute_dtype": dtype,
            "param_dtype": "float32", "attention": attention_impl(cfg.attention, platform_name,
                                                                  dtype),
            "scan_layers": cfg.scan_layers,
            "layer_scan_unroll": layer_scan_unroll(cfg.n_layers, platform_name)
            if cfg.scan_layers else None,
            # None = JAX's default: on NVIDIA GPUs f32 matmuls then run as TF32
            "default_matmul_precision": matmul,
            # XLA flags in effect (the CPU defaults of training/cpu_tuning.py + the user's)
            "xla_flags": cpu_tuning.active_flags(),
            "cpu_tuning_defaults": cpu_tuning.defaults()}
