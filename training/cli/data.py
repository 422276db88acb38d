"""``python -m training data build``: write a versioned golden-v2 copy."""

from __future__ import annotations

from pathlib import Path

import typer

from training.data import golden
from training.errors import UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Build datasets for the trainer.")


@app.command()
def build(dataset: str = typer.Option(golden.NAME, help="Only golden-v2 is buildable."),
          count: int = typer.Option(..., help=f"Examples (>= {golden.MIN_COUNT})."),
          out: Path = typer.Option(..., help="Output directory."),
          seed: int = typer.Option(0, help="Content seed; same seed, same bytes.")) -> None:
    """Build a versioned golden-v2 copy: examples.jsonl + manifest.json."""
    if dataset != golden.NAME:
        raise UsageError(f"only {golden.NAME} can be built, not {dataset!r}")
    manifest = golden.build(count, seed, out)
    typer.echo(f"wrote {out} ({manifest['count']} examples, sha256 {manifest['sha256']})")
