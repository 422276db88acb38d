"""``python -m training sbom [--out PATH]``: a CycloneDX 1.5 JSON SBOM of this environment."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from training.cli.common import eprint


def sbom(out: Path = typer.Option(None, "--out", help="Write here (default: stdout).")) -> None:
    """CycloneDX 1.5 JSON SBOM of this environment."""
    from training.errors import TrainingError
    from training.jsonio import atomic_write, dumps
    from training.ops.sbom import generate, validate

    doc = generate()
    problems = validate(doc)
    if problems:
        raise TrainingError("invalid SBOM: " + "; ".join(problems[:5]))
    text = dumps(doc, sort_keys=False)
    if out:
        atomic_write(out, text)
        eprint(f"wrote {out} ({len(doc['components'])} components)")
    else:
        sys.stdout.write(text)
