"""The scripted end-to-end session through the CLI only, in a tmp git repo: new x5 with
dependencies, next --claim, log, block/unblock, verify to completion, history, stats; then
validate --strict is clean and git shows only files taskctl wrote."""

from __future__ import annotations

import json
import subprocess

from tests.taskctl.core.lifecycle.lifecycle_support import assert_consistent, empty_repo, tc


def _git_changed(repo) -> set[str]:
    out = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "-uall"],
                         capture_output=True, text=True, check=True).stdout
    return {line[3:] for line in out.splitlines()}


def test_end_to_end_session(tmp_path):
    repo = tmp_path / "repo"
    root = empty_repo(repo)
    ids = []
    for args in (["--title", "Data loader", "--estimate", "2h", "--priority", "P1",
                  "--acceptance", "loads", "--run", "test -d .tasks"],
                 ["--title", "Model", "--depends-on", "T001", "--estimate", "3h",
                  "--acceptance", "trains", "--run", "true"],
                 ["--title", "Eval", "--depends-on", "T002", "--estimate", "1h"],
                 ["--title", "Docs", "--depends-on", "T001", "--estimate", "30k-tokens",
                  "--phase", "docs", "--tag", "docs"],
                 ["--title", "Release", "--depends-on", "T003", "--depends-on", "T004"]):
        ids.append(tc(repo, "new", *args, "--json", check=0).stdout)
    assert [json.loads(i)["id"] for i in ids] == ["T001", "T002", "T003", "T004", "T005"]
    tc(repo, "validate", "--strict", check=0)

    got = json.loads(tc(repo, "next", "--claim", "--agent", "alice", "--json", check=0).stdout)
    assert got["task"] == "T001" and got["to"] == "in_progress"
    nothing = tc(repo, "next", "--claim", "--agent", "bob", check=4)
    assert "nothing left to claim" in nothing.stderr
    listing = json.loads(tc(repo, "next", "--json", check=0).stdout)
    assert listing["tasks"] == [] and [h["id"] for h in listing["held"]] == ["T001"]

    tc(repo, "log", "T001", "loader written", "--agent", "alice", check=0)
    tc(repo, "block", "T001", "--reason", "waiting for data access", "--agent", "alice", check=0)
    tc(repo, "unblock", "T001", "--agent", "alice", check=0)
    tc(repo, "claim", "T001", "--agent", "alice", check=0)
    done = json.loads(tc(repo, "verify", "T001", "--json", check=0).stdout)
    assert done["tasks"][0]["outcome"] == "completed"

    hist = json.loads(tc(repo, "history", "T001", "--json", check=0).stdout)
    assert [e["action"] for e in hist["events"]] == [
        "create", "claim", "log", "block", "unblock", "claim", "complete"]
    stats = json.loads(tc(repo, "stats", "--json", check=0).stdout)
    assert [t["id"] for t in stats["tasks"]] == ["T001"]
    assert stats["tasks"][0]["estimated_hours"] == 2
    assert stats["weeks"][0]["tasks"] == ["T001"]
    tc(repo, "sync", "--write", check=0)

    tc(repo, "validate", "--strict", check=0)
    assert_consistent(root)
    text = next((root / "tasks").glob("T001-*")).read_text()
    assert "(alice): loader written" in text and "status: completed" in text
    changed = _git_changed(repo)
    allowed = ("manifest.json", "metrics.json", "tasks/", "updates/", "evidence/",
               "trust.yaml")  # verify records the repository identity there
    assert changed and all(c.startswith(".tasks/") and c[len(".tasks/"):].startswith(allowed)
                           for c in changed), sorted(changed)
    assert not any(c.startswith(".tasks/claims/") for c in changed)  # completion released it
