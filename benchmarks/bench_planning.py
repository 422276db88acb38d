"""Whole-process planning figures: `taskctl next --json` on a small backlog (cold and warm
cache) and `next`/`critical-path` on a generated 10,000-task tree, with peak RSS.

    python benchmarks/bench_planning.py [--runs 15] [--count 10000] [--tree /tmp/taskctl-bench-plan]

"cold" = TASKCTL_NO_CACHE=1 (nothing cached: YAML parsed, plan computed); "edited" = the
loader's YAML cache is warm but one task file changed, so the plan is recomputed (the usual
case right after editing a task); "warm" = nothing changed since the last run (plan cache
hit); "typer-free entry" = the same hit through `python -m taskctl.cli.quick` (what the
console script would cost if it pointed at taskctl.cli.quick:main).
Targets: small warm median <= 150 ms; 10k next/critical-path <= 1 s and <= 300 MB.
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

sys.path.insert(0, str(Path(__file__).parent))
from gen_tree import generate  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own

EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "agent-mvp"
EXE = str(Path(sys.executable).with_name("taskctl"))
NO_CACHE = {**os.environ, "TASKCTL_NO_CACHE": "1"}


def measure(cmd: list[str], env=None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one run; os.wait4 gives this child's own rusage
    (planning commands start no subprocesses), so CPU time stays meaningful on a busy box."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def runs(cmd: list[str], n: int, env=None, before=None) -> tuple[float, float, float]:
    """Medians of wall and CPU seconds, max peak MiB, over n runs (`before()` ahead of each)."""
    out = []
    for _ in range(n):
        if before:
            before()
        out.append(measure(cmd, env))
    return (statistics.median(o[0] for o in out), statistics.median(o[1] for o in out),
            max(o[2] for o in out))


def touch(path: Path):
    def _touch() -> None:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    return _touch


def line(label: str, res: tuple[float, float, float]) -> None:
    print(f"  {label:<40} wall {res[0] * 1000:7.0f} ms  cpu {res[1] * 1000:7.0f} ms  "
          f"peak {res[2]:6.1f} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--tree", type=Path, default=Path("/tmp/taskctl-bench-plan"))
    ap.add_argument("--example", type=Path, default=EXAMPLE)
    a = ap.parse_args()
    print(f"cpus: {os.cpu_count()}   load avg: {os.getloadavg()[0]:.2f}   python: "
          f"{sys.version.split()[0]}")

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        shutil.copytree(a.example, small)
        for p in [small, *small.rglob("*")]:  # shared/ is read-only; caches skip such trees
            p.chmod(0o755 if p.is_dir() else 0o644)
        cmd = [EXE, "next", "--json", "--tasks-dir", str(small / ".tasks")]
        print(f"small backlog ({a.example.name}), median of {a.runs}:")
        line("next --json cold (no caches)", runs(cmd, a.runs, NO_CACHE))
        runs(cmd, 1)  # fill the caches
        line("next --json warm (plan cache hit)", runs(cmd, a.runs))
        quick = [sys.executable, "-m", "taskctl.cli.quick", *cmd[1:]]
        line("next --json warm, typer-free entry", runs(quick, a.runs))

    root = a.tree / ".tasks"
    if not (root / "manifest.json").exists() or \
            len(list((root / "tasks").iterdir())) != a.count:
        shutil.rmtree(a.tree, ignore_errors=True)
        generate(a.tree, a.count)
    first = sorted((root / "tasks").iterdir())[0]
    n = max(3, a.runs // 3)
    print(f"generated tree ({a.count} tasks at {root}), median of {n}:")
    for command in ("next", "critical-path"):
        cmd = [EXE, command, "--json", "--tasks-dir", str(root)]
        line(f"{command} cold (no caches)", runs(cmd, n, NO_CACHE))
        runs(cmd, 1)
        line(f"{command} edited (YAML cache, replan)", runs(cmd, n, before=touch(first)))
        runs(cmd, 1)
        line(f"{command} warm (plan cache hit)", runs(cmd, n))


if __name__ == "__main__":
    main()
