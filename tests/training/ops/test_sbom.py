"""CycloneDX 1.5 SBOM: shape, the trainer's packages with purls, dependency edges."""

from __future__ import annotations

import json

import pytest

from training.cli import main
from training.ops.sbom import generate, purl, validate

pytestmark = pytest.mark.training


def test_sbom_is_cyclonedx_15_with_the_trainer_stack(tmp_path):
    assert main(["sbom", "--out", str(tmp_path / "sbom.json")]) == 0
    doc = json.loads((tmp_path / "sbom.json").read_text())
    assert validate(doc) == []
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    by_name = {c["name"]: c for c in doc["components"]}
    for name in ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy"):
        assert by_name[name]["purl"] == f"pkg:pypi/{name}@{by_name[name]['version']}"
    flax = next(d for d in doc["dependencies"] if d["ref"] == by_name["flax"]["bom-ref"])
    assert by_name["jax"]["bom-ref"] in flax["dependsOn"]


def test_validate_reports_broken_documents():
    doc = generate()
    doc["specVersion"] = "1.4"
    doc["components"].append(dict(doc["components"][0]))
    doc["dependencies"].append({"ref": "pkg:pypi/ghost@1", "dependsOn": []})
    problems = validate(doc)
    assert any("specVersion" in p for p in problems)
    assert any("duplicate bom-ref" in p for p in problems)
    assert any("ghost" in p for p in problems)
    assert purl("Orbax_Checkpoint", "1.0") == "pkg:pypi/orbax-checkpoint@1.0"
