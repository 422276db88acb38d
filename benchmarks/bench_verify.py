"""Benchmark `taskctl verify` overhead and `taskctl gate --check` on a cached tree.

    .venv/bin/python benchmarks/bench_verify.py [--runs 5] [--tasks 50]

Prints:
- verify overhead: wall time of verifying one item `sleep 1` (in-process core call, and the
  whole CLI including interpreter start-up) divided by `bash -c "sleep 1"`; medians of --runs.
- gate --check: wall time of the CLI on a tree of --tasks completed tasks (3 items each, with
  input globs) whose evidence is all cached; median of --runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.taskctl.core.verify.verify_support import make_tree  # noqa: E402

CLI = [sys.executable, "-m", "taskctl"]
ENV = {**os.environ, "TASKCTL_CAPABILITIES": ""}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_overhead(tmp: Path, runs: int) -> None:
    from taskctl.core.load.loader import load
    from taskctl.core.verify import batch as core
    from taskctl.core.verify import evidence

    repo = tmp / "overhead"
    repo.mkdir()
    root = make_tree(repo, {"T001": {"items": [{"criterion": "sleeps", "run": "sleep 1"}]}})
    base = [timed(lambda: subprocess.run(["bash", "-c", "sleep 1"], check=True))
            for _ in range(runs)]
    opts = core.VerifyOptions(force=True, capabilities=frozenset())

    def in_process():
        evidence._git_states.clear()  # a CLI run pays for git every time
        rep = core.verify(load(root), ["T001"], opts)
        assert rep.ok, rep

    core_t = [timed(in_process) for _ in range(runs)]
    cli_t = [timed(lambda: subprocess.run([*CLI, "--tasks-dir", str(root), "verify", "T001",
                                           "--force"], check=True, env=ENV,
                                          capture_output=True)) for _ in range(runs)]
    b = statistics.median(base)
    print(f"bash -c 'sleep 1'            median {b:.3f} s")
    for name, ts in (("verify (core, in-process)", core_t), ("taskctl verify (CLI)", cli_t)):
        m = statistics.median(ts)
        print(f"{name:<28} median {m:.3f} s   ratio {m / b:.3f}x   overhead {m - b:+.3f} s")


def bench_gate(tmp: Path, runs: int, n_tasks: int) -> None:
    repo = tmp / "gate"
    (repo / "src").mkdir(parents=True)
    for i in range(20):
        (repo / "src" / f"m{i}.py").write_text(f"x = {i}\n" * 200)
    tasks = {f"T{i:03d}": {"items": [
        {"criterion": f"c{j}", "run": "true", "inputs": ["src/**/*.py"]} for j in range(3)]}
        for i in range(1, n_tasks + 1)}
    root = make_tree(repo, tasks)
    subprocess.run([*CLI, "--tasks-dir", str(root), "verify", "--all", "--jobs", "4"],
                   check=True, env=ENV, capture_output=True)
    ts = [timed(lambda: subprocess.run([*CLI, "--tasks-dir", str(root), "gate", "--check"],
                                       check=True, env=ENV, capture_output=True))
          for _ in range(runs)]
    print(f"taskctl gate --check         median {statistics.median(ts):.3f} s "
          f"({n_tasks} completed tasks, {3 * n_tasks} cached items, 20 input files each)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tasks", type=int, default=50)
    args = ap.parse_args()
    os.environ["TASKCTL_CAPABILITIES"] = ""
    with tempfile.TemporaryDirectory() as d:
        from taskctl.core.verify import keys

        # a throwaway signing key in a tmp config dir: never the user's own keys
        os.environ[keys.CONFIG_DIR_ENV] = ENV[keys.CONFIG_DIR_ENV] = str(Path(d) / "config")
        ENV.pop(keys.SIGNING_KEY_ENV, None)
        os.environ.pop(keys.SIGNING_KEY_ENV, None)
        keys.init()
        bench_overhead(Path(d), args.runs)
        bench_gate(Path(d), args.runs, args.tasks)


if __name__ == "__main__":
    main()
