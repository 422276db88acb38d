"""Spellings from the wild map to the canonical model, each with a warning."""

from __future__ import annotations

import pytest

from taskctl.core.load import normalize as n
from taskctl.core.load.specs import from_mapping


@pytest.mark.parametrize("raw,prio,mvp,warns", [
    ("P1", 1, False, False), ("P1-MVP", 1, True, True), ("p2", 2, False, True),
    (1, 1, False, True), ("3", 3, False, True), ("high", 1, False, True),
    ("critical", 0, False, True), ("low", 3, False, True), (None, None, False, False),
])
def test_priority_spellings(raw, prio, mvp, warns):
    notes = []
    assert n.priority(raw, ("priority",), notes) == (prio, mvp)
    assert bool(notes) == warns


@pytest.mark.parametrize("raw", ["P9", 7, "urgent-ish", True])
def test_unknown_priorities_raise(raw):
    with pytest.raises(n.UnknownValue):
        n.priority(raw, ("priority",), [])


@pytest.mark.parametrize("raw,canon", [
    ("pending", "pending"), ("in-progress", "in_progress"), ("complete", "completed"),
    ("done", "completed"), ("todo", "pending"), ("canceled", "cancelled"),
    ("Blocked", "blocked"), ("deferred", "deferred"),
])
def test_status_aliases(raw, canon):
    notes = []
    assert n.status(raw, ("status",), notes) == canon
    assert bool(notes) == (raw != canon)


def test_dependency_spellings_are_merged_in_order_without_duplicates():
    t, findings = from_mapping({"id": "T9", "dependencies": ["T1", "T2"], "depends_on": ["T3"],
                                "blocked_by": "T2, T4"}, "task")
    assert t.depends_on == ["T3", "T1", "T2", "T4"]
    aliases = [m for rule, _, m in findings if rule == "alias-spelling"]
    assert any("'dependencies'" in m for m in aliases) and any("'blocked_by'" in m for m in aliases)


def test_key_aliases_and_unknown_keys_are_kept():
    t, findings = from_mapping({"id": "T1", "est_tokens": 6000, "created": "2026-01-15",
                                "agent": "backend", "quality_score": 9}, "task")
    assert t.estimated_tokens == 6000 and t.created_at == "2026-01-15"
    assert t.extra == {"agent": "backend", "quality_score": 9}
    assert {m for r, _, m in findings if r == "alias-spelling"} >= {
        "key 'est_tokens' is an alias of 'estimated_tokens'",
        "key 'created' is an alias of 'created_at'"}


def test_wrong_types_are_schema_findings_not_crashes():
    t, findings = from_mapping({"id": "T1", "estimated_hours": "two", "tags": "x",
                                "acceptance": [{"criterion": "c", "run": 42, "timeout": -5}]},
                               "task")
    rules = {(r, k) for r, k, _ in findings}
    assert ("task-schema", ("estimated_hours",)) in rules
    assert ("acceptance-item", ("acceptance", 0, "run")) in rules
    assert ("acceptance-item", ("acceptance", 0, "timeout")) in rules
    assert t.estimated_hours is None and t.acceptance[0].run is None


def test_unquoted_dates_become_iso_strings_in_a_fresh_process(tmp_path):
    """The date types are looked up once `datetime` is imported (a read with no unquoted date
    never imports it): in a process that had not imported it, a file's unquoted date and
    timestamp still end as ISO strings, the first read and the next."""
    import subprocess
    import sys

    tasks = tmp_path / ".tasks" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "T1-a.md").write_text("---\nid: T1\ntitle: a\ncreated_at: 2026-01-15\n"
                                   "updated_at: 2026-01-16 10:20:30Z\n---\n")
    (tasks / "T2-b.md").write_text("---\nid: T2\ntitle: b\ncreated_at: 2026-02-01\n---\n")
    code = ("import sys\nassert 'datetime' not in sys.modules\n"
            "from taskctl.core.load import loader\n"
            f"bl = loader.load({str(tmp_path / '.tasks')!r}, use_cache=False)\n"
            "print(repr(bl.tasks['T1'].created_at), repr(bl.tasks['T1'].updated_at),"
            " repr(bl.tasks['T2'].created_at))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["'2026-01-15'", "'2026-01-16T10:20:30Z'", "'2026-02-01'"]
