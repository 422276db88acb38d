"""Export a trained run: params (.npz, .msgpack), the forward pass as StableHLO, metadata.

``OUT/`` after ``export_run(run_dir, out)``::

    params.npz        one array per parameter, dotted keys ("blocks.0.attn.qkv.kernel")
    params.msgpack    flax.serialization msgpack of the pure param dict (nested)
    model.stablehlo   jax.export artefact of ``logits = forward(params, tokens[b, seq_len])``
                      (symbolic batch ``b``); the jax.export envelope when ``flatbuffers`` is
                      installed (``jax.export.deserialize`` reads it), else raw StableHLO
                      bytecode (``"stablehlo_format"`` in export.json says which)
    model.mlir        the same module as StableHLO text, for reading and diffing
    export.json       format version, config + hash, param count and per-leaf shape/dtype,
                      input/output signatures, jax version, platforms, sha256 of every file,
                      source run dir and checkpoint step

CLI: ``python -m training export --run-dir R --out DIR [--which best|latest]`` and
``python -m training export check DIR`` (exit 1 with the problems found).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, serialization

from training.config import TrainConfig
from training.errors import CheckpointError
from training.jsonio import write_json

FORMAT_VERSION = 1
ARTIFACTS = ("params.npz", "params.msgpack", "model.stablehlo", "model.mlir")


@dataclass
class LoadedRun:
    cfg: TrainConfig
    graphdef: Any
    params: Any  # nnx.State of nnx.Param
    step: int
    source: str  # "best" or "latest"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def config_from_json(doc: dict[str, Any]) -> TrainConfig:
    return TrainConfig(**doc)


def load_run(run_dir: Path, which: str = "best") -> LoadedRun:
    """Params of a run's best checkpoint (falls back to latest when no eval saved a best)."""
    from training.checkpoint import Checkpointer
    from training.optim import make_optimizer
    from training.step import init_state

    run_dir = Path(run_dir)
    if which not in ("best", "latest"):
        raise CheckpointError(f"--which {which!r}: choose best or latest", )
    if not (run_dir / "config.json").is_file():
        raise CheckpointError(f"{run_dir}: no config.json (not a run dir?)")
    cfg = config_from_json(json.loads((run_dir / "config.json").read_text())["config"])
    ckdir = run_dir / "checkpoints"
    if not ckdir.is_dir():
        raise CheckpointError(f"{run_dir}: no checkpoints/ directory (not a run dir?)")
    ckpt = Checkpointer(ckdir, cfg.keep, warn=lambda _msg: None)
    try:
        found, source = None, which
        best = ckdir / "best"
        if which == "best" and best.is_dir() and any(p.name.isdigit() for p in best.iterdir()):
            found = ckpt.find(str(best))
        if found is None:
            found, source = ckpt.find("latest"), "latest"
        if found is None:
            raise CheckpointError(f"{ckdir}: no usable checkpoint")
        graphdef, state = init_state(cfg, make_optimizer(cfg))
        params = found.state(state)["params"]
        return LoadedRun(cfg, graphdef, params, found.step, source)
    finally:
        ckpt.close()


def pure_params(params) -> dict[str, Any]:
    """nnx.State -> nested dict of numpy arrays."""
    return jax.tree.map(np.asarray, nnx.to_pure_dict(params))


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = np.asarray(value)
    return out


def _nest(flat: dict[str, np.ndarray]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name, value in flat.items():
        node = root
        *parents, leaf = name.split(".")
        for p in parents:
            node = node.setdefault(int(p) if p.isdigit() else p, {})
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return root


def export_params(params, out_dir: Path) -> None:
    pure = pure_params(params)
    np.savez(out_dir / "params.npz", **_flat(pure))
    (out_dir / "params.msgpack").write_bytes(serialization.msgpack_serialize(pure))


def load_params_npz(path: Path) -> dict[str, Any]:
    with np.load(path) as z:
        return _nest({k: z[k] for k in z.files})


def load_params_msgpack(path: Path) -> dict[str, Any]:
    """Nested dict; msgpack keys are strings, so list indices come back as "0", "1"."""
    return _int_keys(serialization.msgpack_restore(Path(path).read_bytes()))


def _str_keys(tree):
    """jax.export serializes only dicts with string keys; NNX numbers its layers (0, 1, …)."""
    if not isinstance(tree, dict):
        return tree
    return {str(k): _str_keys(v) for k, v in tree.items()}


def _int_keys(tree):
    if not isinstance(tree, dict):
        return tree
    return {int(k) if isinstance(k, str) and k.isdigit() else k: _int_keys(v)
            for k, v in tree.items()}


def forward_fn(graphdef, template):
    """``forward(pure_params, tokens) -> logits``; ``template`` gives the nnx.State shape."""

    def forward(pure, tokens):
        state = jax.tree.map(lambda x: x, template)  # a fresh State to fill
        nnx.replace_by_pure_dict(state, pure)
        return nnx.merge(graphdef, state)(tokens)

    return forward


def export_forward(cfg: TrainConfig, graphdef, params) -> jax.export.Exported:
    """jax.export of the forward pass, batch dimension symbolic. The exported function takes
    the params with string keys (so the envelope serializes): use `call_exported`."""
    pure = _str_keys(pure_params(params))
    spec = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), pure)
    (b,) = jax.export.symbolic_shape("b")
    tokens = jax.ShapeDtypeStruct((b, cfg.seq_len), jnp.int32)
    forward = forward_fn(graphdef, params)
    return jax.export.export(jax.jit(lambda p, t: forward(_int_keys(p), t)))(spec, tokens)


def call_exported(exported: jax.export.Exported, pure: dict, tokens) -> jax.Array:
    """Run an exported forward pass on params as `pure_params` or the loaders return them."""
    return exported.call(_str_keys(pure), tokens)


def can_deserialize() -> bool:
    """jax.export (de)serialization of the envelope needs the ``flatbuffers`` package."""
    return importlib.util.find_spec("flatbuffers") is not None


def export_stablehlo(cfg: TrainConfig, graphdef, params, out_dir: Path) -> dict[str, Any]:
    exported = export_forward(cfg, graphdef, params)
    if can_deserialize():
        blob, fmt = bytes(exported.serialize()), "jax.export"
    else:
        blob, fmt = bytes(exported.mlir_module_serialized), "stablehlo-bytecode"
    (out_dir / "model.stablehlo").write_bytes(blob)
    (out_dir / "model.mlir").write_text(exported.mlir_module())
    return {"stablehlo_format": fmt, "platforms": list(exported.platforms),
            "calling_convention_version": exported.calling_convention_version,
            "inputs": [{"name": "tokens", "shape": ["b", cfg.seq_len], "dtype": "int32"}],
            "outputs": [{"name": "logits", "shape": ["b", cfg.seq_len, cfg.vocab_size],
                         "dtype": "float32"}]}


def export_run(run_dir: Path, out_dir: Path, which: str = "best") -> dict[str, Any]:
    """Write every artefact and export.json for ``run_dir``; returns the metadata."""
    run = load_run(run_dir, which)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_params(run.params, out_dir)
    hlo = export_stablehlo(run.cfg, run.graphdef, run.params, out_dir)
    leaves = _flat(pure_params(run.params))
    prov_path = Path(run_dir) / "provenance.json"
    prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {}
    meta = {
        "format_version": FORMAT_VERSION, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                      time.gmtime()),
        "source": {"run_dir": str(Path(run_dir).resolve()), "checkpoint": run.source,
                   "step": run.step, "git_sha": prov.get("git", {}).get("sha"),
                   "dataset": prov.get("dataset")},
        "config": run.cfg.to_dict(), "config_hash": run.cfg.hash(),
        "param_count": int(sum(v.size for v in leaves.values())),
        "params": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in leaves.items()},
        "jax_version": jax.__version__, **hlo,
        "files": {name: sha256(out_dir / name) for name in ARTIFACTS},
    }
    write_json(out_dir / "export.json", meta)
    return meta


def check(out_dir: Path, atol: float = 1e-5) -> list[str]:
    """Problems with an export directory (empty list: it is sound)."""
    out_dir = Path(out_dir)
    meta_path = out_dir / "export.json"
    if not meta_path.is_file():
        return [f"{meta_path}: missing"]
    meta = json.loads(meta_path.read_text())
    problems = [f"{name}: sha256 mismatch" for name, digest in meta["files"].items()
                if not (out_dir / name).is_file() or sha256(out_dir / name) != digest]
    if problems:
        return problems
    nested = load_params_msgpack(out_dir / "params.msgpack")
    npz, mp = _flat(load_params_npz(out_dir / "params.npz")), _flat(nested)
    if npz.keys() != mp.keys() or any(not np.array_equal(npz[k], mp[k]) for k in npz):
        problems.append("params.npz and params.msgpack differ")
    shapes = {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in npz.items()}
    if shapes != meta["params"]:
        problems.append("param shapes/dtypes differ from export.json")
    if meta["stablehlo_format"] == "jax.export" and can_deserialize() and not problems:
        problems += _check_logits(out_dir, meta, nested, atol)
    return problems


def _check_logits(out_dir: Path, meta: dict, pure: dict, atol: float) -> list[str]:
    from training.model import GPT

    cfg = config_from_json(meta["config"])
    exported = jax.export.deserialize(bytearray((out_dir / "model.stablehlo").read_bytes()))
    graphdef, template = nnx.split(GPT(cfg.model, nnx.Rngs(params=0)), nnx.Param)
    tokens = jax.random.randint(jax.random.key(0), (2, cfg.seq_len), 0, 258)
    want = forward_fn(graphdef, template)(pure, tokens)
    got = call_exported(exported, pure, tokens)
    err = float(jnp.max(jnp.abs(got - want)))
    return [] if err <= atol else [f"model.stablehlo logits differ from native by {err:.3g}"]

