"""``python -m training data build``: write a versioned golden copy (v3, or v2)."""

from __future__ import annotations

from pathlib import Path

import typer

from training.data import golden
from training.errors import UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build datasets for the trainer.")


@app.command()
def build(dataset: str = typer.Option(golden.NAME, help=" or ".join(golden.VERSIONS) + "."),
          count: int = typer.Option(..., help=f"Examples (>= {golden.MIN_COUNT})."),
          out: Path = typer.Option(..., help="Output directory."),
          seed: int = typer.Option(0, help="Content seed; same seed, same bytes.")) -> None:
    """Build a versioned golden copy: examples.jsonl + manifest.json."""
    if dataset not in golden.VERSIONS:
        raise UsageError(f"only {' or '.join(golden.VERSIONS)} can be built, not {dataset!r}")
    manifest = golden.build(count, seed, out, dataset)
    typer.echo(f"wrote {out} ({manifest['count']} examples, sha256 {manifest['sha256']})")
