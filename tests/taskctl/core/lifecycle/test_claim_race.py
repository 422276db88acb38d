"""16 agents call `next --claim` at the same instant on a tree with 10 actionable tasks:
exactly 10 distinct claims, 6 clean "nothing left" (exit 4), no lost or duplicate event."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from taskctl.core.load.loader import load
from tests.taskctl.core.lifecycle.lifecycle_support import assert_consistent, env, independent_tree

AGENTS, TASKS = 16, 10
# Each agent imports taskctl first, then waits for the common start instant: the claims
# really race instead of being staggered by interpreter start-up.
LAUNCH = ("import sys, time; import taskctl.cli.app; from taskctl.cli.quick import main; "
          "t0 = float(sys.argv[1]); time.sleep(max(0.0, t0 - time.time())); "
          "sys.argv = ['taskctl', *sys.argv[2:]]; main()")


def race(tmp_path, n: int) -> None:
    repo = tmp_path / f"race{n}"
    root = independent_tree(repo, TASKS)
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", LAUNCH, str(start), "--tasks-dir",
                               str(root), "next", "--claim", "--agent", f"agent{i:02d}",
                               "--json"], cwd=repo, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(AGENTS)]
    results = [(p.wait(timeout=180), p.stdout.read(), p.stderr.read()) for p in procs]
    won = [json.loads(out) for code, out, _ in results if code == 0]
    lost = [(code, err) for code, _, err in results if code != 0]
    assert len(won) == TASKS, results
    assert len({w["task"] for w in won}) == TASKS  # distinct
    assert len({w["by"] for w in won}) == TASKS
    assert len(lost) == AGENTS - TASKS
    assert all(code == 4 and "nothing left to claim" in err for code, err in lost), lost
    events = [json.loads(p.read_text()) for p in (root / "updates").glob("*.json")]
    claims = [e for e in events if e["action"] == "claim"]
    assert len(claims) == TASKS and len({e["task"] for e in claims}) == TASKS  # 0 lost, 0 dup
    assert {e["task"]: e["by"] for e in claims} == {w["task"]: w["by"] for w in won}
    claim_files = {p.stem: json.loads(p.read_text())["agent"]
                   for p in (root / "claims").glob("*.json")}
    assert claim_files == {w["task"]: w["by"] for w in won}
    bl = load(root, use_cache=False)
    assert {t.status for t in bl.tasks.values()} == {"in_progress"}
    assert_consistent(root)


def test_sixteen_agents_race_for_ten_tasks(tmp_path):
    for n in range(2):
        race(tmp_path, n)


@pytest.mark.slow
def test_sixteen_agents_race_twenty_times(tmp_path):
    for n in range(20):
        race(tmp_path, n)
