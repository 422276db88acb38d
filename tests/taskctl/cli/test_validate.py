"""`taskctl validate` on the shared examples and on hand-made trees: every problem, located."""

from __future__ import annotations

import json

import pytest

# The errors listed in ../shared/examples/broken/README.md: (code, file suffix, line)
BROKEN_EXPECTED = {
    ("E031", "tasks/T001-data.yaml", 6),        # cycle T001 -> T003 -> T002 -> T001
    ("E001", "tasks/T003-batching.yaml", 3),    # unterminated string
    ("E001", "tasks/T003-batching.yaml", 5),    # unterminated flow sequence: where `[` is
    ("E020", "manifest.json", 7),               # duplicate id T004 in the manifest
    ("E021", "tasks/T004-eval.yaml", 2),        # file id T044 vs name T004 vs manifest T004
    ("E030", "tasks/T004-eval.yaml", 6),        # dangling dependency T099
    ("E010", "tasks/T002-tokenizer.yaml", 7),   # non-numeric estimate
    ("E012", "tasks/T004-eval.yaml", 9),        # wrong-typed run
    ("E012", "tasks/T004-eval.yaml", 10),       # negative timeout
    ("E014", "manifest.json", 6),               # unknown priority P9
    ("E022", "manifest.json", 8),               # manifest entry whose file is missing (T005)
    ("E023", "tasks/T006-orphan.yaml", 1),      # orphan task file
    ("W100", "manifest.json", 6),               # status `done` in the manifest
}


def _located(problems):
    return {(p["code"], p["file"].removeprefix(".tasks/"), p["line"]) for p in problems}


def test_broken_example_reports_every_listed_error_with_file_and_line(copy_example, taskctl):
    tasks = copy_example("broken")
    r = taskctl(["validate", "--tasks-dir", tasks, "--json"])
    assert r.code == 1
    doc = r.json()
    assert doc["schema_version"] == 1 and doc["ok"] is False
    missing = BROKEN_EXPECTED - _located(doc["problems"])
    assert not missing, f"not reported: {missing}"
    for p in doc["problems"]:
        assert p["file"] and p["line"], p
        assert p["hint"] and p["rule"] and p["severity"] in ("error", "warning")
    cycle = next(p for p in doc["problems"] if p["code"] == "E031")
    assert "T001" in cycle["message"] and "T002" in cycle["message"] and "T003" in cycle["message"]
    dangling = next(p for p in doc["problems"] if p["code"] == "E030")
    assert "T099" in dangling["message"] and "not a known task" in dangling["message"]


def test_broken_example_human_output_has_locations_and_no_traceback(copy_example, taskctl):
    r = taskctl(["validate", "--tasks-dir", copy_example("broken")])
    assert r.code == 1
    assert "Traceback" not in r.out + r.err
    assert ".tasks/tasks/T003-batching.yaml:3:8: error E001 [yaml-syntax]" in r.out
    assert r.out.strip().splitlines()[-1].startswith("FAILED:")


def test_agent_mvp_has_warnings_only_and_fails_under_strict(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    r = taskctl(["validate", "--tasks-dir", tasks, "--json"])
    assert r.code == 0, r.out
    doc = r.json()
    assert doc["ok"] is True and doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] > 0
    assert {p["severity"] for p in doc["problems"]} == {"warning"}
    strict = taskctl(["validate", "--tasks-dir", tasks, "--strict"])
    assert strict.code == 1
    assert ": error W100" in strict.out  # warnings shown as errors under --strict


def test_global_option_is_accepted_before_or_after_the_command(copy_example, taskctl):
    tasks = copy_example("agent-mvp")
    assert taskctl(["--tasks-dir", tasks, "validate"]).code == 0
    assert taskctl(["validate", f"--tasks-dir={tasks}"]).code == 0


def test_discovery_env_var_and_upward_search(copy_example, taskctl, tmp_path):
    tasks = copy_example("agent-mvp")
    sub = tasks.parent / "src" / "deep"
    sub.mkdir(parents=True)
    assert taskctl(["validate"], cwd=sub).code == 0
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    assert taskctl(["validate"], cwd=elsewhere, env={"TASKCTL_DIR": str(tasks)}).code == 0


def test_missing_tasks_dir_exits_2_with_hint(taskctl, tmp_path, monkeypatch):
    monkeypatch.delenv("TASKCTL_DIR", raising=False)
    r = taskctl(["validate"], cwd=tmp_path)
    assert r.code == 2
    assert "no .tasks directory" in r.err and "hint:" in r.err
    r = taskctl(["validate", "--tasks-dir", tmp_path / "nope", "--json"])
    assert r.code == 2 and r.json()["error"].startswith("tasks directory not found")


@pytest.mark.parametrize("command", ["next", "validate"])
def test_a_removed_working_directory_exits_2_with_hint(command, tmp_path, monkeypatch):
    """A shell whose folder was deleted under it: the usual error (exit 2, a hint), not a
    traceback nor an internal error (the fast entry and the full CLI alike)."""
    import shlex
    import subprocess
    import sys

    monkeypatch.delenv("TASKCTL_DIR", raising=False)
    gone = tmp_path / "gone"
    gone.mkdir()
    run = shlex.join([sys.executable, "-m", "taskctl", command])
    p = subprocess.run(["bash", "-c", f"cd {shlex.quote(str(gone))} && rmdir -- \"$PWD\" && "
                        f"exec {run}"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("taskctl: error: the working directory no longer exists")
    assert "hint:" in p.stderr and "Traceback" not in p.stderr


def test_a_folder_that_cannot_be_looked_in_is_exit_2_not_a_traceback(taskctl, tmp_path):
    """What the OS refuses (a name too long; an unreadable folder the same way) stops the
    search with a located error, as `~` with no such user does: never a traceback, and never
    a walk on upward to another project's store."""
    r = taskctl(["validate", "--tasks-dir", str(tmp_path / ("x" * 300))])
    assert r.code == 2 and "cannot look for a task store in" in r.err
    assert "File name too long" in r.err and "hint:" in r.err
    r = taskctl(["validate", "--tasks-dir", "~no-such-user-here/proj"])
    assert r.code == 2 and "cannot expand ~no-such-user-here in" in r.err


def test_unknown_option_is_a_usage_error(taskctl, copy_example):
    r = taskctl(["validate", "--no-such-flag", "--tasks-dir", copy_example("agent-mvp")])
    assert r.code == 2


@pytest.mark.parametrize("name", ["task", "manifest"])
def test_schema_command_prints_json_schema(taskctl, name):
    r = taskctl(["schema", name])
    assert r.code == 0
    schema = json.loads(r.out)
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_schema_command_rejects_unknown_name(taskctl):
    r = taskctl(["schema", "nope"])
    assert r.code == 2 and "unknown schema" in r.err


# Counts the tree's loads in a console-script run (`quick.main` called from `__main__`, as the
# `taskctl` script does): every load goes through `loader.load`.
_COUNTING = (
    "import atexit, sys\n"
    "from taskctl.core.load import loader\n"
    "real, n = loader.load, [0]\n"
    "def load(*a, **k):\n"
    "    n[0] += 1\n"
    "    return real(*a, **k)\n"
    "loader.load = load\n"
    "atexit.register(lambda: sys.stderr.write(f'LOADS={n[0]}\\n'))\n"
    "sys.argv = ['taskctl', *sys.argv[1:]]\n"
    "from taskctl.cli.quick import main\n"
    "main()\n")


@pytest.mark.parametrize("no_cache", ["", "1"])
def test_failing_validate_loads_the_tree_once(copy_example, no_cache):
    """The fast entry computes a failing validate and hands it to the full CLI (exit 1 and
    its report): the full CLI must not load the tree again — with the cache on (the stored
    answer) and with TASKCTL_NO_CACHE=1 (no key: the answer is handed over by question)."""
    import os
    import subprocess
    import sys

    root = copy_example("broken")
    env = {**os.environ, "TASKCTL_NO_CACHE": no_cache}
    runs = [subprocess.run([sys.executable, "-c", _COUNTING, "validate", "--json",
                            "--tasks-dir", str(root)], capture_output=True, text=True, env=env)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 1, r.stderr
        assert _located(json.loads(r.stdout)["problems"]) >= BROKEN_EXPECTED
    # with the cache on, the second run is answered from it without a load
    assert [r.stderr.count("LOADS=1") for r in runs] == ([1, 0] if not no_cache else [1, 1])
    assert runs[0].stdout == runs[1].stdout
    assert (root / ".cache").exists() is (not no_cache)


def test_a_handed_over_answer_serves_the_next_question_only(copy_example, monkeypatch):
    """`answers.hand_over` (a failing validate passed from the fast entry to the full CLI)
    holds the answer for the very next question, and only with the cache off: a later
    question, or one after another, is computed again (an in-process host edits between)."""
    from taskctl.cli import answers

    root = copy_example("broken")
    opts = {"strict": False, "verbose": False, "json": True}
    stale = {"problems": [0, 0], "report": {"stale": True}}
    monkeypatch.setenv("TASKCTL_NO_CACHE", "")
    answers.hand_over(root, "validate", opts, stale)
    assert not answers._handed  # with the cache on, the cache and `_last` carry it
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    answers.hand_over(root, "validate", opts, stale)
    assert answers.answer(root, "validate", opts) is stale  # the next question
    assert answers.answer(root, "validate", opts) is not stale  # once
    answers.hand_over(root, "validate", opts, stale)
    answers.answer(root, "status", {"weight": "auto"})  # another question drops it
    assert answers.answer(root, "validate", opts) is not stale


def test_an_entry_whose_file_lies_outside_the_store_is_an_error(copy_example, taskctl):
    """A manifest `file` that leaves `.tasks/` is never read (a write must not follow it
    either): it is said, located, not taken silently as a manifest-only task."""
    root = copy_example("agent-mvp")
    ext = root.parent / "ext"
    ext.mkdir()
    (root / "tasks" / "T033-early-stopping.yaml").rename(ext / "T033-early-stopping.yaml")
    m = root / "manifest.json"
    m.write_text(m.read_text().replace('"tasks/T033-early-stopping.yaml"',
                                       '"../ext/T033-early-stopping.yaml"'))
    r = taskctl(["--tasks-dir", root, "validate", "--json"], env={"TASKCTL_NO_CACHE": "1"})
    found = [p for p in r.json()["problems"] if p["code"] == "E022"]
    assert r.code == 1 and len(found) == 1, r.out
    assert "lies outside .tasks/: not read" in found[0]["message"]
    assert found[0]["file"].endswith("manifest.json") and found[0]["line"] > 1
    shown = taskctl(["--tasks-dir", root, "show", "T033", "--json"]).json()["task"]
    assert shown["file"] is None and "file" not in shown["extra"]


def test_show_names_a_file_once(copy_example, taskctl):
    """An entry standing in for its file (missing, or unparseable): its `file` is not shown
    again among the task's own keys."""
    root = copy_example("broken")
    for tid, file in (("T003", ".tasks/tasks/T003-batching.yaml"), ("T005", None)):
        r = taskctl(["--tasks-dir", root, "show", tid, "--json"])
        assert r.json()["task"]["file"] == file and "file" not in r.json()["task"]["extra"]
        text = taskctl(["--tasks-dir", root, "show", tid], env={"NO_COLOR": "1"}).out
        rows = [line for line in text.splitlines() if line.startswith("│ file ")]
        assert len(rows) == (1 if file else 0), text
