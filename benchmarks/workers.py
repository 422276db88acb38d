"""Timed variants in their own processes, driven in turn (`cpu_knobs.py`, `torch_ref.py`).

A worker compiles and warms up its variant, prints one JSON line (`{"ready": ...}`), then
answers every `run K` line on stdin with `{"wall": [...], "cpu": [...], ...}` for K steps. The
driver asks the workers one after another, round after round, so machine load falls on all of
them alike, and no variant's thread pool shares a process with another's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable


def serve(step: Callable[[int], object], first: int, ready: dict) -> None:
    """Worker side: print `ready`, then time `step(i)` (i = first, first + 1, ...) on each
    `run K` request; the last step's return value, when a dict, is merged into the reply."""
    print(json.dumps({"ready": True, **ready}), flush=True)
    i = first
    for line in sys.stdin:
        if not line.startswith("run"):
            break
        wall, cpu, extra = [], [], {}
        for _ in range(int(line.split()[1])):
            t0, c0 = time.perf_counter(), time.process_time()
            out = step(i)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            extra = out if isinstance(out, dict) else {}
            i += 1
        print(json.dumps({"wall": wall, "cpu": cpu, **extra}), flush=True)


class Remote:
    """Driver side: one worker process (`cmd`), asked over its stdin/stdout."""

    def __init__(self, cmd: list[str], env: dict[str, str] | None = None, cwd=None):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, cwd=cwd)

    def ask(self, line: str | None = None) -> dict:
        """Send `line` (if any) and read the worker's next JSON reply."""
        if line:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise RuntimeError(f"worker exited ({self.proc.wait()})")
        return json.loads(out)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
