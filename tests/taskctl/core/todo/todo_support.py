"""Helpers for the TODO import/export tests: the fixture lists and an in-process import."""

from __future__ import annotations

from pathlib import Path

from taskctl.core.load.loader import load
from taskctl.core.model import Backlog
from taskctl.core.todo import apply as todo_apply
from taskctl.core.todo import importer as todo_import
from taskctl.core.todo import parse as todo_parse

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "todo"
NOW = "2024-11-20T10:00:00Z"


def backlog(root: Path) -> Backlog:
    if root.is_dir():
        return load(root, use_cache=False)
    return Backlog(root=root, tasks={}, manifest=None)


def import_text(root: Path, text: str, source: str, prefix: str = "T",
                write: bool = True) -> todo_import.ImportPlan:
    plan = todo_import.plan(backlog(root), todo_parse.parse(text), source, prefix, NOW)
    if write and plan.changed:
        todo_apply.apply(root, plan, NOW)
    return plan


def import_fixture(root: Path, name: str, **kw) -> todo_import.ImportPlan:
    return import_text(root, (FIXTURES / name).read_text(encoding="utf-8"), name, **kw)
