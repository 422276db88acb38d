"""Contract tests of the shipped integrations: pre-commit hooks and the GitHub workflow."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def test_pre_commit_hooks(taskctl):
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"taskctl-validate", "taskctl-gate-check"}
    assert hooks["taskctl-validate"]["entry"] == "taskctl validate"
    assert hooks["taskctl-gate-check"]["entry"] == "taskctl gate --check"
    for h in hooks.values():
        assert h["language"] == "python" and h["pass_filenames"] is False
        files = re.compile(h["files"])
        assert files.search(".tasks/tasks/T001-x.md") and not files.search("src/.tasks.py")
        prog, *args = shlex.split(h["entry"])
        assert prog == "taskctl"
        assert taskctl([*args, "--help"]).code == 0  # the command and its options exist


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / "taskctl.yml").read_text())


def test_workflow_has_no_path_filters(workflow):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in on
    for event in on.values():
        assert not set(event or {}) & {"paths", "paths-ignore", "branches-ignore"}


def test_workflow_gate_and_aggregate_job(workflow):
    jobs = workflow["jobs"]
    steps = jobs["gate"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("pip install -c constraints.txt" in r for r in runs)
    gate = next(s for s in steps if s.get("run", "").startswith("taskctl gate")
                and "--junit " in s["run"])
    # records of CI's own runs are signed with the CI key from a secret (docs/verify.md)
    assert gate["env"]["TASKCTL_SIGNING_KEY"] == "${{ secrets.TASKCTL_SIGNING_KEY }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"].endswith(".xml")
    req = jobs["required"]
    assert req["if"] == "always()"
    assert set(req["needs"]) == set(jobs) - {"required"}  # it aggregates every other job
    assert "failure" in req["steps"][0]["if"] and "skipped" in req["steps"][0]["if"]
    assert all("if" not in j for name, j in jobs.items() if name != "required")
