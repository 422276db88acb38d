"""``python -m training eval passkey|niah --checkpoint RUN_DIR[/STEP] ...``: long-context
retrieval from a checkpoint; writes a results pack (JSON) and a heat map (PNG) beside it and
prints a one-line summary (or the pack with ``--json``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from training.cli.common import eprint
from training.errors import UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Long-context evaluation of a checkpoint: passkey retrieval and "
                       "needle-in-a-haystack, exact match per (length, depth).")

DEPTHS = "0,0.25,0.5,0.75,1"


def _numbers(option: str, text: str, kind: type) -> tuple:
    try:
        values = [kind(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{option} {text}: expected comma-separated "
                         f"{'integers' if kind is int else 'numbers'}") from None
    if not values:
        raise UsageError(f"{option}: give at least one value")
    return tuple(sorted(set(values)))


def _evaluate(task: str, checkpoint: Path, lengths: str | None, depths: str, trials: int,
              seed: int, haystack: str, random_init: bool, out: Path | None, device: str,
              as_json: bool) -> None:
    from training.eval import prompts

    tk = prompts.task(task)
    depth_values = _numbers("--depths", depths, float)
    if any(not 0.0 <= d <= 1.0 for d in depth_values):
        raise UsageError(f"--depths {depths}: every depth must be in [0, 1]")
    if trials < 1:
        raise UsageError(f"--trials {trials}: must be >= 1")
    haystack = haystack or tk.haystack
    if haystack not in prompts.HAYSTACKS:
        raise UsageError(f"--haystack {haystack}: choose from {', '.join(prompts.HAYSTACKS)}")
    t0 = time.perf_counter()
    import jax  # lazy: --help stays fast

    from training.eval import harness, report
    from training.jsonio import dumps
    from training.provenance import git_state, resolve_device

    with jax.default_device(resolve_device(device)):
        model = harness.load(harness.locate(checkpoint), random_init)
        seq = model.cfg.seq_len
        default = ",".join(str(n) for n in (seq // 4, seq // 2, seq) if n >= tk.min_length())
        spec = harness.Spec(task, _numbers("--lengths", lengths or default or str(seq), int),
                            depth_values, trials, seed, haystack, random_init)
        harness.check_lengths(spec, seq)
        eprint(f"{task}: step {model.step} ({model.step_dir}), seq_len {seq}, "
               f"{len(spec.lengths) * len(spec.depths) * trials} prompts")
        pack = harness.run(spec, model, git_state(Path(__file__).parent))
    pack_path, png_path = report.default_paths(pack, model.step_dir, spec.hash())
    if out is not None:
        pack_path, png_path = out / pack_path.name, out / png_path.name
    report.write_pack(pack_path, pack)
    report.write_heatmap(png_path, pack)
    if as_json:
        sys.stdout.write(dumps(pack))
    else:
        print(report.summary(pack, pack_path, time.perf_counter() - t0))
    eprint(f"heat map: {png_path}")


def _command(task: str):
    from training.eval import prompts
    def command(
        checkpoint: Path = typer.Option(..., "--checkpoint",
                                        help="RUN_DIR (newest verified step), RUN_DIR/STEP, "
                                             "or a checkpoint dir / step dir."),
        lengths: str = typer.Option(None, "--lengths",
                                    help="Context lengths in tokens, comma-separated; each "
                                         "<= the model's seq_len (default: seq_len/4, "
                                         "seq_len/2, seq_len)."),
        depths: str = typer.Option(DEPTHS, "--depths", help="Needle depths in [0, 1]."),
        trials: int = typer.Option(20, "--trials", help="Prompts per (length, depth)."),
        seed: int = typer.Option(0, "--seed", help="Seed of keys, values and filler."),
        haystack: str = typer.Option(None, "--haystack",
                                     help="Filler: repeat | golden | stdlib (default: "
                                          f"{prompts.TASKS[task].haystack})."),
        random_init: bool = typer.Option(False, "--random-init",
                                         help="Score a fresh init of the checkpoint's config "
                                              "(the chance baseline) instead of its weights."),
        out: Path = typer.Option(None, "--out",
                                 help="Directory for the pack and heat map (default: "
                                      "CHECKPOINTS/eval/STEP/)."),
        device: str = typer.Option("auto", "--device", help="cpu | gpu | tpu | auto."),
        as_json: bool = typer.Option(False, "--json", help="Print the pack to stdout."),
    ) -> None:
        _evaluate(task, checkpoint, lengths, depths, trials, seed, haystack, random_init, out,
                  device, as_json)

    command.__doc__ = {
        "passkey": "Passkey retrieval: a 5-digit pass key hidden at each depth of filler.",
        "niah": "Needle in a haystack: a keyed 7-digit magic number hidden in filler.",
    }[task]
    return command


app.command("passkey")(_command("passkey"))
app.command("niah")(_command("niah"))
