"""Units of the lifecycle core: ids, estimates, in-place edits, cycles, claims, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from taskctl.core.files import claims as cl
from taskctl.core.lifecycle import create, events, graph
from taskctl.core.write import frontmatter as fm
from taskctl.errors import UsageError


@pytest.mark.parametrize("ids, want", [
    (set(), "T001"), ({"T001", "T052"}, "T053"), ({"TASK-0007", "TASK-0002"}, "TASK-0008"),
    ({"T01", "T02", "X100"}, "T03"), ({"T009"}, "T010"), ({"T999"}, "T1000"),
])
def test_next_id_follows_the_trees_style(ids, want):
    assert create.next_id(ids) == want


@pytest.mark.parametrize("text, want", [
    ("2h", ("estimated_hours", 2)), ("1.5h", ("estimated_hours", 1.5)),
    ("90m", ("estimated_hours", 1.5)), ("3", ("estimated_hours", 3)),
    ("30k-tokens", ("estimated_tokens", 30000)), ("1.2M tokens", ("estimated_tokens", 1.2e6)),
])
def test_parse_estimate(text, want):
    assert create.parse_estimate(text) == want


def test_bad_estimate_and_duration_are_usage_errors():
    with pytest.raises(UsageError):
        create.parse_estimate("soon")
    with pytest.raises(UsageError):
        cl.parse_duration("2 hours")
    assert cl.parse_duration("1h30m") == 5400 and cl.parse_duration("0") is None


TEXT = """---
# a comment that must survive
id: T001
title: Old   # trailing comment
est_tokens: 5000
tags:
  - a
  - b
status: pending
---

## Description

x

## Progress Log

- 2026-01-01 first

## Completion Checklist

- [ ] done
"""


def test_set_key_edits_only_its_lines_and_drops_aliases():
    out = fm.set_key(TEXT, "front-matter", "estimated_tokens", 8000, ("est_tokens",))
    out = fm.set_key(out, "front-matter", "tags", ["x", "y: z"])
    out = fm.set_key(out, "front-matter", "phase", "data")
    assert "# a comment that must survive" in out and "title: Old   # trailing" in out
    data = yaml.safe_load(out.split("---\n")[1])
    assert data["estimated_tokens"] == 8000 and "est_tokens" not in data
    assert data["tags"] == ["x", "y: z"] and data["phase"] == "data"
    assert out.split("---\n", 2)[2] == TEXT.split("---\n", 2)[2]  # body untouched
    assert "phase" not in yaml.safe_load(fm.set_key(out, "front-matter", "phase", None)
                                         .split("---\n")[1])


def test_append_log_goes_to_the_end_of_the_progress_log():
    out = fm.append_log(TEXT, "front-matter", "2026-02-02 second")
    assert "- 2026-01-01 first\n- 2026-02-02 second\n\n## Completion Checklist" in out
    bare = "---\nid: T1\n---\n\n## Description\n\nx\n"
    assert fm.append_log(bare, "front-matter", "l1").endswith("## Progress Log\n\n- l1\n")
    plain = "id: T1\ntitle: t\n"
    assert yaml.safe_load(fm.append_log(plain, "yaml", "l1"))["progress_log"] == ["l1"]


def test_cycle_through_names_the_cycle():
    deps = {"A": ["B"], "B": ["C"], "C": ["A"], "D": []}
    assert graph.cycle_through(deps, "A") == ["A", "B", "C", "A"]
    assert graph.cycle_through(deps, "D") is None
    assert graph.show(["A", "B", "A"]) == "A → B → A (each depends on the next)"


def test_claim_states():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    c = cl.new_claim("T1", "a", now, 3600, None)
    assert c.state(now) == "live" and c.state(now + timedelta(hours=2)) == "expired"
    dead = cl.new_claim("T1", "a", now, 3600, 2 ** 22 + 12345)  # no such process
    assert dead.state(now) == "dead"
    assert cl.new_claim("T1", "a", now, None, None).state(now + timedelta(days=90)) == "live"
    with pytest.raises(UsageError):
        cl.claim_path(cl.Path("/x"), "../evil")


def test_wild_agent_update_files_are_events(tmp_path):
    (tmp_path / "updates").mkdir()
    (tmp_path / "updates" / "a.json").write_text(
        '{"task_id": "T1", "agent": "claude", "status": "in-progress", '
        '"timestamp": "2026-01-01T10:00:00Z", "message": "on it"}')
    (tmp_path / "updates" / "b.json").write_text(
        '{"task_id": "T1", "agent": "claude", "status": "done", '
        '"timestamp": "2026-01-01T12:00:00Z"}')
    (tmp_path / "updates" / "c.json").write_text('{"not": "an event"}')
    evs = events.read(tmp_path)
    got = [(e.action, e.from_status, e.to_status, e.by, e.source) for e in evs.of("T1")]
    assert got == [("status", None, "in_progress", "claude", "agent"),
                   ("status", "in_progress", "completed", "claude", "agent")]
    assert evs.events[0].note == "on it" and evs.skipped == ["updates/c.json"]


def test_the_archive_setting_is_read_from_a_usable_manifest_only(tmp_path):
    """`"taskctl": {"archive": true}` in manifest.json turns archiving on; a manifest that is
    absent, not JSON, or says anything else leaves it off."""
    from taskctl.core.lifecycle import archive

    path = tmp_path / "manifest.json"
    assert archive.enabled(tmp_path) is False
    for text, on in (('{"tasks": [], "taskctl": {"archive": true}}', True),
                     ('{"tasks": [], "taskctl": {"archive": "yes"}}', False),
                     ('{"tasks": [], "taskctl": true}', False),
                     ('{"tasks": [],, "taskctl": {"archive": true}}', False)):
        path.write_text(text)
        assert archive.enabled(tmp_path) is on, text
