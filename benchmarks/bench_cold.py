"""Cold reads of a generated 10,000-task tree: one process vs a forked helper, paired.

    python benchmarks/bench_cold.py [--runs 7] [--count 10000] [--reference DIR] [--no-serial]
                                    [--written] [--commands "next --json,list --json,validate"]

For each command, rounds alternate `TASKCTL_LOAD_JOBS=1` (one process: the loader as before
`core/load/fanout.py`) and the default (a forked helper parses ~58 % of the files), each run
with nothing cached (`TASKCTL_NO_CACHE=1`); then the first run of a tree with an empty cache
(the run that builds it). Each line: median wall, median CPU of the process and its helper,
peak memory of the whole process tree — its summed RSS, which counts the pages a forked helper
or storing child shares with its parent once per process, and its summed PSS, which counts each
page once (`proctree.measure_pss`) —, and the ratio to `python -c pass` measured in the same run.
Every process starts from a venv with nothing installed, through the console script pip
writes (`bare.py`: the dev venv's editable install adds ≈ 20 ms of imports to each start-up,
the floor's included).
`--reference DIR` adds another version (with its helper), alternated with the others: the same
script, that version's package first on `PYTHONPATH`.
`--written`: the tree in the shapes people also write (`gen_tree.py --written`: a folded
summary and a shell command quoting its argument in every task file).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bare import Bare  # noqa: E402
from bench_table import REPO, Table, measure, tree  # noqa: E402
from proctree import measure_pss  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own


def become_subreaper() -> None:
    """Orphans of the measured commands (the child that stores a load's snapshot after the
    command has answered) become this process's children, so `settle` can wait for them: the
    next run's `rm -rf .cache` must not race a store still being written."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def settle() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


WAYS = {"one process": {"TASKCTL_LOAD_JOBS": "1"}, "with a helper": {"TASKCTL_LOAD_JOBS": ""}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--reference", help="another version's taskctl package (`git archive <rev> "
                    "taskctl | tar -x -C DIR`): a third way, that version with its helper")
    ap.add_argument("--no-serial", action="store_true", help="leave out the one-process way")
    ap.add_argument("--written", action="store_true",
                    help="the tree with gen_tree's --written shapes (its own path)")
    ap.add_argument("--commands", default="next --json,list --json,validate",
                    help="the read commands to time, comma-separated")
    args = ap.parse_args()
    become_subreaper()
    tmp = tempfile.mkdtemp(prefix="taskctl-bench-cold-")
    atexit.register(shutil.rmtree, tmp, True)
    bare = Bare(Path(tmp))
    launch = bare.script("pip script")  # what `pip install` writes
    ways = {w: (REPO, env) for w, env in WAYS.items()
            if not (args.no_serial and w == "one process")}
    if args.reference:
        ways = {"reference": (args.reference, WAYS["with a helper"]), **ways}
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   "
          f"python: {sys.version.split()[0]}")
    floor = statistics.median(measure(bare.floor(), bare.env(REPO))[0] for _ in range(9))
    t = Table(floor)
    print(f"floor: python -c pass {floor * 1000:.0f} ms")
    suffix = "-written" if args.written else ""
    root = tree(Path(f"/tmp/taskctl-bench-{args.count}{suffix}"), args.count, args.written)
    for command in (c.split() for c in args.commands.split(",")):
        for cache in ("none", "empty"):
            res: dict[str, list] = {w: [] for w in ways}
            for _ in range(args.runs):
                for way, (pkg, extra) in ways.items():
                    cmd = [*launch, *command, "--tasks-dir", str(root)]
                    env = bare.env(pkg, {**os.environ, **extra})
                    if cache == "none":
                        env["TASKCTL_NO_CACHE"] = "1"
                    shutil.rmtree(root / ".cache", ignore_errors=True)
                    wall, peak, pss, _code = measure_pss(cmd, env)
                    settle()
                    shutil.rmtree(root / ".cache", ignore_errors=True)
                    cpu = measure(cmd, env)[1]  # a second run: CPU of it and its helper
                    settle()
                    res[way].append((wall, cpu, peak, pss))
            for way, rows in res.items():
                label = f"{' '.join(command)} {'no cache' if cache == 'none' else 'first run'}"
                t.line(f"{label}, {way}", (statistics.median(r[0] for r in rows),
                                           statistics.median(r[1] for r in rows),
                                           max(r[2] for r in rows)),
                       f"  PSS {max(r[3] for r in rows):6.1f} MiB")
    print(f"load avg at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
