"""Greedy exact match of a finished run over its whole held-out golden split (or the first N).

    python benchmarks/exact_match.py RUN_DIR [--which latest|best] [--examples N] [--show 20]

The trainer's evals decode ``exact_match_examples`` (128) held-out examples; this decodes all
of them (1,000 for the ``tiny`` preset's 20,000 examples) with the same decoder
(``training/evaluate.py``) and prints the figure and the misses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--which", default="latest", choices=("latest", "best"))
    ap.add_argument("--examples", type=int, default=0, help="0 = the whole held-out split")
    ap.add_argument("--show", type=int, default=20, help="misses to print")
    args = ap.parse_args()

    from training.data.dataset import load_dataset
    from training.evaluate import greedy_exact_match, make_generate
    from training.ops.export import load_run

    run = load_run(args.run_dir, args.which)
    dataset = load_dataset(run.cfg)
    examples = dataset.golden_val(args.examples or dataset.info.n_val)
    if not examples:
        print(f"{args.run_dir}: not a golden dataset ({dataset.info.name})", file=sys.stderr)
        return 2
    max_new = max(len(e.answer.encode()) + 1 for e in examples)
    width = min(run.cfg.seq_len + 1, max(len(e.prompt.encode()) + 1 for e in examples) + max_new)
    generate = make_generate(run.graphdef, max_new)
    t0 = time.perf_counter()
    misses: list[tuple[str, str, str]] = []
    hits = greedy_exact_match(generate, run.params, examples, width, misses=misses)
    n = len(examples)
    print(f"{args.run_dir} ({run.source} step {run.step}, {dataset.info.name} "
          f"{dataset.info.version}): greedy exact match {hits:.4f} = {n - len(misses)}/{n} "
          f"held-out examples ({time.perf_counter() - t0:.1f} s)")
    for prompt, want, got in misses[:args.show]:
        print(f"  {prompt}  want {want}\n  {' ' * len(prompt)}  got  {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
