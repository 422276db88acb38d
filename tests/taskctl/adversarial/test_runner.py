"""Attack: escape the runner. Real `taskctl verify` processes; leftovers found through /proc.

Before: `setsid sleep infinity &` then exit kept taskctl waiting forever (the timeout was only
checked while output flowed; SIGTERM/SIGINT were ignored meanwhile); a `nohup setsid` child
outlived its passing item; output had no cap (2 GB of output, a 2 GB log).
After (taskctl/core/verify/runner.py, procs.py): the clock rules; taskctl is a child subreaper
and kills every descendant — also those that called setsid — when the item ends; a run
returns within timeout + grace + 2 s; output beyond the cap is truncated with a marker while
the record keeps the tail, the full byte count and the hash of the whole stream.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time

import pytest

from taskctl.core.verify.runner import GRACE_S
from tests.taskctl.adversarial.support import (
    TASKCTL,
    Box,
    kill_all,
    new_mark,
    record,
    run,
    wait_gone,
)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")


def _verify(tmp_path, command: str, timeout: float = 30, env: dict | None = None):
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "run": command,
                                             "timeout": timeout}]}})
    mark = new_mark()
    t0 = time.monotonic()
    try:
        p = run(box, "verify", "T001", "--json", env={mark[0]: mark[1], **(env or {})},
                timeout=timeout + GRACE_S + 30)
    except subprocess.TimeoutExpired:
        kill_all(wait_gone(mark, 0))
        raise
    elapsed = time.monotonic() - t0
    left = wait_gone(mark, 2.0)
    kill_all(left)
    return box, p, elapsed, left


def _record(box: Box) -> dict:
    return record(box)


@pytest.mark.parametrize("command", [
    "setsid sleep 300 & echo started",
    "nohup setsid sleep 300 >/dev/null 2>&1 & echo started",
    "(setsid sh -c 'sleep 300 & sleep 300' &) ; echo started",
    "(env -i setsid sleep 300 &) ; sleep 0.5; echo started",
])
def test_escaped_background_child_neither_hangs_nor_outlives_a_passing_item(tmp_path, command):
    box, p, elapsed, left = _verify(tmp_path, command, timeout=60)
    assert p.returncode == 0, p.stderr
    assert elapsed < 20, f"verify took {elapsed:.1f}s: it waited for the escaped child"
    assert left == [], f"processes left running: {left}"
    assert _record(box)["status"] == "PASS"


def test_timeout_is_enforced_by_the_clock_with_an_escaped_pipe_holder(tmp_path):
    timeout = 2.0
    box, p, elapsed, left = _verify(
        tmp_path, "setsid sleep 300 & trap '' TERM; while :; do sleep 1; done", timeout)
    assert p.returncode == 1
    rec = _record(box)
    # the run itself, as taskctl timed it: within timeout + grace + 2 s
    assert rec["status"] == "TIMEOUT" and rec["duration_s"] <= timeout + GRACE_S + 2, rec
    assert elapsed <= timeout + GRACE_S + 20, elapsed  # the whole command: start-up, git, load
    assert left == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_reach_taskctl_while_an_escaped_child_holds_the_pipe(tmp_path, sig):
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "timeout": 600,
                                             "run": "setsid sleep 300 & sleep 300"}]}})
    mark = new_mark()
    env = {**os.environ, "TASKCTL_CAPABILITIES": "", mark[0]: mark[1]}
    proc = subprocess.Popen([*TASKCTL, "--tasks-dir", str(box.root), "verify", "T001"],
                            cwd=box.repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while len(wait_gone(mark, 0)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # taskctl, its shell, the escaped sleep and the plain one
        t0 = time.monotonic()
        proc.send_signal(sig)
        rc = proc.wait(timeout=GRACE_S + 10)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        left = wait_gone(mark, 2.0)
        kill_all(left)
    assert rc == 130 and elapsed <= GRACE_S + 2, (rc, elapsed)
    assert left == []
    assert _record(box)["status"] == "INTERRUPTED"


def test_output_beyond_the_cap_is_truncated_with_marker_tail_and_full_hash(tmp_path):
    n, cap = 20_000_000, 1_000_000
    box, p, _elapsed, left = _verify(
        tmp_path, f"head -c {n} /dev/zero | tr '\\0' a; echo; echo THE-END", timeout=120,
        env={"TASKCTL_MAX_OUTPUT_BYTES": str(cap)})
    assert p.returncode == 0, p.stderr
    rec = _record(box)
    full = b"a" * n + b"\nTHE-END\n"
    assert rec["output_bytes"] == len(full) and rec["output_truncated"] is True
    assert rec["output_sha256"] == hashlib.sha256(full).hexdigest()
    assert rec["output_tail"].endswith("THE-END\n")
    log = box.repo / rec["log"]
    size = log.stat().st_size
    assert cap < size < cap + 10_000, size
    text = log.read_bytes()[cap:]
    assert b"output truncated" in text and text.endswith(b"THE-END\n")
