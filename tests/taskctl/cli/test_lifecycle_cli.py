"""Lifecycle commands through the real entry point: refusals, exit codes, claims, leases,
in-place edits, history of wild update files, context budgets, archive, stats figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from taskctl.core.lifecycle.context import tokens
from taskctl.core.load.loader import load
from taskctl.core.write import sync
from tests.taskctl.core.lifecycle.lifecycle_support import assert_consistent
from tests.taskctl.core.verify.verify_support import make_tree

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def tree(tmp_path):
    root = make_tree(tmp_path / "r", {
        "T001": {"items": [{"criterion": "a", "run": "true"}]},
        "T002": {"items": [{"criterion": "b", "run": "true"}], "deps": ["T001"]},
        "T003": {"items": [{"criterion": "c", "run": "true"}]}}, git=False)
    bl = load(root)
    sync.write(bl, sync.plan(bl))  # start from a manifest in step with the files
    return root


def run(taskctl, root, *args):
    return taskctl([*args, "--tasks-dir", root])


def test_new_refuses_duplicate_unknown_dependency_and_cycle(tree, taskctl):
    assert run(taskctl, tree, "new", "--title", "x", "--id", "T001").code == 2
    r = run(taskctl, tree, "new", "--title", "x", "--depends-on", "T404")
    assert r.code == 2 and "unknown dependency: T404" in r.err
    r = run(taskctl, tree, "dep", "add", "T001", "T002")
    assert r.code == 2 and "T001 → T002 → T001" in r.err
    assert run(taskctl, tree, "new", "--title", "   ").code == 2
    ok = run(taskctl, tree, "new", "--title", "Fourth", "--depends-on", "T003", "--json")
    assert ok.code == 0 and ok.json()["id"] == "T004"
    assert_consistent(tree)


def test_acceptance_pairs_follow_the_command_line(tree, taskctl):
    r = run(taskctl, tree, "new", "--title", "t", "--acceptance", "manual one",
            "--acceptance", "auto", "--run", "echo hi", "--json")
    text = (tree / r.json()["file"]).read_text()
    assert "- criterion: manual one\n- criterion: auto\n  run: echo hi" in text
    assert "- [ ] manual one\n- [ ] auto" in text
    for section in ("Description", "Business Context", "Test Scenarios", "Progress Log",
                    "Risks & Mitigations", "Completion Checklist"):
        assert f"## {section}\n" in text
    assert run(taskctl, tree, "new", "--title", "t", "--run", "x").code == 2


def test_claims_hold_and_release(tree, taskctl):
    assert run(taskctl, tree, "claim", "T001", "--agent", "a").code == 0
    held = run(taskctl, tree, "claim", "T001", "--agent", "b")
    assert held.code == 3 and "claimed by a" in held.err
    assert run(taskctl, tree, "release", "T001", "--agent", "b").code == 3
    assert run(taskctl, tree, "claim", "T002", "--agent", "b").code == 2  # waits on T001
    assert run(taskctl, tree, "release", "T001", "--agent", "a").code == 0
    assert not (tree / "claims" / "T001.json").exists()
    # an expired lease is taken over, and the event names the previous holder
    assert run(taskctl, tree, "claim", "T003", "--agent", "a", "--lease", "1s").code == 0
    c = json.loads((tree / "claims" / "T003.json").read_text())
    c["expires_at"] = "2000-01-01T00:00:00Z"
    (tree / "claims" / "T003.json").write_text(json.dumps(c))
    r = run(taskctl, tree, "next", "--claim", "--agent", "b", "--json")
    assert r.code == 0 and r.json()["task"] in ("T001", "T003")
    assert run(taskctl, tree, "next", "--claim", "--agent", "c", "--json").code == 0
    last = run(taskctl, tree, "next", "--claim", "--agent", "d")
    assert last.code == 4 and "nothing left to claim" in last.err
    events = [json.loads(p.read_text()) for p in (tree / "updates").glob("*.json")]
    assert any(e.get("took_over_from") == "a" for e in events)
    listing = run(taskctl, tree, "list", "--json").json()
    assert {t["id"]: (t["held_by"] or {}).get("agent") for t in listing["tasks"]} == {
        "T001": "b" if r.json()["task"] == "T001" else "c", "T002": None,
        "T003": "b" if r.json()["task"] == "T003" else "c"}
    status = run(taskctl, tree, "status")
    assert "Claims (2)" in status.out
    assert_consistent(tree)


def test_set_edits_in_place_and_refuses_status(tree, taskctl):
    r = run(taskctl, tree, "set", "T001", "title=New name", "priority=high", "estimate=30k-tokens",
            "tags=a,b", "--json")
    assert r.code == 0 and set(r.json()["changes"]) == {"title", "estimated_tokens", "tags"}
    m = json.loads((tree / "manifest.json").read_text())["tasks"][0]
    assert (m["title"], m["estimated_tokens"], m["tags"]) == ("New name", 30000, ["a", "b"])
    bad = run(taskctl, tree, "set", "T001", "status=completed")
    assert bad.code == 2 and "proof-only" in bad.err
    assert run(taskctl, tree, "set", "T001", "colour=red").code == 2
    assert run(taskctl, tree, "set", "T404", "title=x").code == 2
    assert_consistent(tree)


def test_state_changes_and_their_refusals(tree, taskctl):
    assert run(taskctl, tree, "unblock", "T001").code == 3  # not blocked
    assert run(taskctl, tree, "block", "T001").code == 2  # --reason is required
    assert run(taskctl, tree, "defer", "T003", "--reason", "later").code == 0
    assert run(taskctl, tree, "cancel", "T003", "--reason", "dropped").code == 0
    assert run(taskctl, tree, "reopen", "T003").code == 0
    assert run(taskctl, tree, "start", "T003", "--agent", "me").code == 0
    hist = run(taskctl, tree, "history", "T003", "--json").json()["events"]
    assert [(e["action"], e["from"], e["to"]) for e in hist] == [
        ("defer", "pending", "deferred"), ("cancel", "deferred", "cancelled"),
        ("reopen", "cancelled", "pending"), ("start", "pending", "in_progress")]
    text = next((tree / "tasks").glob("T003-*")).read_text()
    assert "defer: later" in text and "cancel: dropped" in text
    assert_consistent(tree)


def test_failing_forced_verify_reopens_a_completed_task(tree, taskctl):
    assert run(taskctl, tree, "verify", "T001").code == 0
    f = next((tree / "tasks").glob("T001-*"))
    f.write_text(f.read_text().replace("run: 'true'", "run: 'false'"))
    assert run(taskctl, tree, "sync", "--write").code == 0
    r = run(taskctl, tree, "verify", "T001", "--force", "--json")
    assert r.code == 1 and r.json()["tasks"][0]["status_after"] == "pending"
    assert "status: pending" in f.read_text() and "completed_at" not in f.read_text()
    events = [json.loads(p.read_text()) for p in (tree / "updates").glob("*.json")]
    assert [e["action"] for e in sorted(events, key=lambda e: (e["at"], e["at_ns"]))][-1] == \
        "reopen"
    assert_consistent(tree)


def test_gate_does_not_reopen(tree, taskctl):
    assert run(taskctl, tree, "verify", "T001").code == 0
    f = next((tree / "tasks").glob("T001-*"))
    f.write_text(f.read_text().replace("run: 'true'", "run: 'false'"))
    assert run(taskctl, tree, "gate", "--rerun").code == 1
    assert "status: completed" in f.read_text()


def test_history_reads_wild_agent_update_files(tree, taskctl):
    (tree / "updates").mkdir(exist_ok=True)
    (tree / "updates" / "agent-1.json").write_text(json.dumps(
        {"task_id": "T003", "agent": "claude", "status": "in-progress",
         "timestamp": "2026-01-05T10:00:00Z"}))
    hist = run(taskctl, tree, "history", "T003", "--json").json()["events"]
    assert hist == [{"task": "T003", "action": "status", "at": "2026-01-05T10:00:00Z",
                     "by": "claude", "to": "in_progress", "file": "updates/agent-1.json",
                     "source": "agent"}]


def test_stats_measure_claim_to_completion(tree, taskctl):
    (tree / "updates").mkdir(exist_ok=True)
    for name, ev in (("a", {"task": "T001", "action": "claim", "from": "pending",
                            "to": "in_progress", "by": "x", "at": "2026-01-05T10:00:00Z"}),
                     ("b", {"task": "T001", "action": "complete", "from": "in_progress",
                            "to": "completed", "by": "x", "at": "2026-01-05T13:00:00Z"})):
        (tree / "updates" / f"{name}.json").write_text(json.dumps(ev))
    f = next((tree / "tasks").glob("T001-*"))
    f.write_text(f.read_text().replace("status: pending", "status: completed\n"
                                       "estimated_hours: 2\nphase: p1"))
    rep = run(taskctl, tree, "stats", "--json").json()
    assert rep["tasks"][0]["actual_hours"] == 3 and rep["tasks"][0]["hours_ratio"] == 1.5
    assert rep["phases"][0] == {"phase": "p1", "tasks": 1, "actual_hours": 3,
                                "estimated_hours": 2, "hours_ratio": 1.5, "tokens_ratio": None}
    assert rep["weeks"] == [{"week": "2026-W02", "completed": 1, "tasks": ["T001"]}]


def test_context_budget_on_the_bundled_backlog(tmp_path, taskctl):
    shutil.copytree(REPO / ".tasks", tmp_path / ".tasks")
    root = tmp_path / ".tasks"
    (root / "context" / "zz-long-notes.md").write_text("A long design note line.\n" * 800)
    for budget in (2000, 600):
        r = run(taskctl, root, "context", "T052", "--budget", str(budget), "--json")
        doc = r.json()
        assert r.code == 0 and tokens(doc["text"]) <= budget and doc["tokens"] <= budget
        assert doc["included"][:2] == ["header", "acceptance"] and doc["left_out"]
        assert "[left out to fit" in doc["text"] and doc["counter"] == "ceil(characters / 3.5)"
    plain = run(taskctl, root, "context", "T052", "--budget", "2000")
    assert tokens(plain.out) <= 2000 and plain.out.startswith("# T052")
    full = run(taskctl, root, "context", "T052", "--json").json()
    assert not full["left_out"] and full["tokens"] > 2000


def test_archive_moves_completed_files(tree, taskctl):
    assert run(taskctl, tree, "verify", "T003", "--archive").code == 0
    assert list((tree / "completed").glob("T003-*")) and not list((tree / "tasks").glob("T003-*"))
    m = {e["id"]: e for e in json.loads((tree / "manifest.json").read_text())["tasks"]}
    assert m["T003"]["file"].startswith("completed/")
    assert run(taskctl, tree, "archive", "T001").code == 2  # not completed
    assert_consistent(tree)


@pytest.mark.parametrize("argv", [
    ["claim", "T001", "--agent", "a"], ["claim", "T001", "--agent=a", "--lease", "30m", "--json"],
    ["set", "T003", "title=Renamed", "priority=P2"], ["log", "T003", "one line", "--json"],
    ["claim", "T001", "--agent", "b"],  # an error: held by another agent
])
def test_fast_write_path_matches_the_full_cli(tmp_path, taskctl, capsys, argv):
    """claim/set/log answered without typer (cli/fastwrite.py) print and exit exactly as the
    full CLI does (timestamps and random event names aside)."""
    import re

    from taskctl.cli import fastwrite

    outs = []
    for way in ("full", "fast"):
        root = make_tree(tmp_path / way, {"T001": {"items": []}, "T003": {"items": []}},
                         git=False)
        if argv[-1] == "b":
            assert taskctl(["claim", "T001", "--agent", "a", "--tasks-dir", root]).code == 0
        args = [*argv, "--tasks-dir", str(root)]
        if way == "full":
            r = taskctl(args)
            code, out, err = r.code, r.out, r.err
        else:  # as quick.main: the fast path, or (an error) the full CLI from scratch
            capsys.readouterr()
            if fastwrite.answer(args):
                code, (out, err) = 0, capsys.readouterr()
                assert argv[-1] != "b"  # the refusal is never answered here
            else:
                r = taskctl(args)
                code, out, err = r.code, r.out, r.err
        norm = re.compile(r"\d{4}-\d\d-\d\dT\d\d[:-]\d\d[:-]\d\dZ|\d{8}T\d{6}Z|"
                          r"-[0-9a-f]{6}\.json|\d+h\d\dm|\d+s|(?<=_s\": )\d+")
        outs.append((code, norm.sub("X", out), norm.sub("X", err)))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("argv", [["set", "T1"], ["claim", "T1"], ["log", "T1", "-x"],
                                  ["set", "T1", "a=b", "--help"], ["next", "--claim"]])
def test_fast_write_path_leaves_other_forms_to_the_full_cli(argv):
    from taskctl.cli import fastwrite

    assert fastwrite.parse(argv) is None


def test_new_and_set_keep_manifest_phases_in_step(tree, taskctl):
    m = json.loads((tree / "manifest.json").read_text())
    m["phases"] = [{"name": "alpha", "tasks": ["T001"]}, {"name": "beta", "tasks": ["T002"]}]
    (tree / "manifest.json").write_text(json.dumps(m))
    tid = run(taskctl, tree, "new", "--title", "n", "--phase", "alpha", "--json").json()["id"]
    assert run(taskctl, tree, "set", tid, "phase=gamma").code == 0
    phases = {p["name"]: p["tasks"] for p in
              json.loads((tree / "manifest.json").read_text())["phases"]}
    assert phases == {"alpha": ["T001"], "beta": ["T002"], "gamma": [tid]}
    assert_consistent(tree)


def test_sync_write_regenerates_metrics_from_events(tree, taskctl):
    assert run(taskctl, tree, "claim", "T001", "--agent", "a").code == 0
    assert run(taskctl, tree, "verify", "T001").code == 0
    assert run(taskctl, tree, "sync", "--write").code == 0
    first = (tree / "metrics.json").read_bytes()
    doc = json.loads(first)
    assert doc["schema_version"] == 1 and [t["id"] for t in doc["tasks"]] == ["T001"]
    assert run(taskctl, tree, "sync", "--write").code == 0
    assert (tree / "metrics.json").read_bytes() == first  # same events, same bytes
    assert run(taskctl, tree, "claim", "T003", "--agent", "a").code == 0
    assert run(taskctl, tree, "verify", "T003").code == 0
    dry = run(taskctl, tree, "sync", "--json")
    assert dry.code == 0 and dry.json()["metrics"] == "metrics.json: regenerated from the events"


def test_mcp_is_imported_only_by_its_command(tmp_path):
    """The optional extra stays optional: other commands never import mcp (or pydantic)."""
    import subprocess
    import sys

    code = ("import sys\nfrom taskctl.cli.app import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('mcp', 'pydantic', 'anyio') if m in sys.modules], file=sys.stderr)")
    root = make_tree(tmp_path / "r", {"T001": {"items": []}}, git=False)
    for args in (["--help"], ["next", "--claim", "--agent", "a"], ["log", "T001", "x"]):
        p = subprocess.run([sys.executable, "-c", code, *args, "--tasks-dir", str(root)],
                           capture_output=True, text=True, timeout=120)
        assert p.stderr.strip().endswith("[]"), (args, p.stderr)


def test_a_write_says_when_it_leaves_an_unreadable_manifest_alone(tree, taskctl, capsys):
    """The task file is the truth and is written; a manifest that is not valid JSON (or not an
    object with a `tasks` list) is left byte for byte, and every write that would patch it
    says so on stderr (with the JSON error's line and column) and under "warnings" in its
    JSON, exit 0 — through the full CLI and the fast write path alike. `log` patches no entry
    and says nothing."""
    from taskctl.cli import fastwrite

    good = (tree / "manifest.json").read_text()
    bad = good.replace('"tasks"', '"x": 1,, "tasks"', 1)
    (tree / "manifest.json").write_text(bad)
    said = "manifest.json not updated: JSON syntax error"
    for args in (["block", "T003", "--reason", "waiting"], ["dep", "add", "T003", "T001"],
                 ["new", "--title", "Fourth"], ["next", "--claim", "--agent", "a"]):
        r = run(taskctl, tree, *args)
        assert r.code == 0 and f"taskctl: warning: {said}" in r.err and "(line " in r.err, (
            args, r.err)
    r = run(taskctl, tree, "set", "T002", "title=Renamed", "--json")
    assert r.code == 0 and said in r.json()["warnings"][0]
    capsys.readouterr()
    assert fastwrite.answer(["set", "T002", "title=Again", "--tasks-dir", str(tree)])
    assert f"taskctl: warning: {said}" in capsys.readouterr().err
    r = run(taskctl, tree, "log", "T002", "a note")
    assert r.code == 0 and "warning" not in r.err
    assert (tree / "manifest.json").read_text() == bad
    assert "title: Again" in next((tree / "tasks").glob("T002*")).read_text()
    (tree / "manifest.json").write_text('{"tasks": 3}')
    r = run(taskctl, tree, "set", "T002", "title=Third", "--json")
    assert r.json()["warnings"] == ["manifest.json not updated: it is not an object with a "
                                    "`tasks` list; the task file was written (fix the "
                                    "manifest, then `taskctl sync --write`)"]
    (tree / "manifest.json").write_text(good)  # readable again: nothing to say
    r = run(taskctl, tree, "set", "T002", "title=Fourth", "--json")
    assert r.code == 0 and "warnings" not in r.json()


def test_update_files_that_are_not_events_are_said_on_stderr(tree, taskctl):
    (tree / "updates").mkdir(exist_ok=True)
    (tree / "updates" / "2026-02-02T10-00-00Z-T001.json").write_text("{bad")
    for args in (("stats",), ("stats", "--json"), ("history", "T001"),
                 ("history", "T001", "--json")):
        r = run(taskctl, tree, *args)
        assert r.code == 0, r.err
        assert "not events" not in r.out, args  # stdout holds the report alone
        assert "taskctl: warning: 1 file(s) in updates/ are not events" in r.err, args
        assert "updates/2026-02-02T10-00-00Z-T001.json" in r.err
    assert run(taskctl, tree, "history", "T001", "--json").json()["skipped_files"] == [
        "updates/2026-02-02T10-00-00Z-T001.json"]
