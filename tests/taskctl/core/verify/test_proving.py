"""Faster proving: --jobs auto, slowest first, gate --shard K/N (N processes, merged, checked)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

import pytest

from taskctl.core.load.loader import load
from taskctl.core.verify import proving
from taskctl.errors import UsageError
from tests.taskctl.core.verify.verify_support import TASKCTL, make_tree, taskctl


def _durations(root, seconds: dict[str, float]) -> None:
    for tid, s in seconds.items():
        d = root / "evidence" / tid
        d.mkdir(parents=True, exist_ok=True)
        (d / "item-01.json").write_text(json.dumps({"task": tid, "item": 1, "duration_s": s}))


def _backlog(tmp_path, n: int):
    root = make_tree(tmp_path, {f"T{i:03d}": {"items": [{"criterion": "ok", "run": "true"}],
                                              "status": "completed"}
                                for i in range(1, n + 1)}, git=False)
    return root


def test_jobs_and_shard_parsing():
    assert proving.parse_jobs("auto") == len(os.sched_getaffinity(0))
    assert proving.parse_jobs("3") == 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(UsageError):
            proving.parse_jobs(bad)
    assert proving.parse_shard("2/4") == (2, 4)
    assert proving.parse_shard("1024/1024") == (1024, 1024)
    for bad in ("0/2", "3/2", "1", "a/b", "1/1025", "1/99999999999999999999"):
        with pytest.raises(UsageError):
            proving.parse_shard(bad)


def test_slowest_first_and_balanced_deterministic_shards(tmp_path):
    root = _backlog(tmp_path, 6)
    _durations(root, {"T001": 1, "T002": 50, "T003": 10, "T004": 40, "T005": 5})  # T006: none
    bl = load(root)
    ids = sorted(bl.tasks)
    assert proving.slowest_first(bl, ids) == ["T002", "T004", "T006", "T003", "T005", "T001"]
    shards = [proving.shard(bl, ids, k, 2) for k in (1, 2)]
    assert sorted(shards[0] + shards[1]) == ids and not set(shards[0]) & set(shards[1])
    loads = [sum(proving.recorded_seconds(bl, t) for t in s) for s in shards]
    assert abs(loads[0] - loads[1]) <= 10  # 50+10+5 vs 40+30+1: LPT keeps them close
    assert shards == [proving.shard(bl, ids, k, 2) for k in (1, 2)]  # same answer each time
    # a signed record (DSSE envelope) carries its duration inside the payload
    statement = {"predicate": {"task": "T001", "item": 1, "duration_s": 99}}
    (root / "evidence" / "T001" / "item-01.json").write_text(json.dumps(
        {"payload": base64.b64encode(json.dumps(statement).encode()).decode(),
         "payloadType": "application/vnd.in-toto+json", "signatures": []}))
    assert proving.slowest_first(load(root), ids)[0] == "T001"


def test_gate_shards_as_processes_merge_and_check(tmp_path):
    """N shards run as N processes in N checkouts; their evidence merges without conflicts
    and a final `gate --check` over the merged tree passes."""
    repo = tmp_path / "repo"
    repo.mkdir()
    make_tree(repo, {f"T{i:03d}": {"items": [{"criterion": "ok", "run": f"sleep 0.{i}"}]}
                     for i in range(1, 6)})
    taskctl(repo, "verify", "--all", "--jobs", "auto", check=0)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e",
                    "commit", "-qm", "verified"], check=True)
    n, procs, checkouts = 3, [], []
    for k in range(1, n + 1):
        co = tmp_path / f"shard{k}"
        subprocess.run(["git", "clone", "-q", str(repo), str(co)], check=True)
        checkouts.append(co)
        procs.append(subprocess.Popen(
            [*TASKCTL, "--tasks-dir", str(co / ".tasks"), "gate", "--rerun", "--json",
             "--shard", f"{k}/{n}"], cwd=co, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "TASKCTL_CAPABILITIES": ""}))
    gated = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out
        gated.append([t["task"] for t in json.loads(out)["tasks"]])
    assert sorted(sum(gated, [])) == [f"T{i:03d}" for i in range(1, 6)]  # each task once
    merged = tmp_path / "merged"
    shutil.copytree(repo, merged)
    for co, tasks in zip(checkouts, gated, strict=True):
        for tid in tasks:  # what a CI job uploads: its tasks' evidence files
            src = co / ".tasks" / "evidence" / tid
            dst = merged / ".tasks" / "evidence" / tid
            shutil.copytree(src, dst, dirs_exist_ok=True)
    taskctl(merged, "gate", "--check", check=0)
    before = (repo / ".tasks" / "evidence" / "T001" / "item-01.json").read_bytes()
    after = (merged / ".tasks" / "evidence" / "T001" / "item-01.json").read_bytes()
    assert after != before  # the shard's fresh (signed) run, not the old record


def test_bad_shard_is_a_usage_error(tmp_path):
    make_tree(tmp_path, {"T001": {"items": [{"criterion": "ok", "run": "true"}]}})
    p = taskctl(tmp_path, "gate", "--shard", "4/3", check=2)
    assert "K/N" in p.stderr and "Traceback" not in p.stderr
