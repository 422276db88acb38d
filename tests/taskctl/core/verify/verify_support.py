"""Helpers for the verify/gate tests: tiny `.tasks` trees inside real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

TASKCTL = [sys.executable, "-m", "taskctl"]


def git_init(repo: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "init", "--allow-empty"],
                   check=True, env=env)


def task_text(tid: str, items: list[dict], deps: list[str] | None = None,
              status: str = "pending", boxes: list[str] | None = None) -> str:
    fm = {"id": tid, "title": f"Task {tid}", "status": status, "priority": "P1"}
    if deps:
        fm["dependencies"] = deps
    fm["acceptance"] = items
    body = "\n## Description\n\nA test task.\n"
    if boxes is not None:
        body += "\n## Acceptance Criteria\n\n" + "".join(
            f"{i}. [ ] {b}\n" for i, b in enumerate(boxes, 1))
    return "---\n" + yaml.safe_dump(fm, sort_keys=False) + "---\n" + body


def trust_test_key(root: Path, caps: tuple[str, ...] = ("gpu", "tpu", "network", "docker")):
    """Write `root`/trust.yaml trusting the session's test key (tests/conftest.py)."""
    from taskctl.core.verify import keys, trust

    signer = keys.require_signer()
    return trust.trust(root, keys.public_text(signer.public), "test", list(caps))


def make_tree(repo: Path, tasks: dict[str, dict], git: bool = True,
              trusted: bool = True) -> Path:
    """tasks: id -> {"items": [...], "deps": [...], "status": ..., "boxes": [...]}.
    `trusted`: a trust.yaml trusting the test key (with every capability) is written."""
    root = repo / ".tasks"
    (root / "tasks").mkdir(parents=True)
    entries = []
    for tid, spec in tasks.items():
        name = f"{tid}-task.yaml"
        (root / "tasks" / name).write_text(task_text(
            tid, spec.get("items", []), spec.get("deps"), spec.get("status", "pending"),
            spec.get("boxes")))
        entries.append({"id": tid, "title": f"Task {tid}", "file": f"tasks/{name}",
                        "status": spec.get("status", "pending"), "priority": "P1",
                        "depends_on": spec.get("deps", [])})
    (root / "manifest.json").write_text(json.dumps({"tasks": entries}, indent=2))
    (repo / ".gitignore").write_text(".tasks/.locks/\n.tasks/logs/\n.tasks/.cache/\n")
    if trusted:
        trust_test_key(root)
    if git:
        git_init(repo)
    return root


def taskctl(repo: Path, *args: str, env: dict | None = None, timeout: float = 120,
            check: int | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "TASKCTL_CAPABILITIES": "", **(env or {})}
    p = subprocess.run([*TASKCTL, "--tasks-dir", str(repo / ".tasks"), *args],
                       capture_output=True, text=True, cwd=repo, env=full_env, timeout=timeout)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def front_matter(root: Path, tid: str) -> dict:
    text = next((root / "tasks").glob(f"{tid}-*")).read_text()
    return yaml.safe_load(text.split("---\n")[1])


def manifest_status(root: Path) -> dict[str, str]:
    data = json.loads((root / "manifest.json").read_text())
    return {e["id"]: e["status"] for e in data["tasks"]}


def all_json_parses(root: Path) -> None:
    for p in root.rglob("*.json"):
        json.loads(p.read_text())
