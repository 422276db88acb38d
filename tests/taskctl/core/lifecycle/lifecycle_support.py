"""Helpers for the lifecycle tests: empty or N-task trees in real git repos, CLI subprocesses,
and the consistency check (every file parses; manifest and task files agree)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from taskctl.core.load import taskfile
from taskctl.core.load.loader import load, task_files
from tests.taskctl.core.verify.verify_support import git_init, make_tree

TASKCTL = [sys.executable, "-m", "taskctl"]


def env() -> dict[str, str]:
    """The environment of taskctl subprocesses, read when they start (so they see the test
    signing key's config dir that tests/conftest.py sets for each test)."""
    e = {**os.environ, "TASKCTL_CAPABILITIES": "", "NO_COLOR": "1", "COLUMNS": "100"}
    e.pop("TASKCTL_AGENT", None)
    e.pop("TASKCTL_AGENT_PID", None)
    return e


def empty_repo(repo: Path) -> Path:
    """A git repo with an empty `.tasks/` (manifest with no tasks)."""
    root = repo / ".tasks"
    root.mkdir(parents=True)
    (root / "manifest.json").write_text('{"tasks": []}\n')
    (repo / ".gitignore").write_text(".tasks/.locks/\n.tasks/logs/\n.tasks/.cache/\n")
    git_init(repo)
    return root


def independent_tree(repo: Path, n: int, git: bool = False) -> Path:
    """`n` independent pending tasks T001.. with one passing acceptance item each."""
    return make_tree(repo, {f"T{i:03d}": {"items": [{"criterion": "ok", "run": "true"}]}
                            for i in range(1, n + 1)}, git=git)


def tc(repo: Path, *args: str, check: int | None = None, timeout: float = 120,
       extra: dict | None = None) -> subprocess.CompletedProcess:
    p = subprocess.run([*TASKCTL, "--tasks-dir", str(repo / ".tasks"), *args], cwd=repo,
                       capture_output=True, text=True, timeout=timeout,
                       env={**env(), **(extra or {})})
    if check is not None:
        assert p.returncode == check, (args, p.returncode, p.stdout, p.stderr)
    return p


def assert_consistent(root: Path) -> None:
    """Every JSON and task file parses; no orphan file, missing file or drift; the manifest
    is what `sync` would write (so files and manifest agree)."""
    for p in root.rglob("*.json"):
        if ".cache" not in p.parts and not (p.name == "intent.json" and p.stat().st_size == 0):
            json.loads(p.read_text())  # (an empty intent: no change pending, write.change)
    for p in task_files(root):
        taskfile.read(p, root)
    bl = load(root, use_cache=False)
    bad = [p for p in bl.problems if p.code in ("E001", "E002", "E003", "E010", "E020", "E021",
                                                 "E022", "E023", "E031", "W110")]
    assert not bad, [f"{p.location}: {p.message}" for p in bad]
    from taskctl.core.write import sync

    plan = sync.plan(bl)
    assert plan.changes == [], plan.changes
