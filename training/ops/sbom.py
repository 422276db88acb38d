"""A CycloneDX 1.5 JSON SBOM of the installed Python environment, from importlib.metadata.

No extra dependency: each installed distribution becomes a ``library`` component with name,
version, ``pkg:pypi`` purl, declared license and dependency edges (``Requires-Dist`` that
resolve to installed distributions). ``validate(doc)`` checks the CycloneDX 1.5 shape that
consumers rely on. (``cyclonedx-bom`` offers the same via ``cyclonedx-py environment``.)

CLI: ``python -m training sbom [--out sbom.cdx.json]`` (stdout without --out).
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import time
import uuid
from typing import Any

SPEC_VERSION = "1.5"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def purl(name: str, version: str) -> str:
    return f"pkg:pypi/{_norm(name)}@{version}"


def _license(meta) -> list[dict[str, Any]]:
    expr = meta.get("License-Expression")
    if expr:
        return [{"expression": expr}]
    text = (meta.get("License") or "").strip()
    if text and len(text) < 100 and "\n" not in text:
        return [{"license": {"name": text}}]
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return [{"license": {"name": c}} for c in classifiers[:1]]


def components() -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if not name or _norm(name) in seen:
            continue
        comp = {"type": "library", "bom-ref": purl(name, dist.version), "name": _norm(name),
                "version": dist.version, "purl": purl(name, dist.version)}
        if lic := _license(dist.metadata):
            comp["licenses"] = lic
        if summary := dist.metadata.get("Summary"):
            comp["description"] = summary
        seen[_norm(name)] = {"component": comp, "requires": dist.requires or []}
    return [dict(v["component"], _requires=v["requires"]) for v in sorted(seen.values(),
            key=lambda v: v["component"]["name"])]


def generate(root_name: str = "taskctl", root_version: str | None = None) -> dict[str, Any]:
    comps = components()
    refs = {c["name"]: c["bom-ref"] for c in comps}
    deps = []
    for c in comps:
        wanted = {_norm(re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0])
                  for r in c.pop("_requires")}
        deps.append({"ref": c["bom-ref"], "dependsOn": sorted(refs[w] for w in wanted
                                                              if w in refs)})
    version = root_version or next((c["version"] for c in comps if c["name"] == root_name),
                                   "0")
    root_ref = f"pkg:pypi/{root_name}@{version}"
    return {
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
        "metadata": {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "tools": {"components": [{"type": "application", "name": "training.ops.sbom",
                                               "version": "1"}]},
                     "component": {"type": "application", "bom-ref": root_ref + "#root",
                                   "name": root_name, "version": version},
                     "properties": [{"name": "python", "value": sys.version.split()[0]}]},
        "components": [c for c in comps],
        "dependencies": deps,
    }


def validate(doc: dict[str, Any]) -> list[str]:
    """Problems with the CycloneDX 1.5 shape (empty list: valid)."""
    problems = []
    if doc.get("bomFormat") != "CycloneDX":
        problems.append("bomFormat must be 'CycloneDX'")
    if doc.get("specVersion") != SPEC_VERSION:
        problems.append(f"specVersion must be {SPEC_VERSION!r}")
    if not re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", str(doc.get("serialNumber", ""))):
        problems.append("serialNumber must be urn:uuid:<uuid>")
    if not isinstance(doc.get("version"), int) or doc["version"] < 1:
        problems.append("version must be an integer >= 1")
    refs = set()
    for i, c in enumerate(doc.get("components", [])):
        for key in ("type", "name", "bom-ref"):
            if not c.get(key):
                problems.append(f"components[{i}] lacks {key}")
        if c.get("bom-ref") in refs:
            problems.append(f"components[{i}] duplicate bom-ref {c.get('bom-ref')}")
        refs.add(c.get("bom-ref"))
        if "purl" in c and not re.fullmatch(r"pkg:[a-z]+/[^@\s]+@[^\s]+", c["purl"]):
            problems.append(f"components[{i}] bad purl {c['purl']!r}")
    for d in doc.get("dependencies", []):
        for r in [d.get("ref"), *d.get("dependsOn", [])]:
            if r not in refs:
                problems.append(f"dependencies: unknown ref {r!r}")
    return problems

