"""Whole-process times of the one-task writes agents call all the time — `claim`, `set`,
`log` — on a copy of the bundled backlog, beside `python -c pass` measured in the same run.

    python benchmarks/bench_lifecycle.py [--runs 15]

Each timed command is a real write (event file, task file, claim file, manifest patch with the
derived data regenerated, all fsynced) through the installed console script, as an agent calls
it. `claim` takes T052 (pending) and is undone by an untimed `release` before the next run.
Figures are medians (and p90) of wall time and of the child's own CPU time (os.wait4: stays
meaningful when the machine is busy). Target: claim/set/log <= 150 ms whole process.

Before/after on a busy machine: run it twice back to back, once with the older code first on
the path (`git archive OLD taskctl | tar -x -C /tmp/old`, then `PYTHONPATH=/tmp/old python
benchmarks/bench_lifecycle.py`): the console script imports taskctl from there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("taskctl"))
# as installed: byte-code caching on (PYTHONDONTWRITEBYTECODE=1 would recompile every changed
# module on every run and time the compiler, not taskctl)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}: {proc.stderr.read().decode()}")
    return wall, ru.ru_utime + ru.ru_stime


def row(name: str, runs: list[tuple[float, float]]) -> str:
    walls = sorted(w for w, _ in runs)
    cpus = sorted(c for _, c in runs)
    p90 = walls[min(len(walls) - 1, int(0.9 * len(walls)))]
    return (f"{name:<34} {statistics.median(walls) * 1000:8.0f} {p90 * 1000:8.0f} "
            f"{statistics.median(cpus) * 1000:8.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="taskctl-bench-life-"))
    try:
        shutil.copytree(REPO / ".tasks", tmp / ".tasks",
                        ignore=shutil.ignore_patterns(".cache", ".locks", "logs"))
        td = ["--tasks-dir", str(tmp / ".tasks")]
        for cmd in (["claim", "T052", "--agent", "warmup"], ["release", "T052", "--agent",
                                                                "warmup"]):
            measure([EXE, *td, *cmd])  # warm the parse cache and the page cache
        res: dict[str, list] = {"python -c pass": [], "taskctl claim": [], "taskctl set": [],
                                "taskctl log": []}
        for i in range(args.runs):
            res["python -c pass"].append(measure([sys.executable, "-c", "pass"]))
            res["taskctl claim"].append(measure([EXE, *td, "claim", "T052", "--agent", "b"]))
            res["taskctl set"].append(measure([EXE, *td, "set", "T052", f"title=Bench {i}",
                                               "--agent", "b"]))
            res["taskctl log"].append(measure([EXE, *td, "log", "T052", f"bench line {i}",
                                               "--agent", "b"]))
            measure([EXE, *td, "release", "T052", "--agent", "b"])  # untimed: undo the claim
        print(f"bundled backlog copy: {len(list((tmp / '.tasks' / 'tasks').iterdir()))} task "
              f"files; {args.runs} runs each; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'command':<34} {'wall ms':>8} {'p90 ms':>8} {'CPU ms':>8}")
        for name, runs in res.items():
            print(row(name, runs))
        check = subprocess.run([EXE, *td, "validate", "--strict"], capture_output=True,
                               text=True, env=ENV)
        print(f"validate --strict afterwards: exit {check.returncode}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
