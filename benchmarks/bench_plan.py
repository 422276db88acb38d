"""In-process planning figures on a generated tree: CPU of the load and of each planner, with
the same functions of a reference checkout measured in the same run, side by side.

    python benchmarks/bench_plan.py [--count 10000] [--runs 9] [--load-runs 3]
                                    [--tree /tmp/taskctl-bench-plan-10000]
                                    [--reference /tmp/main-export]

`--reference DIR` is a directory holding another version's `taskctl` package (for example
`git archive main taskctl | tar -x -C DIR`). Each version runs in its own child process
(PYTHONPATH=DIR, or this checkout) on the same tree. Per load run it loads the tree (the YAML
cache warm, as after a one-file edit) and times `next_report` right after, as a CLI process
runs it: with the garbage collector's state that the load left, so a full collection may fall
into it. Then it times `next_report`, `cpm.schedule(...).to_dict()`, `waves` and
`status_report` (weight `auto`), each after `gc.collect()`. Figures are process CPU seconds
(`time.process_time`, steadier than wall time on a busy machine), median and best of the
runs. The children also hash each planner's JSON: the last line says whether both versions
gave identical output.
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

CASES = ("load", "next after load", "next_report", "schedule", "waves", "status_report")


def worker(tree: Path, runs: int, load_runs: int) -> dict:
    """Runs in the child: CPU seconds of every case, and a digest of each planner's output."""
    from taskctl.core.load.loader import load
    from taskctl.core.plan import cpm, progress, ranking

    times: dict[str, list[float]] = {c: [] for c in CASES}
    load(tree, bodies=False)  # fills the YAML cache if it is cold
    for _ in range(load_runs):
        bl = None
        gc.collect()
        t0 = time.process_time()
        bl = load(tree, bodies=False)
        t1 = time.process_time()
        ranking.next_report(bl, "auto")  # as the CLI does it: the collector's state as left
        times["load"].append(t1 - t0)
        times["next after load"].append(time.process_time() - t1)
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
    return f"{statistics.median(xs) * 1000:7.0f} ms (best {min(xs) * 1000:5.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--load-runs", type=int, default=3)
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
    this = measure(HERE.parent, root, a.runs, a.load_runs)
    ref = measure(a.reference, root, a.runs, a.load_runs) if a.reference else None
    print(f"CPU, median of {a.runs} ({a.load_runs} for load):")
    head = f"  {'case':<15}" + (f"{'reference':>26}" if ref else "") + f"{'this checkout':>26}"
    print(head + ("   ratio" if ref else ""))
    for case in CASES:
        row = f"  {case:<15}"
        if ref:
            row += f"{ms(ref['times'][case]):>26}"
        row += f"{ms(this['times'][case]):>26}"
        if ref:
            ratio = statistics.median(ref["times"][case]) / statistics.median(this["times"][case])
            row += f"   {ratio:5.1f}x"
        print(row)
    print(f"  this checkout: {this['code']}" + (f"; reference: {ref['code']}" if ref else ""))
    if ref:
        same = [k for k in this["digests"] if this["digests"][k] == ref["digests"][k]]
        differ = sorted(set(this["digests"]) - set(same))
        print("identical output: " + ("yes (" + ", ".join(same) + ")" if not differ
                                      else "NO: " + ", ".join(differ)))


if __name__ == "__main__":
    main()
