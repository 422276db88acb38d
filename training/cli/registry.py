"""``python -m training registry [--root DIR] register|list|show|verify``."""

from __future__ import annotations

from pathlib import Path

import typer

from training.cli.common import eprint

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A local model registry (ROOT/NAME/vN).")


@app.callback()
def registry(ctx: typer.Context,
             root: Path = typer.Option(Path("registry"), "--root",
                                       help="Registry folder.")) -> None:
    """A local model registry (ROOT/NAME/vN)."""
    from training.ops.registry import Registry

    ctx.obj = Registry(root)


@app.command()
def register(ctx: typer.Context, name: str,
             run_dir: Path = typer.Option(..., "--run-dir"),
             which: str = typer.Option("best", "--which", help="best | latest.")) -> None:
    """Register a run's best (or latest) params."""
    print(f"registered {ctx.obj.register(name, run_dir, which)}")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Models and their versions."""
    for name, versions in ctx.obj.models().items():
        print(f"{name}  {' '.join(f'v{v}' for v in versions)}")


@app.command()
def show(ctx: typer.Context, ref: str = typer.Argument(..., help="NAME or NAME:vN")) -> None:
    """Print a version's model card."""
    print((ctx.obj.resolve(ref) / "card.md").read_text())


@app.command()
def verify(ctx: typer.Context, ref: str) -> None:
    """Re-hash a version's files (exit 1 on mismatch)."""
    reg = ctx.obj
    bad = reg.verify(ref)
    for name in bad:
        eprint(f"error: {reg.resolve(ref) / name}: sha256 mismatch")
    if bad:
        raise typer.Exit(1)
    print(f"ok: {reg.resolve(ref)}")
