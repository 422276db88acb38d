"""The README's main job, timed step by step in a fresh clone of HEAD (pip install excluded:
it reuses this interpreter's environment), and optionally the full `gate --rerun`.

    python benchmarks/bench_gate.py [--rerun] [--keep DIR]

Prints each step's wall time beside `python -c pass` and the load average at start and end.
`--rerun` also times `taskctl gate --rerun --jobs auto` (every acceptance item re-executed,
what CI's .ci/run does; minutes). `--keep DIR` clones into DIR and leaves it (its evidence is
then fresh: `bench_table.py --only stale --clone DIR` counts stale tasks against it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("taskctl"))
MAIN_JOB = [["validate", "--strict"], ["gate", "--jobs", "auto"],
            ["verify", "T001", "T032", "T048", "--force", "--jobs", "auto"], ["status"]]


def timed(argv: list[str], cwd: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    code = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t0, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rerun", action="store_true")
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    tmp = None
    if a.keep:
        clone = a.keep
        shutil.rmtree(clone, ignore_errors=True)
    else:
        tmp = tempfile.mkdtemp(prefix="taskctl-bench-gate-")
        clone = Path(tmp) / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q",
                    subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                                   capture_output=True, text=True).stdout.strip()], check=True)
    floor, _ = timed([sys.executable, "-c", "pass"], clone)
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   "
          f"python -c pass: {floor * 1000:.0f} ms   clone: {clone}")
    total = 0.0
    for step in MAIN_JOB:
        wall, code = timed([EXE, *step], clone)
        total += wall
        print(f"  taskctl {' '.join(step):<46} {wall:8.1f} s  exit {code}", flush=True)
    print(f"  main job (without the pip install)                     {total:8.1f} s")
    if a.rerun:
        wall, code = timed([EXE, "gate", "--rerun", "--jobs", "auto"], clone)
        print(f"  taskctl gate --rerun --jobs auto                       {wall:8.1f} s  "
              f"exit {code}")
    print(f"load avg at end: {os.getloadavg()[0]:.2f}")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
