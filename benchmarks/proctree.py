"""Run a command and measure wall time and peak memory of its whole process tree.

Peak memory is the maximum over time of the summed RSS of the process and all its descendants,
sampled from /proc every 10 ms (a process pool's workers count too). A forked child shares its
parent's pages until either writes them, and each one's RSS counts those pages in full, so the
sum counts them once per process; `measure_pss` also gives the summed PSS (proportional set
size, /proc/PID/smaps_rollup: a page shared by k processes counts 1/k in each), the memory the
tree holds with each page counted once.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _field_kb(path: str, field: str) -> int:
    """The kB figure on the line of /proc file `path` that starts with `field` (0: none)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _field_kb(f"/proc/{pid}/status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    return _field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def tree_rss_kb(pid: int, size=_rss_kb) -> int:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += size(p)
        stack.extend(_children(p))
    return total


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak tree RSS in MiB, exit code)."""
    wall, rss, _pss, code = measure_pss(cmd, env, pss=False)
    return wall, rss, code


def measure_pss(cmd: list[str], env: dict | None = None,
                pss: bool = True) -> tuple[float, float, float, int]:
    """(wall seconds, peak tree RSS in MiB, peak tree PSS in MiB, exit code); the PSS is 0
    unless `pss` (reading smaps_rollup walks the page tables: it costs more than VmRSS)."""
    peak = peak_pss = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    done = threading.Event()

    def sample():
        nonlocal peak, peak_pss
        while not done.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            if pss:
                peak_pss = max(peak_pss, tree_rss_kb(proc.pid, _pss_kb))
            time.sleep(0.01)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    t.join()
    return wall, peak / 1024, peak_pss / 1024, code
