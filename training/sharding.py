"""Data-parallel and FSDP placement over a 1-D ``data`` mesh of all local (or global) devices.

* Data parallel: the batch is split on its batch axis (``P(None, 'data')`` for the
  [grad_accum, micro_batch, T] arrays), every parameter and optimizer leaf is replicated
  (``P()``); XLA inserts the gradient all-reduce.
* FSDP (ZeRO-3 style): additionally every large parameter *and* its Adam moments are split on
  dim 0 (``P('data')``); XLA all-gathers weights for the matmuls and reduce-scatters grads.

The mesh uses ``AxisType.Auto``: JAX 0.10's ``make_mesh`` defaults to explicit axes, under
which ``nnx.Embed`` on sharded token ids raises ``ShardingTypeError``.

Multi-host: :func:`initialize_distributed` calls ``jax.distributed.initialize`` when
``JAX_COORDINATOR_ADDRESS`` is set (with ``JAX_NUM_PROCESSES`` and ``JAX_PROCESS_ID``); then
``jax.devices()`` spans every host and the same mesh code applies. Not testable on one machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import jax
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from training.errors import UsageError

FSDP_MIN_SIZE = 2**14  # leaves smaller than this (biases, norms) stay replicated: not worth it


@dataclass(frozen=True)
class Placement:
    """Shardings of the train state, of one batch array, and of replicated outputs."""

    mesh: Mesh
    fsdp: bool
    state: object  # pytree of NamedSharding, same structure as the train state
    batch: NamedSharding
    replicated: NamedSharding


def parse_mesh(spec: str) -> int:
    """``"data=8"`` -> 8. Only the ``data`` axis exists (FSDP shards over it too)."""
    name, sep, value = spec.partition("=")
    if name.strip() != "data" or not sep or not value.strip().isdigit() or int(value) < 1:
        raise UsageError(f"--mesh {spec!r}: expected data=N with N >= 1")
    return int(value)


def default_mesh_data(spec: str | None) -> int:
    """``--mesh data=N`` -> N; no ``--mesh`` -> every visible device."""
    return parse_mesh(spec) if spec else len(jax.devices())


def make_mesh(n_data: int = 0) -> Mesh:
    """A 1-D ``data`` mesh over the first ``n_data`` devices (0: all of them)."""
    devices = jax.devices()
    n = n_data or len(devices)
    if n > len(devices):
        raise UsageError(f"--mesh data={n}: only {len(devices)} device(s) visible",
                         hint="on CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N "
                              "simulates N devices (set it before jax is imported)")
    return jax.make_mesh((n,), ("data",), axis_types=(AxisType.Auto,), devices=devices[:n])


def leaf_spec(leaf, n: int, fsdp: bool, stacked: bool = False) -> P:
    """``P('data')`` on the first weight dim for large FSDP leaves whose that dim divides
    evenly, else ``P()``. ``stacked`` leaves (scanned layers) carry a leading layer axis,
    which is never sharded: each scan iteration needs its whole layer slice."""
    shape = getattr(leaf, "shape", ())
    axis = 1 if stacked else 0
    if fsdp and len(shape) > axis and shape[axis] % n == 0 and leaf.size >= FSDP_MIN_SIZE:
        return P(*([None] * axis), "data")
    return P()


def _stacked(path) -> bool:
    return any(getattr(k, "key", None) == "blocks" for k in path)


def placement(state, mesh: Mesh, fsdp: bool, scan_layers: bool = True) -> Placement:
    """Shardings for ``state`` (a pytree of arrays or ShapeDtypeStructs) on ``mesh``;
    ``scan_layers``: leaves under ``blocks`` are stacked over layers (training/model.py)."""
    n = mesh.shape["data"]
    shardings = jax.tree_util.tree_map_with_path(
        lambda path, x: NamedSharding(mesh, leaf_spec(x, n, fsdp,
                                                      scan_layers and _stacked(path))), state)
    return Placement(mesh, fsdp, shardings, NamedSharding(mesh, P(None, "data")),
                     NamedSharding(mesh, P()))


def for_config(cfg, state) -> Placement | None:
    """The placement ``cfg.mesh_data`` / ``cfg.fsdp`` ask for; None for a plain 1-device run."""
    if cfg.mesh_data <= 1 and not cfg.fsdp:
        return None
    return placement(state, make_mesh(cfg.mesh_data), cfg.fsdp, cfg.scan_layers)


def check_batch(batch_size: int, grad_accum: int, n: int) -> None:
    if (batch_size // grad_accum) % n:
        raise UsageError(f"micro-batch {batch_size // grad_accum} (batch_size/grad_accum) "
                         f"must divide by the data mesh size {n}")


def initialize_distributed(env: Mapping[str, str] = os.environ) -> bool:
    """Join a multi-host job if ``JAX_COORDINATOR_ADDRESS`` is set; True if it did."""
    address = env.get("JAX_COORDINATOR_ADDRESS")
    if not address:
        return False
    try:
        num, pid = int(env["JAX_NUM_PROCESSES"]), int(env["JAX_PROCESS_ID"])
    except (KeyError, ValueError):
        raise UsageError("JAX_COORDINATOR_ADDRESS is set: JAX_NUM_PROCESSES and "
                         "JAX_PROCESS_ID must be integers too") from None
    jax.distributed.initialize(coordinator_address=address, num_processes=num, process_id=pid)
    return True
