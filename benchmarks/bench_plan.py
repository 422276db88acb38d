"""In-process planning figures on a generated tree: CPU of the load and of each planner, with
the same functions of a reference checkout measured in the same run, side by side.

    python benchmarks/bench_plan.py [--count 10000] [--runs 9] [--load-runs 3] [--rounds 3]
                                    [--tree /tmp/taskctl-bench-plan-10000]
                                    [--reference /tmp/main-export]

`--reference DIR` is a directory holding another version's `taskctl` package (for example
`git archive main taskctl | tar -x -C DIR`). Each version runs in its own child process
(PYTHONPATH=DIR, or this checkout) on the same tree. Per load run it loads the tree (the YAML
cache warm, as after a one-file edit) and times `next_report` right after, as a CLI process
runs it: with the CLI's collector thresholds (`taskctl.cli.process`, when the version has it)
and the collector's state that the load left, so a full collection may fall into it. The
first of those is "next, new process": nothing cached yet by the planners (a CLI process meets
exactly that); the others are "next after load". Then it times `next_report`,
`cpm.schedule(...).to_dict()`, `waves` and `status_report` (weight `auto`), each after
`gc.collect()`. `--rounds N` runs the two versions' children alternately N times and pools
their samples, so a change in the machine's load hits both. Figures are process CPU seconds
(`time.process_time`, steadier than wall time on a busy machine), median and best of the
runs, and the median of the rounds' ratios (reference / this, each round's medians). The
children also hash each planner's JSON: the last line says whether both versions gave
identical output.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own

CASES = ("load", "next, new process", "next after load", "next_report", "schedule", "waves",
         "status_report")


def worker(tree: Path, runs: int, load_runs: int) -> dict:
    """Runs in the child: CPU seconds of every case, and a digest of each planner's output."""
    from taskctl.core.load.loader import load
    from taskctl.core.plan import cpm, progress, ranking

    try:  # the collector's thresholds of a CLI process (both entries set them at start)
        from taskctl.cli.process import fewer_collections
    except ImportError:  # a version without them
        pass
    else:
        fewer_collections()
    times: dict[str, list[float]] = {c: [] for c in CASES}
    load(tree, bodies=False)  # fills the YAML cache if it is cold
    for i in range(load_runs):
        bl = None
        gc.collect()
        t0 = time.process_time()
        bl = load(tree, bodies=False)
        t1 = time.process_time()
        ranking.next_report(bl, "auto")  # as the CLI does it: the collector's state as left
        times["load"].append(t1 - t0)
        times["next after load" if i else "next, new process"].append(time.process_time() - t1)
    planners = {"next_report": lambda: ranking.next_report(bl, "auto"),
                "schedule": lambda: cpm.schedule(bl, "auto").to_dict(),
                "waves": lambda: ranking.waves(bl, "auto"),
                "status_report": lambda: progress.status_report(bl, "auto")}
    digests = {}
    for name, fn in planners.items():
        out = fn()  # once untimed: lazy imports (networkx for waves) are not planning
        digests[name] = hashlib.sha256(json.dumps(out, sort_keys=True).encode()).hexdigest()
        for _ in range(runs):
            gc.collect()  # each run starts with the same collector state
            t0 = time.process_time()
            fn()
            times[name].append(time.process_time() - t0)
    import taskctl

    return {"times": times, "digests": digests, "code": str(Path(taskctl.__file__).parent)}


def measure(code_root: Path, tree: Path, runs: int, load_runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    cmd = [sys.executable, __file__, "--worker", "--tree", str(tree.parent),
           "--runs", str(runs), "--load-runs", str(load_runs)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def ensure_tree(tree: Path, count: int) -> Path:
    from gen_tree import generate

    root = tree / ".tasks"
    if not (root / "manifest.json").exists() or len(list((root / "tasks").iterdir())) != count:
        generate(tree, count)
    return root


def ms(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"{statistics.median(xs) * 1000:7.0f} ms (best {min(xs) * 1000:5.0f})"


def pooled(a: int, rounds: list[dict]) -> dict:
    """The rounds' samples of each case together (`a`: which version, 0 or 1)."""
    return {c: [x for r in rounds for x in r[a]["times"][c]] for c in CASES}


def ratio(case: str, rounds: list[dict]) -> str:
    """Median over the rounds of reference median / this median."""
    rs = [statistics.median(r[1]["times"][case]) / statistics.median(r[0]["times"][case])
          for r in rounds if r[0]["times"][case] and r[1]["times"][case]]
    return f"{statistics.median(rs):5.1f}x" if rs else "    -"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--load-runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternate the two versions this many times and pool the samples")
    ap.add_argument("--tree", type=Path, default=None)
    ap.add_argument("--reference", type=Path, default=None,
                    help="a directory holding another version's taskctl package")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    tree = a.tree or Path(f"/tmp/taskctl-bench-plan-{a.count}")
    if a.worker:
        print(json.dumps(worker(tree / ".tasks", a.runs, a.load_runs)))
        return
    root = ensure_tree(tree, a.count)
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   python: "
          f"{sys.version.split()[0]}   tree: {root} ({a.count} tasks)")
    rounds = []
    for i in range(a.rounds):  # alternate, the reference first every other round
        pair = [None, None]
        for k in ((0, 1) if i % 2 else (1, 0)):
            if k == 0:
                pair[0] = measure(HERE.parent, root, a.runs, a.load_runs)
            elif a.reference:
                pair[1] = measure(a.reference, root, a.runs, a.load_runs)
        rounds.append(pair)
    this, ref = rounds[0][0], rounds[0][1]
    mine = pooled(0, rounds)
    theirs = pooled(1, rounds) if ref else None
    print(f"CPU, median of {a.rounds} x {a.runs} ({a.rounds} x {a.load_runs} for load, "
          f"{a.rounds} x 1 for a new process), load avg now {os.getloadavg()[0]:.2f}:")
    head = f"  {'case':<18}" + (f"{'reference':>26}" if ref else "") + f"{'this checkout':>26}"
    print(head + ("   ratio" if ref else ""))
    for case in CASES:
        row = f"  {case:<18}"
        if ref:
            row += f"{ms(theirs[case]):>26}"
        row += f"{ms(mine[case]):>26}"
        if ref:
            row += f"   {ratio(case, rounds)}"
        print(row)
    print(f"  this checkout: {this['code']}" + (f"; reference: {ref['code']}" if ref else ""))
    if ref:
        same = [k for k in this["digests"]
                if all(r[0]["digests"][k] == r[1]["digests"][k] for r in rounds)]
        differ = sorted(set(this["digests"]) - set(same))
        print("identical output: " + ("yes (" + ", ".join(same) + ")" if not differ
                                      else "NO: " + ", ".join(differ)))


if __name__ == "__main__":
    main()
