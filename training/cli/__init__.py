"""``python -m training COMMAND ...``: the trainer's one command line.

One module per command group (train, bench + ode-bench, data, export, registry,
pipeline + hpsearch, sbom, tracking, eval); each parses options, calls the library and prints.
``main`` is the only place that turns an error into an exit code (table in
training/errors.py); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import sys

import typer

from training import cpu_tuning
from training.cli import bench, data, eval, export, pipeline, registry, sbom, tracking, train
from training.cli.common import debug_option, eprint, state
from training.errors import TrainingError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Train, benchmark, export and register the bundled decoder-only "
                       "transformer (JAX + Flax NNX).")


@app.callback()
def _root(debug: bool = debug_option()) -> None:
    """Train, benchmark, export and register the bundled transformer (JAX + Flax NNX)."""


app.command("train")(train.train)
app.command("bench")(bench.bench)
app.command("ode-bench")(bench.ode_bench)
app.add_typer(data.app, name="data")
app.add_typer(export.app, name="export")
app.add_typer(registry.app, name="registry")
app.command("pipeline")(pipeline.pipeline)
app.command("hpsearch")(pipeline.hpsearch)
app.command("sbom")(sbom.sbom)
app.add_typer(tracking.app, name="tracking")
app.add_typer(eval.app, name="eval")


def _what_failed(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    command = next((a for a in args if not a.startswith("-")), "command")
    return "training" if command == "train" else command


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (see the table in training/errors.py)."""
    state.debug = False
    cpu_tuning.apply()  # XLA reads XLA_FLAGS when the backend starts: before any jax work
    try:
        app(args=argv, prog_name="python -m training")
    except SystemExit as exc:  # typer exits by itself: success, --help, usage errors (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TrainingError as exc:
        if state.debug:
            raise
        eprint(f"error: {exc}")
        if exc.hint:
            eprint(f"hint: {exc.hint}")
        return exc.exit_code
    except Exception as exc:  # unexpected: a failure of the command, not a usage error
        if state.debug:
            raise
        eprint(f"error: {_what_failed(argv)} failed: {type(exc).__name__}: {exc} "
               "(rerun with --debug)")
        return 1
    return 0
