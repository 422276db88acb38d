"""Crash safety and concurrency: SIGKILL at random moments, 8 verifiers on one tree."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time

import pytest

from taskctl.core.load.loader import load
from taskctl.core.verify import evidence, fingerprint, trust
from tests.taskctl.core.verify.verify_support import (
    TASKCTL,
    all_json_parses,
    front_matter,
    make_tree,
    manifest_status,
    taskctl,
)


def env() -> dict[str, str]:
    """Read at call time: the autouse fixture points TASKCTL_CONFIG_DIR at the test key."""
    return {**os.environ, "TASKCTL_CAPABILITIES": ""}


def assert_consistent(root) -> set[str]:
    """All JSON parses; every task completed (file or manifest) has fresh passing evidence."""
    all_json_parses(root)
    bl = load(root)
    policy = trust.load(root)
    claimed = {t.id for t in bl.tasks.values() if t.status == "completed"}
    claimed |= {tid for tid, st in manifest_status(root).items() if st == "completed"}
    for tid in claimed:
        t = bl.tasks[tid]
        for it in t.acceptance:
            rec, rejected = evidence.load(root, tid, it.index, policy, it.requires)
            fp = fingerprint.compute(tid, it, bl.repo_root)
            assert rejected is None and evidence.freshness(rec, fp).fresh, (tid, it.index, rec)
    return claimed


def _template(tmp_path):
    repo = tmp_path / "template"
    repo.mkdir()
    (repo / "x").write_text("x")
    make_tree(repo, {
        "T001": {"items": [{"criterion": "a", "run": "sleep 0.05; echo a"},
                           {"criterion": "x", "run": "test -f x", "inputs": ["x"]}],
                 "boxes": ["a", "x"]},
        "T002": {"items": [{"criterion": "b", "run": "sleep 0.1"}], "deps": ["T001"]},
        "T003": {"items": [{"criterion": "c", "run": "true"}]}})
    return repo


def _kill_trials(tmp_path, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    template = _template(tmp_path)
    for n in range(trials):
        repo = tmp_path / f"trial{n}"
        shutil.copytree(template, repo, symlinks=True)
        proc = subprocess.Popen([*TASKCTL, "--tasks-dir", str(repo / ".tasks"), "verify",
                                 "--all", "--jobs", "2"], cwd=repo, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_consistent(repo / ".tasks")
        if n % 3 == 0:  # the next run finishes the job despite leftovers
            taskctl(repo, "verify", "--all", check=0)
            assert assert_consistent(repo / ".tasks") == {"T001", "T002", "T003"}
        shutil.rmtree(repo)


def test_sigkill_at_random_moments_quick(tmp_path):
    _kill_trials(tmp_path, trials=6, seed=1)


@pytest.mark.slow
def test_sigkill_at_random_moments_many(tmp_path):
    _kill_trials(tmp_path, trials=30, seed=2)


def test_eight_concurrent_verifiers_lose_nothing(tmp_path):
    ids = [f"T{i:03d}" for i in range(1, 9)]
    root = make_tree(tmp_path, {tid: {"items": [
        {"criterion": f"{tid} ok", "run": f"sleep 0.2; echo {tid}"}]} for tid in ids})
    procs = [subprocess.Popen([*TASKCTL, "--tasks-dir", str(root), "verify", tid],
                              cwd=tmp_path, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for tid in ids]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
    assert manifest_status(root) == {tid: "completed" for tid in ids}
    assert all(front_matter(root, tid)["status"] == "completed" for tid in ids)
    events = [json.loads(p.read_text()) for p in (root / "updates").glob("*.json")]
    assert sorted(e["task"] for e in events) == ids
    assert assert_consistent(root) == set(ids)
    assert not list((root / ".locks").glob("*.inprogress.json"))
    # derived data follows the merged statuses of all eight writers: nothing for sync to do
    stats = json.loads((root / "manifest.json").read_text())["stats"]
    assert stats["by_status"] == {"completed": 8}
    sync = subprocess.run([*TASKCTL, "--tasks-dir", str(root), "sync"], cwd=tmp_path, env=env(),
                          capture_output=True, text=True)
    assert sync.returncode == 0, sync.stdout
