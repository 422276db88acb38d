"""Whole-process `taskctl validate` time and peak memory on a generated 10,000-task tree.

    python benchmarks/bench_validate.py [--count 10000] [--runs 5] [--tree /tmp/taskctl-bench]

Prints the cold run (no parse cache) and the median of warm runs (content-keyed YAML cache
present), each with the peak RSS of the whole process tree. Targets: <= 3 s, <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_tree import generate  # noqa: E402
from proctree import measure  # noqa: E402

os.environ["TASKCTL_SERVE"] = "0"  # figures without a server: none starts on its own


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tree", type=Path, default=Path("/tmp/taskctl-bench"))
    a = ap.parse_args()
    root = a.tree / ".tasks"
    if not (root / "manifest.json").exists() or len(list((root / "tasks").iterdir())) != a.count:
        shutil.rmtree(a.tree, ignore_errors=True)
        generate(a.tree, a.count)
    exe = Path(sys.executable).with_name("taskctl")
    cmd = [str(exe), "validate", "--tasks-dir", str(root)]
    shutil.rmtree(root / ".cache", ignore_errors=True)
    cold = measure(cmd)
    uncached = measure(cmd, {**os.environ, "TASKCTL_NO_CACHE": "1"})
    warm = [measure(cmd) for _ in range(a.runs)]
    print(f"tree: {a.count} tasks at {root}   cpus: {os.cpu_count()}   "
          f"load avg: {os.getloadavg()[0]:.2f}")
    print(f"validate cold (cache built) : {cold[0]:6.2f} s  peak {cold[1]:6.1f} MiB  "
          f"exit {cold[2]}")
    print(f"validate no cache           : {uncached[0]:6.2f} s  peak {uncached[1]:6.1f} MiB")
    print(f"validate warm (median of {a.runs}): {statistics.median(w[0] for w in warm):6.2f} s  "
          f"peak {max(w[1] for w in warm):6.1f} MiB")


if __name__ == "__main__":
    main()
