"""Attack: make taskctl write or read outside the repository through symlinks and globs.

Before: a symlinked `.tasks/evidence`, `updates`, `logs`, `.locks` or `tasks` made `verify`
write through it; `inputs` globs like `../../*` or `/etc/passwd` were read (or crashed: an
absolute glob raised NotImplementedError, exit 70).
After: every write goes through one confined join (taskctl/core/files/paths.py): a symlinked
state folder is a one-line exit-2 error before anything runs; escaping globs and cwd are
located E012 errors, never expanded, and a symlink inside the repository that points out of
it is never read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from taskctl.core.files.paths import confined, repo_relative_problem
from taskctl.errors import UnsafePath
from tests.taskctl.adversarial.support import Box, record, run

ITEM = [{"criterion": "c", "run": "echo ok"}]


@pytest.mark.parametrize("folder", ["evidence", "updates", "logs", ".locks", "tasks"])
def test_symlinked_state_folder_is_refused_before_anything_runs(tmp_path, folder):
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "run": "touch RAN"}]}})
    real = box.root / folder
    target = box.outside / folder
    if real.exists():
        real.rename(target)  # `tasks`: the files move out, the link points at them
    else:
        target.mkdir()
    real.symlink_to(target)
    box.before = box.outside_files()
    p = run(box, "verify", "T001")
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    first = p.stderr.strip().splitlines()[0]
    assert "symlink" in first and folder in first, p.stderr
    assert not (box.repo / "RAN").exists()
    box.assert_nothing_written_outside()


def test_symlinked_record_or_log_file_is_not_followed(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    victim = box.outside / "victim.json"
    victim.write_text('{"precious": true}\n')
    box.before = box.outside_files()
    ev = box.root / "evidence" / "T001"
    ev.mkdir(parents=True)
    (ev / "item-01.json").symlink_to(victim)  # a predictable path: plant a link there
    p = run(box, "verify", "T001")
    assert p.returncode == 2 and "symlink" in p.stderr, p.stderr
    box.assert_nothing_written_outside()
    logs = box.root / "logs" / "T001"
    logs.mkdir(parents=True)
    (logs / "x.log").symlink_to(victim)
    with pytest.raises(UnsafePath):
        confined(box.root, "logs", "T001", "x.log")


@pytest.mark.parametrize("glob", ["../../*", "../outside/*", "/etc/passwd", "/proc/self/*",
                                  "~/.ssh/*", "src/../../../*"])
def test_escaping_inputs_glob_is_a_located_error_and_never_read(tmp_path, glob):
    # a FIFO outside: reading it would block forever, so a pass means it was never opened
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "run": "true",
                                             "inputs": [glob]}]}})
    os.mkfifo(box.outside / "fifo")
    box.before = box.outside_files()
    v = run(box, "validate", "--json", timeout=30)
    assert v.returncode == 1
    probs = [p for p in json.loads(v.stdout)["problems"] if p["rule"] == "acceptance-item"]
    assert probs and probs[0]["line"] and "inputs glob" in probs[0]["message"]
    for args in (["verify", "T001"], ["gate", "--check"], ["gate", "--rerun"]):
        p = run(box, *args, timeout=30)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
    p = run(box, "check", "T001", "--item", "1", "--by", "me", timeout=30)
    assert p.returncode in (1, 2)
    box.assert_nothing_written_outside()


def test_symlink_inside_the_repository_pointing_out_is_not_read(tmp_path):
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "run": "true",
                                             "inputs": ["data/**/*"]}]}})
    (box.repo / "data").mkdir()
    (box.repo / "data" / "real.txt").write_text("x")
    os.mkfifo(box.outside / "fifo")
    (box.repo / "data" / "out").symlink_to(box.outside)
    (box.repo / "data" / "passwd").symlink_to("/etc/passwd")
    p = run(box, "verify", "T001", timeout=30)
    assert p.returncode == 0, p.stderr
    rec = record(box)
    assert list(rec["fingerprint"]["parts"]["inputs"]["files"]) == ["data/real.txt"]


def test_cwd_outside_the_repository_is_refused(tmp_path):
    box = Box(tmp_path, {"T001": {"items": [{"criterion": "c", "run": "touch RAN",
                                             "cwd": "../outside"}]}})
    p = run(box, "verify", "T001")
    assert p.returncode == 1
    assert not (box.outside / "RAN").exists()


def test_confined_join_refuses_separators_and_dots(tmp_path):
    for part in ("..", ".", "a/b", "a\\b", "", "x\0y"):
        with pytest.raises(UnsafePath):
            confined(tmp_path, "evidence", part, "item-01.json")
    assert confined(tmp_path, "evidence", "T1", "item-01.json") == (
        tmp_path / "evidence" / "T1" / "item-01.json")
    assert repo_relative_problem("src/**/*.py") is None
    assert repo_relative_problem("C:/x") and repo_relative_problem("a/../../b")


def test_committed_tasks_symlink_out_of_the_repository_is_refused(tmp_path):
    box = Box(tmp_path, {"T001": {"items": ITEM}})
    box.root.rename(box.outside / "tasks-elsewhere")
    (box.repo / ".tasks").symlink_to(box.outside / "tasks-elsewhere")
    box.before = box.outside_files()
    p = subprocess.run([sys.executable, "-m", "taskctl", "verify", "--all"], cwd=box.repo,
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "TASKCTL_CAPABILITIES": ""})
    assert p.returncode == 2 and "symlink out of its repository" in p.stderr, p.stderr
    box.assert_nothing_written_outside()
