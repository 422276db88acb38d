"""Rough edges a new user hit running the README (issue 11), each pinned by a test.

The bundled backlog is copied (tracked files only) into a tmp git repo first."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tree_copy import UNTRACKED, copy_tracked

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def bundled(tmp_path) -> Path:
    """A copy of the bundled backlog's .tasks in a fresh tmp dir; returns the .tasks path."""
    return copy_tracked(REPO / ".tasks", tmp_path / "proj" / ".tasks")


def _run(tasks: Path, *args: str, columns: int = 80, **env) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k not in ("TASKCTL_DIR", "FORCE_COLOR")}
    e.update({"COLUMNS": str(columns), "NO_COLOR": "1", **env})
    return subprocess.run([sys.executable, "-m", "taskctl", *args, "--tasks-dir", str(tasks)],
                          capture_output=True, text=True, env=e, timeout=120)


def _break_yaml(tasks: Path) -> tuple[str, int]:
    """Make T001's `depends_on: []` an unclosed flow sequence; return (file, its line)."""
    path = next((tasks / "tasks").glob("T001-*"))
    lines = path.read_text().splitlines()
    n = next(i for i, ln in enumerate(lines) if ln.startswith("depends_on:"))
    lines[n] = "depends_on: [T000"
    path.write_text("\n".join(lines) + "\n")
    return f".tasks/tasks/{path.name}", n + 1


def test_verify_on_broken_yaml_says_invalid_with_file_and_line(bundled):
    file, line = _break_yaml(bundled)
    r = _run(bundled, "verify", "T001", "--dry-run")
    assert r.returncode == 1
    assert "INVALID" in r.stdout and "NO_ACCEPTANCE" not in r.stdout
    assert f"{file}:{line}:" in r.stdout  # the line of the unclosed `[`, not the next one


def test_yaml_error_points_at_the_unclosed_bracket(bundled):
    file, line = _break_yaml(bundled)
    doc = json.loads(_run(bundled, "validate", "--json").stdout)
    [p] = [p for p in doc["problems"] if p["code"] == "E001"]
    assert (p["file"], p["line"]) == (file, line)


def test_status_phases_do_not_mix_in_the_mvp_subset(bundled):
    rep = json.loads(_run(bundled, "status", "--json").stdout)
    names = [p["name"] for p in rep["phases"]]
    assert len({n.lower() for n in names}) == len(names)  # no "Reproducibility"/"reproducibility"
    assert sum(p["total"] for p in rep["phases"]) == rep["tasks"]
    assert rep["mvp"]["total"] == 6


def _visible_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def test_list_reads_well_at_80_columns(bundled):
    out = _run(bundled, "list").stdout
    lines = _visible_lines(out)
    assert max(len(ln) for ln in lines) <= 80
    rows = [ln for ln in lines if re.match(r"\s*T\d{3}\s", ln)]
    tasks = json.loads(_run(bundled, "list", "--json").stdout)["tasks"]
    assert len(rows) == len(tasks) > 50  # one line per task: titles never wrap
    assert all(re.search(r"\s(completed|pending|blocked|deferred)\s", r) for r in rows)


def test_show_prints_run_commands_in_full(bundled):
    out = _run(bundled, "show", "T022").stdout
    task = json.loads(_run(bundled, "show", "T022", "--json").stdout)["task"]
    flat = re.sub(r"\s+", " ", out)
    for item in task["acceptance"]:
        assert item["run"] and re.sub(r"\s+", " ", item["run"]) in flat
    assert "…" not in out


def test_piped_progress_lines_are_not_broken(tmp_path):
    tasks = tmp_path / ".tasks"
    (tasks / "tasks").mkdir(parents=True)
    long = "the criterion " + " ".join(f"word{i}" for i in range(30))
    (tasks / "tasks" / "T001-x.md").write_text(
        f"---\nid: T001\ntitle: X\nstatus: pending\nacceptance:\n"
        f"  - criterion: {long}\n    run: 'true'\n---\n# X\n")
    (tasks / "manifest.json").write_text(json.dumps(
        {"tasks": [{"id": "T001", "file": "tasks/T001-x.md", "status": "pending"}]}))
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    r = _run(tasks, "verify", "T001")
    assert r.returncode == 0, r.stderr
    assert any(long in ln for ln in r.stderr.splitlines()), r.stderr


def test_critical_path_shows_each_task_s_status(bundled):
    out = _run(bundled, "critical-path").stdout
    t004 = next(ln for ln in out.splitlines() if re.match(r"[│┃\s]*T004\s", ln))
    assert "blocked" in t004


def test_tokens_weight_without_token_estimates_says_so(bundled):
    r = _run(bundled, "critical-path", "--weight", "tokens")
    assert "1 tok" not in r.stdout + r.stderr
    assert "no remaining task has a tokens estimate" in r.stderr
    assert json.loads(_run(bundled, "critical-path", "--weight", "tokens", "--json").stdout)[
        "weight"] == "count"


def test_example_copies_leave_caches_behind(tmp_path):
    src = tmp_path / "src" / ".tasks"
    (src / "tasks").mkdir(parents=True)
    (src / "manifest.json").write_text("{}")
    for junk in UNTRACKED[:3]:
        (src / junk).mkdir()
        (src / junk / "stale").write_text("x")
    dst = copy_tracked(tmp_path / "src", tmp_path / "dst")
    assert sorted(p.name for p in (dst / ".tasks").iterdir()) == ["manifest.json", "tasks"]


def test_ci_workflow_installs_with_the_constraints():
    text = (REPO / ".github" / "workflows" / "taskctl.yml").read_text()
    installs = [ln for ln in text.splitlines() if "pip install" in ln]
    assert installs and all("-c constraints.txt" in ln for ln in installs)
