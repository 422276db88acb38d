"""A local model registry: ``ROOT/NAME/vN/`` folders, immutable once written.

A version holds ``params.msgpack`` (+ ``params.npz``), ``config.json``, ``provenance.json``,
``metrics.json`` (final/best numbers), ``card.md`` and ``manifest.json`` (sha256 of every
other file). ``NAME`` resolves to the newest version, ``NAME:vN`` to one. Loading re-hashes
every file first; a mismatch is a RegistryError naming the file.

CLI: ``python -m training registry register|list|show|verify`` (exit 2 on usage errors,
1 when verify finds corruption).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from training.errors import UsageError
from training.jsonio import write_json

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class RegistryError(UsageError):
    """Unknown model/version, bad name, or a version whose files fail their sha256."""


def _sha(path: Path) -> str:
    from training.ops.export import sha256

    return sha256(path)


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"adder"`` -> ("adder", None); ``"adder:v2"`` / ``"adder:2"`` -> ("adder", 2)."""
    name, _, ver = ref.partition(":")
    if not NAME_RE.match(name):
        raise RegistryError(f"bad model name {name!r} (letters, digits, . _ -)")
    if not ver:
        return name, None
    m = re.fullmatch(r"v?(\d+)", ver)
    if not m or int(m.group(1)) < 1:
        raise RegistryError(f"bad version {ver!r} in {ref!r}; expected vN (N >= 1)")
    return name, int(m.group(1))


def _final_metrics(run_dir: Path) -> dict[str, Any]:
    from training.ops.tracking import summarize

    s = summarize(run_dir)
    out = {"steps": s["steps"], "final_loss": s["final_loss"],
           "best_val_loss": s["best_val_loss"]}
    from training.metrics import read_metrics

    evals = [r for r in read_metrics(run_dir / "metrics.jsonl") if "val_loss" in r]
    if evals:
        out["last_eval"] = evals[-1]
    return out


def render_card(name: str, version: int, meta: dict[str, Any]) -> str:
    cfg, prov, metrics = meta["config"], meta["provenance"], meta["metrics"]
    ds = prov.get("dataset", {})
    lines = [f"# Model card: {name} v{version}", "",
             f"Registered {meta['registered_at']} from `{meta['source_run']}` "
             f"({meta['checkpoint']} checkpoint, step {meta['step']}).", "",
             "## Intended use", "",
             "A small decoder-only transformer trained by the bundled JAX trainer "
             "(`training/`); for experiments and tests, not production.", "",
             "## Training data", "",
             f"- dataset: {ds.get('name')} version {ds.get('version')}",
             f"- sha256: {ds.get('sha256')}",
             f"- examples/tokens: train {ds.get('n_train')}, validation {ds.get('n_val')}", "",
             "## Configuration", "",
             f"- config hash: {meta['config_hash']}",
             f"- shape: {cfg['n_layers']} layers, d_model {cfg['d_model']}, "
             f"{cfg['n_heads']} heads, seq_len {cfg['seq_len']}, vocab {cfg['vocab_size']}",
             f"- optimisation: lr {cfg['lr']}, batch {cfg['batch_size']}, "
             f"steps {cfg['steps']}, seed {cfg['seed']}, precision {cfg['precision']}", "",
             "## Metrics", "",
             *[f"- {k}: {v}" for k, v in metrics.items() if k != "last_eval"],
             *[f"- {k}: {v}" for k, v in metrics.get("last_eval", {}).items()], "",
             "## Provenance", "",
             f"- git SHA: {prov.get('git', {}).get('sha')} (dirty: "
             f"{prov.get('git', {}).get('dirty')})",
             f"- device: {prov.get('device')}",
             f"- versions: {prov.get('versions')}", "",
             "## Limitations", "",
             "Trained on synthetic or small local data; byte-level tokenizer; no safety "
             "evaluation. Numbers above are from the held-out split of the training data only.",
             ""]
    return "\n".join(lines)


class Registry:
    def __init__(self, root: Path):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise RegistryError(f"registry root {self.root} is not a directory")

    def versions(self, name: str) -> list[int]:
        d = self.root / name
        if not d.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in d.iterdir()
                      if re.fullmatch(r"v\d+", p.name) and (p / "manifest.json").is_file())

    def models(self) -> dict[str, list[int]]:
        if not self.root.is_dir():
            return {}
        return {p.name: self.versions(p.name) for p in sorted(self.root.iterdir())
                if p.is_dir() and self.versions(p.name)}

    def resolve(self, ref: str) -> Path:
        name, version = parse_ref(ref)
        have = self.versions(name)
        if not have:
            known = ", ".join(self.models()) or "none"
            raise RegistryError(f"unknown model {name!r} in {self.root} (registered: {known})")
        if version is None:
            version = have[-1]
        if version not in have:
            raise RegistryError(f"{name} has no v{version} (versions: "
                                f"{', '.join(f'v{v}' for v in have)})")
        return self.root / name / f"v{version}"

    def register(self, name: str, run_dir: Path, which: str = "best") -> Path:
        """Copy ``run_dir``'s params, config and provenance into a new version folder."""
        from training.ops.export import export_params, load_run

        parse_ref(name)
        run_dir = Path(run_dir)
        run = load_run(run_dir, which)
        (self.root / name).mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root / name))
        try:
            export_params(run.params, staging)
            write_json(staging / "config.json",
                       {"config": run.cfg.to_dict(), "config_hash": run.cfg.hash()})
            shutil.copyfile(run_dir / "provenance.json", staging / "provenance.json")
            meta = {"registered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "source_run": str(run_dir.resolve()), "checkpoint": run.source,
                    "step": run.step, "config": run.cfg.to_dict(),
                    "config_hash": run.cfg.hash(),
                    "provenance": json.loads((run_dir / "provenance.json").read_text()),
                    "metrics": _final_metrics(run_dir)}
            write_json(staging / "metrics.json", meta["metrics"], sort_keys=False)
            version = (self.versions(name) or [0])[-1] + 1
            (staging / "card.md").write_text(render_card(name, version, meta))
            files = {p.name: _sha(p) for p in sorted(staging.iterdir())}
            write_json(staging / "manifest.json",
                       {"name": name, "version": version, "registered_at": meta["registered_at"],
                        "source_run": meta["source_run"], "step": run.step, "files": files})
            target = self.root / name / f"v{version}"
            staging.rename(target)  # atomic; fails rather than overwrite an existing version
            return target
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def verify(self, ref: str) -> list[str]:
        """Files of the version whose sha256 differs from its manifest (or are missing)."""
        vdir = self.resolve(ref)
        files = json.loads((vdir / "manifest.json").read_text())["files"]
        bad = [n for n, h in files.items() if not (vdir / n).is_file() or _sha(vdir / n) != h]
        extra = sorted(p.name for p in vdir.iterdir()
                       if p.name not in files and p.name != "manifest.json")
        return bad + [f"{n} (not in manifest)" for n in extra]

    def load(self, ref: str):
        """(config, model) for ``ref`` after checking every file's sha256."""
        from flax import nnx

        from training.model import GPT
        from training.ops.export import config_from_json, load_params_msgpack

        bad = self.verify(ref)
        vdir = self.resolve(ref)
        if bad:
            raise RegistryError(f"{vdir}: files do not match the manifest: {', '.join(bad)}")
        cfg = config_from_json(json.loads((vdir / "config.json").read_text())["config"])
        model = GPT(cfg.model, nnx.Rngs(params=0))
        state = nnx.state(model, nnx.Param)
        nnx.replace_by_pure_dict(state, load_params_msgpack(vdir / "params.msgpack"))
        nnx.update(model, state)
        return cfg, model

