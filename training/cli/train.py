"""``python -m training train``: parse options -> config -> train_and_evaluate -> summary.

Draws progress (a rich bar on a TTY, plain lines otherwise). Errors propagate to
``training.cli.main``, which turns them into exit codes (table in training/errors.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from training.cli.common import debug_option, set_option
from training.config import PRESETS, make_config, parse_set_options


def _observer(quiet_stderr: bool):
    """Rich progress bar on a TTY; otherwise one plain line per log interval."""
    from training.train import Observer

    def eprint(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def fmt(r: dict[str, Any]) -> str:
        return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in r.items())

    class Lines(Observer):
        def on_log(self, record): eprint(fmt(record))
        def on_eval(self, record): eprint("eval " + fmt(record))
        def on_message(self, text): eprint(text)

    class Bar(Lines):
        def on_start(self, start_step, end_step):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(TextColumn("step"), MofNCompleteColumn(), BarColumn(),
                                     TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=False)
            self.task = self.progress.add_task("train", total=end_step, completed=start_step,
                                               status="")
            self.tps = 0.0
            self.progress.start()

        def on_step(self, step, loss):
            self.progress.update(self.task, completed=step,
                                 status=f"loss {loss:.4f}  {self.tps:,.0f} tok/s")

        def on_log(self, record):
            self.tps = record["tokens_per_sec"]

        def on_eval(self, record):
            self.progress.console.print("eval " + fmt(record))

        def on_message(self, text):
            self.progress.console.print(text)

        def on_end(self):
            self.progress.stop()

    return Lines() if quiet_stderr else Bar()


def _opt(*names: str, **kw):
    """An option spelled with dashes plus its underscore alias (``--run-dir``/``--run_dir``)."""
    aliases = [n.replace("-", "_").replace("__", "--", 1) for n in names if "-" in n[2:]]
    return typer.Option(None, *names, *aliases, **kw)


def train(
    preset: str = typer.Option("tiny", help=f"One of: {', '.join(PRESETS)}."),
    set_: list[str] = set_option(),
    run_dir: Path = _opt("--run-dir", help="Output directory (default: runs/<run_id>)."),
    steps: int = _opt("--steps", help="Optimizer steps."),
    smoke_steps: int = _opt("--smoke-steps", help="Run only N steps; still logs + saves."),
    seed: int = _opt("--seed", help="Init, dropout and batch-order seed."),
    device: str = typer.Option("auto", "--device", help="cpu | gpu | tpu | auto."),
    device_index: int = typer.Option(0, "--device-index", "--device_index",
                                     help="Which device of that kind."),
    checkpoint_dir: Path = _opt("--checkpoint-dir",
                                help="Checkpoint directory (default: RUN_DIR/checkpoints)."),
    save_every_steps: int = _opt("--save-every-steps", help="Checkpoint interval."),
    keep: int = _opt("--keep", help="Latest checkpoints to keep."),
    resume_from: str = _opt("--resume-from", help="'latest' or a checkpoint path."),
    dataset: str = _opt("--dataset", help="golden-v3 | golden-v2 | built golden dir | text:GLOB"),
    precision: str = _opt("--precision", help="auto | f32 | bf16 (compute; auto = bf16 on "
                                              "GPU/TPU, f32 on CPU; params stay f32)."),
    grad_accum: int = _opt("--grad-accum", help="Micro-batches per step."),
    eval_every: int = _opt("--eval-every", help="Steps between evals (0: only at the end)."),
    patience: int = _opt("--patience", help="Evals without improvement before stopping."),
    mesh: str = _opt("--mesh", help="data=N: data-parallel over N devices."),
    fsdp: bool = typer.Option(False, "--fsdp",
                              help="Shard params + optimizer state (over all devices "
                                   "unless --mesh)."),
    compile_cache: Path = _opt("--compile-cache",
                               help="Persistent compile cache dir "
                                    "(default ~/.cache/taskctl-training/jax)."),
    no_compile_cache: bool = typer.Option(False, "--no-compile-cache", "--no_compile_cache",
                                          help="Compile from scratch; cache nothing."),
    debug: bool = debug_option(),
) -> None:
    """Train; writes config.json, provenance.json, metrics.jsonl, checkpoints/, loss.png."""
    typed = {k: v for k, v in dict(steps=steps, seed=seed, dataset=dataset,
                                   precision=precision, grad_accum=grad_accum,
                                   eval_every=eval_every, patience=patience,
                                   save_every_steps=save_every_steps, keep=keep).items()
             if v is not None}
    if mesh or fsdp:
        from training.sharding import default_mesh_data  # lazy: imports jax

        typed.update(mesh_data=default_mesh_data(mesh), fsdp=fsdp)
    cfg = make_config(preset, parse_set_options(set_), **typed)
    if run_dir is None:
        run_dir = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{preset}-{cfg.hash()[:6]}"
    from training.train import RunOptions, train_and_evaluate  # lazy: --help stays fast

    options = RunOptions(checkpoint_dir=checkpoint_dir, device=device,
                         device_index=device_index, resume_from=resume_from,
                         smoke_steps=smoke_steps or 0, compile_cache=compile_cache,
                         use_compile_cache=not no_compile_cache)
    result = train_and_evaluate(cfg, run_dir, options, _observer(not sys.stderr.isatty()))
    last = result.losses.get(result.last_step)
    ev = " ".join(f"{k}={v:.4g}" for k, v in result.last_eval.items() if k != "step")
    typer.echo(f"done: {run_dir} steps {result.start_step}->{result.last_step} "
               f"loss={last if last is None else round(last, 4)} {ev} "
               f"({result.seconds:.1f}s){' early-stopped' if result.stopped_early else ''}")

