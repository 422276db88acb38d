"""Local registry (versions, card, load, integrity, CLI) and the train->export->register
pipeline with retry."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import pytest

from tests.training.conftest import micro_config
from training.cli import main
from training.ops import registry as rg
from training.ops.export import forward_fn, load_run, pure_params

pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def reg(micro_run, tmp_path_factory):
    _, run_dir, _ = micro_run
    registry = rg.Registry(tmp_path_factory.mktemp("registry"))
    registry.register("adder", run_dir)
    return registry, run_dir


def test_register_writes_version_folder(reg):
    registry, run_dir = reg
    v1 = registry.resolve("adder")
    assert v1 == registry.root / "adder" / "v1"
    names = {p.name for p in v1.iterdir()}
    assert {"params.msgpack", "params.npz", "config.json", "provenance.json", "metrics.json",
            "card.md", "manifest.json"} <= names
    manifest = json.loads((v1 / "manifest.json").read_text())
    assert manifest["version"] == 1 and manifest["step"] == load_run(run_dir).step
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert not list((registry.root / "adder").glob(".staging-*"))


def test_model_card_has_required_sections(reg):
    registry, run_dir = reg
    card = (registry.resolve("adder:v1") / "card.md").read_text()
    prov = json.loads((run_dir / "provenance.json").read_text())
    cfg = json.loads((run_dir / "config.json").read_text())
    for section in ("## Intended use", "## Training data", "## Metrics", "## Provenance",
                    "## Limitations"):
        assert section in card
    assert prov["dataset"]["sha256"] in card and cfg["config_hash"] in card
    assert f"git SHA: {prov['git']['sha']}" in card and "best_val_loss:" in card


def test_versions_increase_and_are_immutable(reg, tmp_path):
    registry, run_dir = reg
    local = rg.Registry(tmp_path / "r")
    v1 = local.register("adder", run_dir)
    before = {p.name: p.read_bytes() for p in v1.iterdir()}
    v2 = local.register("adder", run_dir)
    assert v2.name == "v2" and local.resolve("adder") == v2 and local.resolve("adder:v1") == v1
    assert {p.name: p.read_bytes() for p in v1.iterdir()} == before
    assert local.versions("adder") == [1, 2]
    with pytest.raises(rg.RegistryError, match="has no v3"):
        local.resolve("adder:v3")


def test_load_by_name_reproduces_logits(reg):
    registry, run_dir = reg
    cfg, model = registry.load("adder")
    run = load_run(run_dir)
    tokens = jax.random.randint(jax.random.key(0), (2, cfg.seq_len), 0, 258)
    want = forward_fn(run.graphdef, run.params)(pure_params(run.params), tokens)
    assert cfg.hash() == run.cfg.hash()
    assert bool(jnp.array_equal(model(tokens), want))


def test_tampered_version_is_refused(reg, tmp_path):
    import shutil

    registry, _ = reg
    local = rg.Registry(tmp_path / "r")
    shutil.copytree(registry.root / "adder", local.root / "adder")
    path = local.resolve("adder") / "params.msgpack"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(rg.RegistryError, match="params.msgpack"):
        local.load("adder")


def test_cli_register_list_show(reg, tmp_path, capsys):
    _, run_dir = reg
    root = str(tmp_path / "r")
    assert main(["registry", "--root", root, "register", "adder", "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["registry", "--root", root, "list"]) == 0
    assert capsys.readouterr().out.strip() == "adder  v1"
    assert main(["registry", "--root", root, "show", "adder:v1"]) == 0
    assert capsys.readouterr().out.startswith("# Model card: adder v1")
    assert main(["registry", "--root", root, "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown model 'nope'") and err.count("\n") == 1
    assert main(["registry", "--root", root, "show", "adder:vX"]) == 2


def test_cli_verify_detects_corruption(reg, tmp_path, capsys):
    import shutil

    registry, _ = reg
    root = tmp_path / "r"
    shutil.copytree(registry.root / "adder", root / "adder")
    assert main(["registry", "--root", str(root), "verify", "adder"]) == 0
    card = root / "adder" / "v1" / "card.md"
    card.write_text(card.read_text() + "edited\n")
    assert main(["registry", "--root", str(root), "verify", "adder:v1"]) == 1
    assert "card.md: sha256 mismatch" in capsys.readouterr().err


def test_pipeline_trains_exports_and_registers(tmp_path):
    from training.ops.pipeline import run_pipeline

    cfg = micro_config(steps=3, exact_match_examples=2)
    doc = run_pipeline(cfg, tmp_path / "run", tmp_path / "reg", "adder")
    assert [s["stage"] for s in doc["stages"]] == ["train", "export", "register"]
    assert all(s["status"] == "ok" for s in doc["stages"])
    assert json.loads((tmp_path / "run" / "pipeline.json").read_text()) == doc
    assert (tmp_path / "run" / "export" / "export.json").is_file()
    assert rg.Registry(tmp_path / "reg").verify("adder:v1") == []


def test_pipeline_retries_transient_failure_with_resume(tmp_path):
    from training.ops.pipeline import run_pipeline
    from training.train import Observer

    class FailOnce(Observer):
        failed = False

        def on_step(self, step, loss):
            if step == 3 and not self.failed:
                FailOnce.failed = True
                raise OSError("simulated preemption")

    cfg = micro_config(steps=4, save_every_steps=2, exact_match_examples=2)
    doc = run_pipeline(cfg, tmp_path / "run", tmp_path / "reg", "adder", retries=1,
                       observer=FailOnce())
    attempts = doc["stages"][0]["attempts"]
    assert [a["status"] for a in attempts] == ["failed", "ok"]
    assert "simulated preemption" in attempts[0]["error"]
    assert (attempts[1]["start_step"], attempts[1]["last_step"]) == (2, 4)
    assert doc["stages"][-1]["stage"] == "register"
