"""A status change `verify` makes while the manifest cannot be patched (someone rewrote it
during the run, a merge left conflict markers): the task file — the truth — and the evidence
are written, the manifest is left as it is, and verify says so (stderr, `--json`, MCP)."""

from __future__ import annotations

import json

from tests.taskctl.core.verify.verify_support import front_matter, make_tree, taskctl

BREAK = "python -c \"open('.tasks/manifest.json', 'w').write('{oops')\""
WARNING = "taskctl: warning: manifest.json not updated: "


def test_a_completion_says_it_left_a_broken_manifest_alone(tmp_path):
    root = make_tree(tmp_path, {"T1": {"items": [{"criterion": "breaks the manifest",
                                                  "run": BREAK}]}})
    p = taskctl(tmp_path, "verify", "T1", check=0)
    assert front_matter(root, "T1")["status"] == "completed"
    assert (root / "manifest.json").read_text() == "{oops"  # left as it was, not replaced
    said = [line for line in p.stderr.splitlines() if line.startswith(WARNING)]
    assert len(said) == 1 and "line 1, column 2" in said[0], p.stderr
    assert "taskctl sync --write" in said[0]
    assert "Traceback" not in p.stderr


def test_a_reopening_says_it_too_in_json(tmp_path):
    root = make_tree(tmp_path, {"T1": {"status": "completed", "items": [
        {"criterion": "breaks the manifest, then fails", "run": BREAK + " && exit 1"}]}})
    p = taskctl(tmp_path, "verify", "T1", "--json", check=1)
    task = json.loads(p.stdout)["tasks"][0]
    assert front_matter(root, "T1")["status"] == "pending"  # reopened in its file
    assert task["status_after"] == "pending"
    assert len(task["warnings"]) == 1 and task["warnings"][0].startswith(
        "manifest.json not updated: ")
    assert WARNING in p.stderr


def test_a_reopening_names_no_evidence(tmp_path):
    make_tree(tmp_path, {"T1": {"status": "completed", "items": [
        {"criterion": "fails", "run": "exit 1"}]}})
    p = taskctl(tmp_path, "verify", "T1", check=1)
    assert "status: completed -> pending\n" in p.stdout and "None" not in p.stdout


def test_a_readable_manifest_gives_no_warnings(tmp_path):
    root = make_tree(tmp_path, {"T1": {"items": [{"criterion": "passes",
                                                  "run": "python -c pass"}]}})
    p = taskctl(tmp_path, "verify", "T1", "--json", check=0)
    assert "warnings" not in json.loads(p.stdout)["tasks"][0]
    assert "warning" not in p.stderr
    entry = json.loads((root / "manifest.json").read_text())["tasks"][0]
    assert entry["status"] == "completed"


def test_archiving_after_it_says_so_as_well(tmp_path):
    root = make_tree(tmp_path, {"T1": {"items": [{"criterion": "breaks the manifest",
                                                  "run": BREAK}]}})
    p = taskctl(tmp_path, "verify", "T1", "--archive", check=0)
    assert [f.name for f in (root / "completed").iterdir()] == ["T1-task.yaml"]
    said = [line for line in p.stderr.splitlines() if line.startswith(WARNING)]
    assert len(said) == 2, p.stderr  # the completion's, then the archive's
    assert (root / "manifest.json").read_text() == "{oops"


def test_verify_archive_leaves_a_taken_name_alone_and_says_so(tmp_path):
    root = make_tree(tmp_path, {"T1": {"items": [{"criterion": "passes",
                                                  "run": "python -c pass"}]}})
    (root / "completed").mkdir()
    (root / "completed" / "T1-task.yaml").write_text("just notes\n")
    p = taskctl(tmp_path, "verify", "T1", "--archive", check=0)  # completed all the same
    assert front_matter(root, "T1")["status"] == "completed"
    assert (root / "completed" / "T1-task.yaml").read_text() == "just notes\n"
    said = [line for line in p.stderr.splitlines() if "not archived" in line]
    assert len(said) == 1 and "already exists" in said[0], p.stderr
