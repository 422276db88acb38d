"""`hold_to_exit`: a short-lived read answer keeps what it is done with to its exit (which
skips the teardown) instead of freeing it object by object; anywhere else it is freed as usual,
and a process that goes on after all frees what was held."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

import taskctl.core.load
from taskctl.cli import answers
from taskctl.cli.process import short_lived
from taskctl.core.load import hold_to_exit


class Thing:
    pass


@pytest.fixture(autouse=True)
def long_lived_after(monkeypatch):
    yield  # (each test's own `_HELD`: tests/taskctl/conftest.py)
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", False)


@pytest.mark.parametrize("short", [True, False])
def test_held_to_the_exit_in_a_short_lived_answer_only(monkeypatch, short):
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", short)
    thing = Thing()
    ref = weakref.ref(thing)
    hold_to_exit(thing)
    del thing
    gc.collect()
    assert (ref() is not None) is short  # anywhere else: freed as usual


def test_a_process_that_goes_on_frees_what_was_held():
    short_lived(True)
    thing = Thing()
    ref = weakref.ref(thing)
    hold_to_exit(thing)
    del thing
    short_lived(False)  # a host calling the entry goes on with its own work
    gc.collect()
    assert ref() is None and taskctl.core.load._HELD == []


def test_the_plan_answer_holds_its_backlog_and_intermediates(tmp_path, monkeypatch):
    root = tmp_path / ".tasks"
    _small_tree(root)
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    monkeypatch.setattr(taskctl.core.load, "SHORT_LIVED", True)
    doc = answers.plan_answer(root, "next", "auto")
    held = [type(v).__name__ for values in taskctl.core.load._HELD for v in values]
    assert "Backlog" in held and "Schedule" in held and doc["report"]["tasks_total"] > 0


def _small_tree(root: Path) -> None:
    (root / "tasks").mkdir(parents=True)
    entries = []
    for i in (1, 2):
        (root / "tasks" / f"T{i}-x.md").write_text(
            f"---\nid: T{i}\ntitle: t{i}\nstatus: pending\n---\n# T{i}\n")
        entries.append({"id": f"T{i}", "title": f"t{i}", "file": f"tasks/T{i}-x.md"})
    (root / "manifest.json").write_text(json.dumps({"tasks": entries}))
