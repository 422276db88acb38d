"""What a one-task write (`core/write/change.py`) reads and writes besides the task file: the
manifest as the loader reads it, a task file that is a link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tree_copy import copy_tracked

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def tasks(tmp_path) -> Path:
    return copy_tracked(REPO / ".tasks", tmp_path / "proj" / ".tasks")


def run(tasks: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TASKCTL_SERVE": "0", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "taskctl", "--tasks-dir", str(tasks), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def entry(tasks: Path, tid: str) -> dict | None:
    m = json.loads((tasks / "manifest.json").read_text(encoding="utf-8-sig"))
    return next((e for e in m["tasks"] if e["id"] == tid), None)


def test_a_manifest_with_a_byte_order_mark_is_patched(tasks):
    """The loader reads a manifest that opens with a BOM; so does a one-task write (it
    skipped the manifest: drift after `set`, an orphan after `new`)."""
    m = tasks / "manifest.json"
    m.write_bytes(b"\xef\xbb\xbf" + m.read_bytes())
    assert run(tasks, "set", "T004", "priority=P0").returncode == 0
    assert entry(tasks, "T004")["priority"] == "P0"
    created = run(tasks, "new", "--title", "after the mark")
    assert created.returncode == 0, created.stderr
    tid = created.stdout.split()[1]
    assert entry(tasks, tid) is not None
    v = run(tasks, "validate", "--strict")
    assert v.returncode == 0, v.stdout


def test_a_task_file_that_is_a_link_is_written_through_it(tasks):
    f = next((tasks / "tasks").glob("T004-*"))
    shared = tasks / "shared"
    shared.mkdir()
    target = shared / f.name
    f.rename(target)
    f.symlink_to(Path("..") / "shared" / f.name)
    assert run(tasks, "validate").returncode == 0
    r = run(tasks, "set", "T004", "priority=P0")
    assert r.returncode == 0, r.stderr
    assert f.is_symlink() and "priority: P0" in target.read_text()
    assert run(tasks, "show", "T004", "--json").stdout.count('"P0"') >= 1


def test_a_status_alias_is_named_in_plain_words(tasks):
    f = next((tasks / "tasks").glob("T001-*"))
    f.write_text(f.read_text().replace("status: completed", "status: done", 1))
    out = run(tasks, "validate", "--json").stdout
    msgs = [p["message"] for p in json.loads(out)["problems"] if p["code"] == "W100"]
    assert msgs == ["T001: status 'done' is an alias of 'completed'"]
