"""Odd input to the write commands, as an agent or a tree from elsewhere gives it: each is
refused with a one-line error and exit 2 (nothing written), or done as the docs say — never
an exit 70 or a file lost. Real subprocesses on real trees in tmp dirs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import contextmanager

import yaml

from taskctl.core.lifecycle.create import slug
from tests.taskctl.core.lifecycle.lifecycle_support import assert_consistent, tc
from tests.taskctl.core.verify.verify_support import front_matter, make_tree


def _tree(tmp_path, ids=("T001", "T002"), **spec):
    return make_tree(tmp_path, {t: {"items": [{"criterion": "ok", "run": "true"}], **spec}
                                for t in ids}, git=False)


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and ".cache" not in p.parts and ".locks" not in p.parts)


def test_an_id_with_a_trailing_newline_is_refused(tmp_path):
    root = _tree(tmp_path)
    before = _files(root)
    for args in (("new", "--title", "x", "--id", "T99\n"), ("set", "T001\n", "title=x"),
                 ("claim", "T001\n", "--agent", "a")):
        p = tc(tmp_path, *args, check=2)
        assert "bad task id" in p.stderr and "Traceback" not in p.stderr
    assert _files(root) == before


def test_ids_that_start_with_a_digit_take_every_write(tmp_path):
    """The id grammar is the loader's (`core/load/ids.py`): a letter or digit first."""
    root = _tree(tmp_path, ids=("1", "2"))
    tc(tmp_path, "dep", "add", "2", "1", check=0)
    tc(tmp_path, "set", "2", "priority=P0", check=0)
    tc(tmp_path, "claim", "1", "--agent", "a", check=0)
    tc(tmp_path, "new", "--title", "three", "--id", "123", check=0)
    assert front_matter(root, "2")["depends_on"] == ["1"]
    assert_consistent(root)


def test_a_completion_summary_is_not_taken_for_the_task(tmp_path):
    """With no `file` in the entry, the task's file is searched by name: a completion summary
    in completed/ (no front matter) is passed over, as the loader passes it over."""
    root = _tree(tmp_path, ids=("T001",))
    (root / "completed").mkdir()
    (root / "completed" / "T001-completion.md").write_text("# Done\n\nnotes\n")
    data = json.loads((root / "manifest.json").read_text())
    del data["tasks"][0]["file"]
    (root / "manifest.json").write_text(json.dumps(data))
    tc(tmp_path, "log", "T001", "hello", check=0)
    assert "hello" in (root / "tasks" / "T001-task.yaml").read_text()
    assert (root / "completed" / "T001-completion.md").read_text() == "# Done\n\nnotes\n"
    (root / "manifest.json").unlink()
    tc(tmp_path, "set", "T001", "title=Again", check=0)
    assert front_matter(root, "T001")["title"] == "Again"


def test_estimates_the_loader_would_refuse_are_refused(tmp_path):
    root = _tree(tmp_path)
    for pair in ("estimate=10000000000000000000h", "estimated_tokens=99999999999999999999"):
        p = tc(tmp_path, "set", "T001", pair, check=2)
        assert "bad estimate" in p.stderr and "out of range" in p.stderr
    tc(tmp_path, "new", "--title", "b", "--estimate", "10000000000000000000h", check=2)
    tc(tmp_path, "set", "T001", "estimated_tokens=12345678901234567", check=0)
    assert front_matter(root, "T001")["estimated_tokens"] == 12345678901234567  # exact
    assert_consistent(root)


def test_a_lease_past_the_calendar_is_refused(tmp_path):
    _tree(tmp_path)
    for args in (("claim", "T001", "--agent", "a", "--lease", "3000000d"),
                 ("next", "--claim", "--agent", "a", "--lease", "9999999999999999999999s"),
                 ("start", "T001", "--agent", "a", "--lease", "100000000h")):
        p = tc(tmp_path, *args, check=2)
        assert "bad duration" in p.stderr and "internal error" not in p.stderr


@contextmanager
def _unwritable(path):
    """`path` refused to writes by the system: immutable for root (who passes permission
    bits), read-only folder bits for anyone else."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.parent.stat().st_mode
        path.parent.chmod(0o555)
        try:
            yield
        finally:
            path.parent.chmod(mode)


def test_a_file_the_system_refuses_is_a_one_line_error_not_a_bug(tmp_path):
    root = _tree(tmp_path)
    task = root / "tasks" / "T001-task.yaml"
    before = task.read_text()
    with _unwritable(task):
        for extra in ((), ("--json",)):
            p = tc(tmp_path, "set", "T001", "title=x", *extra, check=2)
            assert "internal error" not in p.stderr and "Traceback" not in p.stderr
            assert "T001-task.yaml" in p.stderr
        assert json.loads(p.stdout)["exit_code"] == 2
    assert task.read_text() == before
    tc(tmp_path, "set", "T001", "title=y", check=0)  # the next write goes through
    assert_consistent(root)


def test_set_empty_removes_a_value_only_the_manifest_holds(tmp_path):
    root = _tree(tmp_path)
    data = json.loads((root / "manifest.json").read_text())
    data["tasks"][0].update({"phase": "alpha", "estimated_hours": 3})
    (root / "manifest.json").write_text(json.dumps(data))
    out = json.loads(tc(tmp_path, "set", "T001", "phase=", "estimated_hours=", "--json",
                        check=0).stdout)
    assert out["changes"] == {"phase": {"from": "alpha", "to": None},
                              "estimated_hours": {"from": 3, "to": None}}
    shown = json.loads(tc(tmp_path, "show", "T001", "--json", check=0).stdout)["task"]
    assert shown["phase"] is None and shown["estimated_hours"] is None
    out = json.loads(tc(tmp_path, "set", "T002", "phase=beta", "--json", check=0).stdout)
    assert out["changes"]["phase"]["from"] is None
    assert_consistent(root)


def test_archive_never_overwrites_a_file_in_completed(tmp_path):
    root = _tree(tmp_path, status="completed")
    (root / "completed").mkdir()
    notes = root / "completed" / "T002-task.yaml"
    notes.write_text("just notes\n")
    p = tc(tmp_path, "archive", check=2)  # every completed task: T001 is free, T002 is not
    assert "already exists" in p.stderr and "nothing archived" in p.stderr
    assert notes.read_text() == "just notes\n"
    assert (root / "tasks" / "T001-task.yaml").is_file()  # checked before any was moved
    tc(tmp_path, "archive", "T001", check=0)
    assert (root / "completed" / "T001-task.yaml").is_file()


def test_new_takes_each_dependency_and_tag_once(tmp_path):
    root = _tree(tmp_path)
    out = json.loads(tc(tmp_path, "new", "--title", "d", "--depends-on", "T001",
                        "--depends-on", "T001", "--tag", "a", "--tag", "a", "--tag", "b, c",
                        "--tag", "", "--json", check=0).stdout)
    fm = yaml.safe_load((root / out["file"]).read_text().split("---\n")[1])
    assert fm["depends_on"] == ["T001"] and fm["tags"] == ["a", "b", "c"]
    assert_consistent(root)


def test_next_claim_passes_over_a_task_without_its_file(tmp_path):
    root = _tree(tmp_path)
    (root / "tasks" / "T001-task.yaml").unlink()  # its entry stays: an agent can still work
    out = json.loads(tc(tmp_path, "next", "--claim", "--agent", "q", "--json",
                        check=0).stdout)
    assert out["task"] == "T002"
    assert out["warnings"] == ["not claimed: T001 has no task file"]
    p = tc(tmp_path, "next", "--claim", "--agent", "r", check=4)
    assert "1 with no usable task file" in p.stderr


def test_claim_takes_the_agent_from_the_environment(tmp_path):
    root = _tree(tmp_path)
    tc(tmp_path, "claim", "T001", "--json", check=0, extra={"TASKCTL_AGENT": "env-agent"})
    assert json.loads((root / "claims" / "T001.json").read_text())["agent"] == "env-agent"
    p = tc(tmp_path, "claim", "T002", "--json", check=2)
    assert json.loads(p.stdout)["error"].startswith("claim needs an agent")
    assert not (root / "claims" / "T002.json").exists()


def test_file_names_keep_the_letters_of_accented_titles():
    assert slug("Émoji café — naïve 🚀") == "emoji-cafe-naive"
    assert slug("ééé") == "eee" and slug("日本語") == "task"


def test_a_tree_copied_elsewhere_stays_untouched(tmp_path):
    """The tests above ran in tmp copies; a sanity check that the helper copies nothing of
    the shared examples by reference (a write in one copy is not seen in another)."""
    a = _tree(tmp_path / "a")
    shutil.copytree(a.parent, tmp_path / "b")
    tc(tmp_path / "a", "set", "T001", "title=changed", check=0)
    assert front_matter(tmp_path / "b" / ".tasks", "T001")["title"] == "Task T001"


def test_the_full_cli_claims_for_the_environment_agent_too(tmp_path, taskctl, monkeypatch):
    """The same through the full CLI (in process: the fast write path is the console
    script's), which a claim with options the fast path does not parse reaches."""
    root = _tree(tmp_path)
    monkeypatch.delenv("TASKCTL_AGENT", raising=False)
    r = taskctl(["--tasks-dir", root, "claim", "T002"])
    assert r.code == 2 and "claim needs an agent" in r.err
    r = taskctl(["--tasks-dir", root, "claim", "T001"], env={"TASKCTL_AGENT": "env-agent"})
    assert r.code == 0, r.err
    assert json.loads((root / "claims" / "T001.json").read_text())["agent"] == "env-agent"


def test_headings_in_a_description_stay_inside_it(tmp_path):
    """`new --description` with `## Progress Log` in it: the file keeps one such section (the
    template's), so `log` writes there and the description reads as written, one level down."""
    root = _tree(tmp_path)
    desc = "x\n## Progress Log\nsneaky\n```\n## in code\n```"
    out = json.loads(tc(tmp_path, "new", "--title", "t", "--description", desc, "--json",
                        check=0).stdout)
    tc(tmp_path, "log", out["id"], "hello", check=0)
    text = (root / out["file"]).read_text()
    assert text.count("\n## Progress Log\n") == 1 and "\n### Progress Log\nsneaky\n" in text
    assert "\n## in code\n" in text  # code is code
    log = text.split("\n## Progress Log\n", 1)[1]
    assert "hello" in log and "hello" not in text.split("\n## Progress Log\n", 1)[0]
    assert_consistent(root)


def test_every_refusal_says_what_to_do(tmp_path):
    _tree(tmp_path)
    for args in (("set", "T001", "title="), ("dep", "add", "T001", "T001"),
                 ("new", "--title", "x", "--run", "true"), ("import", "nope.md")):
        p = tc(tmp_path, *args, check=2)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 2 and lines[0].startswith("taskctl: error: "), p.stderr
        assert lines[1].startswith("  hint: "), p.stderr
