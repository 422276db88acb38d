"""The read commands on the bundled backlog when their caches miss, beside `python -c pass`.

    python benchmarks/bench_miss.py [--runs 5] [--reference DIR] [--serve]

Two misses per command: "edit" = one task file touched (a different one each run), then the
racy window (2 s) waited out, as an agent's next call would (the drawn output and the plan
miss; the per-file cache holds the other files); "no cache" = TASKCTL_NO_CACHE=1. Each cell:
median wall / median CPU of the process, in ms.

`--reference DIR` holds another version's `taskctl` package (`git archive <rev> taskctl | tar
-x -C DIR`): both versions then run through the same launcher (`python -c`, the editable
install's finder removed so that DIR or this checkout is imported), alternated run by run,
each on its own copy of the backlog. `--serve` adds this checkout with `taskctl serve`
watching its own copy ("served"; the edit column only: with no cache there is no server).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_table import LAUNCH, REPO, measure  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own

NO_CACHE = {**os.environ, "TASKCTL_NO_CACHE": "1"}


def cell(results: list) -> str:
    wall = statistics.median(r[0] for r in results) * 1000
    cpu = statistics.median(r[1] for r in results) * 1000
    return f"{wall:5.0f}/{cpu:<4.0f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reference")
    ap.add_argument("--serve", action="store_true",
                    help="also this checkout with `taskctl serve` on its copy (edits only)")
    a = ap.parse_args()
    versions = {"this": str(REPO)}
    if a.reference:
        versions = {"reference": a.reference, **versions}
    if a.serve:
        versions["served"] = str(REPO)
    tmp = Path(tempfile.mkdtemp(prefix="taskctl-miss-"))
    trees = {}
    for v in versions:
        shutil.copytree(REPO / ".tasks", tmp / v / ".tasks",
                        ignore=shutil.ignore_patterns(".cache"))
        trees[v] = tmp / v / ".tasks"
    files = {v: sorted((t / "tasks").iterdir()) for v, t in trees.items()}
    exe = str(Path(sys.executable).with_name("taskctl"))
    if a.serve:
        import subprocess

        subprocess.run([exe, "serve", "start", "--tasks-dir", str(trees["served"])],
                       check=True, capture_output=True)
    first = files["this"][0].name.split("-")[0].split(".")[0]
    floor = [measure([sys.executable, "-c", "pass"]) for _ in range(9)]
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}")
    print(f"floor: python -c pass {cell(floor)} ms (wall/cpu); cells: median of {a.runs}")
    print(f"  {'command':<15}" + "".join(f"{f'{k} {v}':>20}" for k in ("edit", "no-cache")
                                          for v in versions))
    for c in (["next"], ["next", "--json"], ["ready"], ["list"], ["list", "--json"],
              ["show", first], ["status"], ["critical-path"], ["validate"]):
        res: dict = {(v, m): [] for v in versions for m in ("edit", "none")}
        order = list(versions)
        for v in order:  # store every cache once
            measure([sys.executable, "-c", LAUNCH, versions[v], *c, "--tasks-dir", str(trees[v])])
        for i in range(a.runs):
            for v in order if i % 2 == 0 else order[::-1]:
                cmd = [sys.executable, "-c", LAUNCH, versions[v], *c, "--tasks-dir",
                       str(trees[v])]
                files[v][i % len(files[v])].touch()
                time.sleep(2.1)
                res[(v, "edit")].append(measure(cmd))
                if v != "served":  # no cache: no server either
                    res[(v, "none")].append(measure(cmd, NO_CACHE))
        print(f"  {' '.join(c):<15}" + "".join(f"{cell(res[(v, m)]) if res[(v, m)] else '-':>20}"
                                               for m in ("edit", "none") for v in versions),
              flush=True)
    print(f"load avg at end: {os.getloadavg()[0]:.2f}")
    if a.serve:
        subprocess.run([exe, "serve", "stop", "--tasks-dir", str(trees["served"])],
                       capture_output=True)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
