"""`taskctl convert`: what the source holds beyond the task fields taskctl models is carried
over — a canonical source's manifest (project, other keys, entries' own fields), milestone
files, a task file's own keys."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tree_copy import copy_tracked

REPO = Path(__file__).resolve().parents[4]


def test_a_canonical_source_keeps_what_taskctl_does_not_model(copy_example, taskctl, tmp_path):
    src = copy_example("agent-mvp")
    m = json.loads((src / "manifest.json").read_text())
    m["tasks"][0]["jira_key"] = "ABC-12"
    (src / "manifest.json").write_text(json.dumps(m, indent=2))
    f = next((src / "tasks").glob("T015*"))
    f.write_text(f.read_text().replace("\nstatus:", "\nreviewer: ana\nstatus:", 1))
    out = tmp_path / "out"
    assert taskctl(["convert", "--tasks-dir", src, "-o", out]).code == 0
    new = json.loads((out / "manifest.json").read_text())
    for key in m:
        assert key in new, key  # project, mvp, metadata, ... and the derived ones
    assert new["project"] == m["project"]
    old_entries = {e["id"]: e for e in m["tasks"]}
    for e in new["tasks"]:
        assert set(old_entries[e["id"]]) - {"file"} <= set(e), e["id"]
    assert next(e for e in new["tasks"] if e["id"] == m["tasks"][0]["id"])["jira_key"] == "ABC-12"
    shown = taskctl(["show", "T015", "--tasks-dir", out, "--json"]).json()["task"]
    assert shown["extra"]["reviewer"] == "ana"


def test_milestone_files_are_carried_over(taskctl, tmp_path):
    src = copy_tracked(REPO / ".tasks", tmp_path / "src" / ".tasks")
    out = tmp_path / "out"
    assert taskctl(["convert", "--tasks-dir", src, "-o", out]).code == 0
    rep = taskctl(["status", "--tasks-dir", out, "--json"]).json()
    assert {(x["id"], x["title"]) for x in rep["milestones"]} == {("M26", "Training readiness")}
