"""Planning commands on agent-mvp, checked against answers worked out by hand from its files.

agent-mvp: T015 completed, T020 completed ('complete' in the manifest), T022 in_progress
(deps T020), T016 pending (deps T015), T033 pending, T034 pending (deps T033, T015).
Hours come from the manifest (the files set tokens only, and the file wins only for keys it
sets): T016 1.5, T022 2.5, T033 2, T034 1. Remaining edges: T033 -> T034 only.
So the critical path is T033 -> T034 = 3h; T022 has slack 0.5h, T016 1.5h.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def mvp(copy_example):
    return copy_example("agent-mvp")


def test_next_json_ranked_by_hand(mvp, taskctl):
    r = taskctl(["next", "--json", "--tasks-dir", mvp])
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["schema_version"] == 1 and doc["weight"] == "hours" and doc["total"] == 3
    got = [(t["id"], t["priority"], t["slack"], t["unblocks"]) for t in doc["tasks"]]
    assert got == [("T033", "P1", 0, 1), ("T016", "P2", 1.5, 0)]
    # T022 is in progress: listed apart, never as free work
    assert [(t["id"], t["status"], t["claim"]) for t in doc["held"]] == [
        ("T022", "in_progress", None)]
    assert all(t["reason"] for t in doc["tasks"]) and "not_listed" not in doc
    assert "warning(s) in the specs" in r.err  # spec problems are warnings, exit 0


def test_next_limit_and_explain(mvp, taskctl):
    doc = taskctl(["next", "-n", "1", "--explain", "--json", "--tasks-dir", mvp]).json()
    assert [t["id"] for t in doc["tasks"]] == ["T033"]
    assert doc["not_listed"] == [{"id": "T034", "status": "pending",
                                  "reason": "waits on T033 (pending)"}]
    r = taskctl(["next", "--explain", "--tasks-dir", mvp])
    assert r.code == 0 and "T034" in r.out and "waits on T033" in r.out


def test_critical_path_json_by_hand(mvp, taskctl):
    doc = taskctl(["critical-path", "--json", "--tasks-dir", mvp]).json()
    assert (doc["weight"], doc["total"], doc["path"]) == ("hours", 3, ["T033", "T034"])
    times = {t["id"]: (t["earliest_start"], t["earliest_finish"], t["latest_start"],
                       t["latest_finish"], t["slack"]) for t in doc["tasks"]}
    assert times == {"T016": (0, 1.5, 1.5, 3, 1.5), "T022": (0, 2.5, 0.5, 3, 0.5),
                     "T033": (0, 2, 0, 2, 0), "T034": (2, 3, 2, 3, 0)}


def test_critical_path_by_tokens_imputes_the_median(mvp, taskctl):
    # tokens: T016 6000 (est_tokens alias), T022 10000, T034 4000, T033 none -> median 6000
    r = taskctl(["critical-path", "--weight", "tokens", "--json", "--tasks-dir", mvp])
    doc = r.json()
    assert doc["total"] == 10000 and doc["path"] in (["T022"], ["T033", "T034"])
    assert {t["id"]: t["weight"] for t in doc["tasks"]}["T033"] == 6000
    assert "T033" in r.err and "median" in r.err


def test_ready_waves(mvp, taskctl):
    doc = taskctl(["ready", "--waves", "--json", "--tasks-dir", mvp]).json()
    assert [[t["id"] for t in w["tasks"]] for w in doc["waves"]] == [
        ["T016", "T022", "T033"], ["T034"]]
    assert doc["max_parallel"] == 3
    first = taskctl(["ready", "--json", "--tasks-dir", mvp]).json()
    assert [t["id"] for t in first["waves"][0]["tasks"]] == ["T016", "T022", "T033"]


def test_status_and_list(mvp, taskctl):
    doc = taskctl(["status", "--json", "--tasks-dir", mvp]).json()
    assert doc["by_status"] == {"pending": 3, "in_progress": 1, "completed": 2}
    assert [(p["name"], p["done"], p["total"]) for p in doc["phases"]] == [
        ("Reproducibility", 1, 2), ("Session Resilience", 1, 2), ("Training Improvements", 0, 2)]
    assert doc["remaining_estimate"] == 7 and doc["critical_path_total"] == 3
    r = taskctl(["status", "--tasks-dir", mvp])
    assert r.code == 0 and "Reproducibility" in r.out and "%" in r.out
    rows = taskctl(["list", "--status", "in-progress", "--json", "--tasks-dir", mvp]).json()
    assert [t["id"] for t in rows["tasks"]] == ["T022"]
    rows = taskctl(["list", "--tag", "training-loop", "--json", "--tasks-dir", mvp]).json()
    assert [t["id"] for t in rows["tasks"]] == ["T033", "T034"]
    assert taskctl(["list", "--status", "bogus", "--tasks-dir", mvp]).code == 2


def test_show(mvp, taskctl):
    doc = taskctl(["show", "T022", "--json", "--tasks-dir", mvp]).json()["task"]
    assert doc["status"] == "in_progress" and doc["estimated_hours"] == 2.5
    assert doc["dependencies"] == [{"id": "T020", "status": "completed",
                                    "title": "Checkpoints - Durable Storage"}]
    assert doc["acceptance"][0]["timeout"] == 600 and doc["acceptance"][0]["manual"] is False
    assert [c["checked"] for c in doc["criteria"]] == [False, False, False]
    t033 = taskctl(["show", "T033", "--json", "--tasks-dir", mvp]).json()["task"]
    assert [a["manual"] for a in t033["acceptance"]] == [False, False, True]
    assert t033["dependents"] == [{"id": "T034", "status": "pending",
                                   "title": "Training Loop - Warmup Schedule"}]
    r = taskctl(["show", "T022", "--tasks-dir", mvp])
    assert r.code == 0 and "Resumed run reproduces" in r.out and "T020" in r.out


def test_show_unknown_id_exits_2_with_close_matches(mvp, taskctl):
    r = taskctl(["show", "T23", "--tasks-dir", mvp])
    assert r.code == 2 and "unknown task 'T23'" in r.err and "T022" in r.err
    r = taskctl(["show", "T23", "--json", "--tasks-dir", mvp])
    assert r.code == 2 and r.json()["error"] == "unknown task 'T23'"


def test_milestones(mvp, taskctl):
    (mvp / "milestones").mkdir()
    (mvp / "milestones" / "M1.yaml").write_text(
        "id: M1\ntitle: Resilient training\ndefinition_of_done: [resume works]\n"
        "tasks: [T020, T022]\n")
    doc = taskctl(["milestone", "--json", "--tasks-dir", mvp]).json()
    assert [(m["id"], m["done"], m["total"]) for m in doc["milestones"]] == [("M1", 1, 2)]
    doc = taskctl(["milestone", "M1", "--json", "--tasks-dir", mvp]).json()
    assert [t["id"] for t in doc["remaining_tasks"]] == ["T022"] and not doc["complete"]
    assert taskctl(["milestone", "M9", "--tasks-dir", mvp]).code == 2


def test_bad_weight_is_a_usage_error(mvp, taskctl):
    assert taskctl(["next", "--weight", "parsecs", "--tasks-dir", mvp]).code == 2


def test_cache_hit_skips_heavy_imports_and_edits_invalidate(mvp):
    code = ("import sys, json\nfrom taskctl.cli.app import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('networkx', 'yaml', 'jsonschema') if m in sys.modules]\n"
            "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n")
    args = [sys.executable, "-c", code, "next", "--json", "--tasks-dir", str(mvp)]
    env_cmd = {"check": True, "capture_output": True, "text": True}
    cold = subprocess.run(args, **env_cmd)
    warm = subprocess.run(args, **env_cmd)
    assert "yaml" in cold.stderr  # computed the first time (the specs were read)
    assert "HEAVY=\n" in warm.stderr, warm.stderr  # answered from the cache
    assert cold.stdout == warm.stdout
    assert "warning(s) in the specs" in warm.stderr  # same warnings on a hit
    f = mvp / "tasks" / "T033-early-stopping.yaml"
    f.write_text(f.read_text().replace("status: pending", "status: completed"))
    after = subprocess.run(args, **env_cmd)
    assert "yaml" in after.stderr
    assert '"T034"' in after.stdout  # T034 became actionable


@pytest.mark.parametrize("argv", [
    ["next", "--json"], ["next", "-n", "1", "--explain", "--json"], ["next", "--limit=2"],
    ["ready", "--waves", "--json"], ["ready"], ["critical-path", "--weight", "hours"],
    ["status"], ["status", "--json", "--weight", "count"], ["list"], ["list", "--json"],
    ["list", "--status", "remaining", "--tag", "training"], ["show", "T022"],
    ["show", "--json", "T022"], ["validate"], ["validate", "--json"], ["validate", "-v"],
    ["validate", "--verbose", "--json"],
])
def test_quick_path_prints_exactly_what_the_full_cli_prints(mvp, taskctl, capsys, argv):
    from taskctl.cli import quick

    full = taskctl([*argv, "--tasks-dir", mvp])  # computes and caches
    assert full.code == 0
    assert quick.answer(["--tasks-dir", str(mvp), *argv]) is True
    out, err = capsys.readouterr()
    assert (out, err) == (full.out, full.err)


@pytest.mark.parametrize("argv", [
    ["next", "--help"], ["next", "--bogus"], ["next", "-n"], ["next", "-n", "x"],
    ["next", "--weight", "parsecs"], ["show"], ["show", "T022", "T023"], ["show", "--weird"],
    ["list", "--status"], ["validate", "--bogus"], ["graph"], ["ready", "--explain"], [],
])
def test_quick_path_leaves_anything_unusual_to_the_full_cli(argv):
    from taskctl.cli.options import parse

    assert parse(argv) is None


def test_quick_path_leaves_exit_codes_and_errors_to_the_full_cli(mvp, taskctl):
    """A failing validate (exit 1) and an unknown task (exit 2) are never answered quickly."""
    from taskctl.cli import quick

    assert taskctl(["validate", "--strict", "--tasks-dir", mvp]).code == 1  # mvp has warnings
    assert quick.answer(["validate", "--strict", "--tasks-dir", str(mvp)]) is False
    assert taskctl(["show", "T999", "--tasks-dir", mvp]).code == 2
    assert quick.answer(["show", "T999", "--tasks-dir", str(mvp)]) is False


def test_failing_validate_prints_the_same_from_the_cache(mvp, taskctl):
    """--strict fails on mvp's warnings: the cached answer gives the same bytes and exit."""
    first = taskctl(["validate", "--strict", "--tasks-dir", mvp])
    again = taskctl(["validate", "--strict", "--tasks-dir", mvp])
    assert first.code == again.code == 1 and first.out == again.out and "FAILED" in first.out


def test_quick_validate_imports_no_cli_framework_on_a_hit(mvp, taskctl):
    taskctl(["validate", "--tasks-dir", mvp])
    code = ("import atexit, sys\n@atexit.register\ndef heavy():\n"  # at exit: main() ends it
            "    heavy = [m for m in ('typer', 'networkx', 'yaml', 'jsonschema')"
            " if m in sys.modules]\n    print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
            "from taskctl.cli.quick import main\nmain()\n")
    r = subprocess.run([sys.executable, "-c", code, "validate", "--tasks-dir", str(mvp)],
                       capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in r.stderr and "OK: 6 task(s)" in r.stdout, (r.stdout, r.stderr)


@pytest.mark.parametrize("argv", [["next", "--json"], ["critical-path"], ["list", "--json"],
                                  ["status"], ["show", "T022"], ["validate", "--json"]])
def test_quick_path_computes_a_miss_as_the_full_cli_does(mvp, taskctl, capsys, argv,
                                                         monkeypatch):
    """Nothing cached: the fast entry computes (and stores) the answer without typer; the
    full CLI, with the cache off, prints the same bytes."""
    from taskctl.cli import quick

    assert quick.answer(["--tasks-dir", str(mvp), *argv]) is True
    out, err = capsys.readouterr()
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    full = taskctl([*argv, "--tasks-dir", mvp])
    assert full.code == 0 and (out, err) == (full.out, full.err)


def test_quick_path_leaves_missing_stores_to_the_full_cli(tmp_path):
    from taskctl.cli import quick

    assert quick.answer(["next", "--tasks-dir", str(tmp_path / "nope")]) is False


def test_quick_entry_point_imports_no_cli_framework_on_a_hit(mvp, taskctl):
    taskctl(["next", "--json", "--tasks-dir", mvp])
    code = ("import atexit, sys\n@atexit.register\ndef heavy():\n"  # at exit: main() ends it
            "    heavy = [m for m in ('typer', 'pydantic', 'networkx', 'yaml', 'jsonschema',"
            " 'rich')"
            " if m in sys.modules]\n    print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
            "from taskctl.cli.quick import main\nmain()\n")
    r = subprocess.run([sys.executable, "-c", code, "next", "--json", "--tasks-dir", str(mvp)],
                       capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in r.stderr and '"T033"' in r.stdout


def test_a_failing_validate_loads_the_tree_once_without_a_cache(mvp, taskctl, monkeypatch):
    """The fast entry computes, finds validate failing and hands over to the full CLI, which
    asks for the same answer: with TASKCTL_NO_CACHE=1 (nothing stored) it must not load the
    tree again."""
    from taskctl.cli import quick
    from taskctl.core.load import loader

    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    loads = []
    real = loader.load
    monkeypatch.setattr(loader, "load", lambda *a, **kw: loads.append(1) or real(*a, **kw))
    assert quick.answer(["validate", "--strict", "--tasks-dir", str(mvp)]) is False
    assert taskctl(["validate", "--strict", "--tasks-dir", mvp]).code == 1
    assert len(loads) == 1


def test_long_lines_of_people_output_fit_80_columns(tmp_path):
    """`next --explain` reasons and a long critical path title are wrapped at the console's
    width (the console prints soft-wrapped: what is not wrapped here runs past it)."""
    import os
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, str(repo / "benchmarks" / "gen_tree.py"), str(tmp_path),
                    "--count", "60"], check=True, capture_output=True)
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TASKCTL_SERVE": "0"}
    for args in (["next", "--explain"], ["critical-path"]):
        out = subprocess.run([sys.executable, "-m", "taskctl", "--tasks-dir",
                              str(tmp_path / ".tasks"), *args], capture_output=True,
                             text=True, env=env, check=True).stdout
        assert max(len(line) for line in out.splitlines()) <= 80, out
        assert "task(s)" in out or "total" in out
