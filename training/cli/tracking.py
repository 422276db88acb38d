"""``python -m training tracking compare RUN...``: inspect tracked runs."""

from __future__ import annotations

from pathlib import Path

import typer

from training.errors import UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Inspect tracked runs.")


@app.callback()
def tracking() -> None:
    """Inspect tracked runs."""


@app.command()
def compare(runs: list[Path] = typer.Argument(..., help="Run directories.")) -> None:
    """One row per run and the config keys that differ."""
    from training.ops.tracking import compare as compare_runs
    from training.ops.tracking import render_compare

    missing = [str(r) for r in runs if not (r / "metrics.jsonl").is_file()]
    if missing:
        raise UsageError(f"not a run directory (no metrics.jsonl): {', '.join(missing)}")
    print(render_compare(*compare_runs(runs)))
