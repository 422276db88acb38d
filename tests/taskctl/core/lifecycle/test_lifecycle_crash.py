"""SIGKILL during `new`, `claim`, `set` and `dep add` at random moments: every file parses,
manifest and task files agree after the next command, no half-created task.

A worker process runs those four operations in a loop (so a kill lands inside a write with
high probability); it is killed at a random moment; then one CLI command runs (it finishes or
drops the interrupted change) and the tree is checked.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from tests.taskctl.core.lifecycle.lifecycle_support import (
    assert_consistent,
    env,
    independent_tree,
    tc,
)

WORKER = """
import sys
from pathlib import Path
from taskctl.core.lifecycle import create, edit, transitions as tr
root = Path(sys.argv[1])
for n in range(1000):
    out = create.new(root, create.NewSpec(f"made {n}", depends_on=["T001"], estimate="1h"), "w")
    tid = out["id"]
    tr.transition(root, tr.Request("claim", tid, "w", force=True))
    edit.set_fields(root, tid, [f"title=renamed {n}", "priority=P2", "estimate=3h"], "w")
    edit.deps(root, tid, ["T002"], True, "w")
    print(tid, flush=True)
"""


def trials(tmp_path, n: int, seed: int) -> int:
    """Returns how many kills left an unfinished change behind (a non-empty intent file)."""
    rng = random.Random(seed)
    hit = 0
    for i in range(n):
        repo = tmp_path / f"t{i}"
        root = independent_tree(repo, 3)
        tc(repo, "sync", "--write", check=0)
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(root)], cwd=repo, env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.8, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        intent = root / ".locks" / "intent.json"
        hit += intent.exists() and intent.stat().st_size > 0
        tc(repo, "log", "T001", "after the kill", "--agent", "checker", check=0)  # next command
        assert intent.read_bytes() == b""  # finished or dropped
        assert_consistent(root)
        made = [p for p in (root / "tasks").glob("*.md")]
        for p in made:  # whole tasks only: created, entered, and every started op finished
            assert "## Progress Log" in p.read_text()
    return hit


def test_sigkill_during_lifecycle_writes_quick(tmp_path):
    trials(tmp_path, 5, seed=7)


@pytest.mark.slow
def test_sigkill_during_lifecycle_writes_many(tmp_path):
    hit = trials(tmp_path, 30, seed=11)
    assert hit > 0  # some kills really landed inside a change
