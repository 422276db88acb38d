"""`parsefile.fill_body` and `loader.load_one_body`: one task's body parsed into a backlog
loaded without bodies gives what a load with every body gives (`show` and `context` on
10,000 tasks no longer parse 10,000 bodies)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taskctl.core.lifecycle.context import build
from taskctl.core.load import kept, loader
from taskctl.core.load.parsefile import fill_body
from taskctl.core.plan.progress import task_report

REPO = Path(__file__).resolve().parents[4]


def _stores(copy_example, generated) -> list[Path]:
    bundled = generated.parent.parent / "bundled" / ".tasks"
    shutil.copytree(REPO / ".tasks", bundled, ignore=shutil.ignore_patterns(".cache"))
    return [copy_example("agent-mvp"), copy_example("broken"), bundled, generated]


def test_each_tasks_report_equals_a_load_with_every_body(copy_example, generated):
    seen = 0
    for root in _stores(copy_example, generated):
        full = loader.load(root, use_cache=False, bodies=True)
        for cached in (False, True):  # parsed now, and restored from the stored backlog
            lean = loader.load(root, use_cache=cached, bodies=False)
            for tid in full.tasks:
                assert fill_body(lean.tasks[tid], lean.root), (root, tid)
                assert task_report(lean, tid) == task_report(full, tid), (root, tid)
                seen += bool(full.tasks[tid].sections)
    assert seen > 100  # bodies were really there to parse


def test_load_one_body_gives_show_and_context_what_every_body_gives(copy_example, generated,
                                                                  tmp_path):
    for root in _stores(copy_example, generated):
        full = loader.load(root, use_cache=False, bodies=True)
        for tid in list(full.tasks)[:40]:
            for asked in (tid, tid.lower()):  # show takes an id in any case
                one = loader.load_one_body(root, asked)
                assert task_report(one, tid) == task_report(full, tid), (root, asked)
            one = loader.load_one_body(root, tid)
            assert build(one, tid, None) == build(full, tid, None), (root, tid)
    assert "T999" not in loader.load_one_body(root, "T999").tasks  # unknown: the caller says
    other = tmp_path / "lanes"  # another dialect: every body, as before
    other.mkdir()
    (other / "tasks.md").write_text("# Tasks\n\n### ID: A1\n**Status:** pending\n\nBody.\n")
    assert loader.load_one_body(other, "A1").dialect != "tasks"


def test_a_resident_process_kept_tasks_are_not_given_a_body(copy_example, monkeypatch):
    """`taskctl serve` keeps its load and hands its Task objects to later loads: the body
    goes into a copy."""
    root = copy_example("agent-mvp")
    monkeypatch.setenv("TASKCTL_LOAD_JOBS", "1")
    monkeypatch.delenv("TASKCTL_NO_CACHE", raising=False)
    monkeypatch.setattr(kept, "KEEPER", kept.Kept(root))
    lean = loader.load(root, bodies=False)
    one = loader.load_one_body(root, "T022")
    assert one.tasks["T022"].sections and not lean.tasks["T022"].sections
    assert not loader.load(root, bodies=False).tasks["T022"].sections


def test_a_file_whose_front_matter_changed_since_the_load_is_refused(copy_example):
    root = copy_example("agent-mvp")
    bl = loader.load(root, use_cache=False, bodies=False)
    task = bl.tasks["T022"]
    task.path.write_text(task.path.read_text().replace("title:", "title: changed", 1))
    assert fill_body(task, bl.root) is False  # the caller loads with bodies instead
    task.path.unlink()
    assert fill_body(task, bl.root) is False


@pytest.mark.parametrize("command", ["show", "context"])
@pytest.mark.parametrize("edit", ["body", "front matter"])
def test_show_after_an_edit_prints_what_a_run_without_caches_prints(copy_example, edit,
                                                                    command):
    """Through the console script with its caches (the stored backlog answers the lean load),
    against `TASKCTL_NO_CACHE=1` (every body parsed, nothing stored)."""
    root = copy_example("agent-mvp")
    exe = str(Path(sys.executable).with_name("taskctl"))
    run = [exe, command, "T022", "--tasks-dir", str(root)]
    subprocess.run(run, capture_output=True, check=True)  # caches filled
    path = next((root / "tasks").glob("T022*"))
    text = path.read_text()
    path.write_text(text + "\n## Notes\n\nadded later\n" if edit == "body"
                    else text.replace("title:", "title: retitled", 1))
    time.sleep(2.1)  # past the caches' racy window: the edit is found by its stat key
    served = subprocess.run(run, capture_output=True, text=True)
    alone = subprocess.run(run, capture_output=True, text=True,
                           env={**os.environ, "TASKCTL_NO_CACHE": "1"})
    assert (served.returncode, served.stdout, served.stderr) == (
        alone.returncode, alone.stdout, alone.stderr)
    assert ("added later" if edit == "body" else "retitled") in served.stdout
