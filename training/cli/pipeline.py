"""``python -m training pipeline`` (train with retry -> export -> register) and
``python -m training hpsearch`` (grid / random search over ``--set`` overrides)."""

from __future__ import annotations

from pathlib import Path

import typer

from training.cli.common import set_option
from training.config import make_config, parse_set_options


def pipeline(
    preset: str = typer.Option("tiny", "--preset"),
    set_: list[str] = set_option(),
    steps: int = typer.Option(None, "--steps"),
    run_dir: Path = typer.Option(..., "--run-dir"),
    registry: Path = typer.Option(..., "--registry"),
    name: str = typer.Option(..., "--name"),
    retries: int = typer.Option(1, "--retries"),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Train (with retry + resume), export, register."""
    from training.ops.pipeline import run_pipeline
    from training.train import RunOptions

    typed = {"steps": steps} if steps else {}
    cfg = make_config(preset, parse_set_options(set_), **typed)
    doc = run_pipeline(cfg, run_dir, registry, name, retries, RunOptions(device=device))
    print(f"registered {doc['stages'][-1]['version']}")


def hpsearch(
    preset: str = typer.Option("tiny", "--preset"),
    space: list[str] = typer.Option([], "--space", metavar="KEY=V1,V2"),
    set_: list[str] = set_option(),
    mode: str = typer.Option("grid", "--mode", help="grid | random."),
    trials: int = typer.Option(0, "--trials"),
    seed: int = typer.Option(0, "--seed"),
    steps: int = typer.Option(20, "--steps", help="Steps per trial."),
    out: Path = typer.Option(..., "--out"),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Grid / random search over --set overrides."""
    from training.ops.hpsearch import parse_space, search
    from training.train import RunOptions

    base = {**parse_set_options(set_), "steps": str(steps)}
    best = search(preset, base, parse_space(space), out, mode, trials, seed,
                  RunOptions(device=device))
    b = best["best"]
    print(f"best: {b['name']} score={b['score']:.4f} {b['overrides']} ({best['trials']} trials)")
