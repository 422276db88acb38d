"""``python -m training export --run-dir R --out DIR [--which best|latest]`` and
``python -m training export check DIR`` (exit 1 with the problems found)."""

from __future__ import annotations

from pathlib import Path

import typer

from training.cli.common import eprint
from training.errors import UsageError

app = typer.Typer(add_completion=False,
                  help="Export a run's params, StableHLO and metadata "
                       "(`check DIR` verifies an export).")


@app.callback(invoke_without_command=True)
def export(ctx: typer.Context,
           run_dir: Path = typer.Option(None, "--run-dir", help="The run to export."),
           out: Path = typer.Option(None, "--out", help="Output directory."),
           which: str = typer.Option("best", "--which", help="best | latest.")) -> None:
    """Export a run (``--run-dir`` and ``--out`` required unless a subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    if run_dir is None or out is None:
        raise UsageError("export needs --run-dir and --out (or: export check DIR)")
    from training.ops.export import export_run  # lazy: imports jax

    meta = export_run(run_dir, out, which)
    print(f"exported {meta['source']['checkpoint']} step {meta['source']['step']} "
          f"({meta['param_count']} params, {meta['stablehlo_format']}) to {out}")


@app.command()
def check(directory: Path = typer.Argument(..., metavar="DIR")) -> None:
    """Re-hash and reload an export directory."""
    from training.ops.export import check as check_export

    problems = check_export(directory)
    for line in problems:
        eprint(f"error: {line}")
    if problems:
        raise typer.Exit(1)
    print(f"ok: {directory}")
