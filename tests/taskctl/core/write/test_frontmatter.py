"""In-place edits of task files the loader reads: the writer finds the front matter's end
where the loader does (`core/load/fences.py`), and keeps a CRLF file CRLF."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load import markdown, safeyaml, taskfile
from taskctl.core.write import frontmatter as fm
from taskctl.core.write import status as sw
from taskctl.errors import NotWritable
from tests.taskctl.core.lifecycle.lifecycle_support import env

LF = """---
id: T001
title: Old
tags:
- a
-
status: pending
---

## Description

x

## Progress Log

- 2026-01-01 first

## Notes

n
"""
CRLF = LF.replace("\n", "\r\n")


def fields(text: str) -> dict:
    """What the loader reads of the front matter."""
    yaml_text, _body, _line = taskfile.split_front_matter(text)
    return safeyaml.load(yaml_text)


def only_crlf(text: str) -> bool:
    return re.search(r"(?<!\r)\n", text) is None


@pytest.mark.parametrize("text", [LF, CRLF])
def test_set_key_replaces_in_place_and_keeps_the_line_ends(text):
    out = fm.set_key(text, "front-matter", "status", "completed")
    out = fm.set_key(out, "front-matter", "tags", ["x"])
    out = fm.set_key(out, "front-matter", "priority", "P1")  # a new key: at the end
    got = fields(out)
    assert (got["status"], got["tags"], got["priority"]) == ("completed", ["x"], "P1")
    assert out.count("status:") == 1 and out.count("tags:") == 1
    assert only_crlf(out) if text is CRLF else "\r" not in out
    assert out.endswith(text[text.index("## Description"):])  # the body untouched


@pytest.mark.parametrize("text", [LF, CRLF])
def test_append_log_keeps_the_line_ends(text):
    out = fm.append_log(text, "front-matter", "second")
    assert "- 2026-01-01 first" in out and out.index("- second") < out.index("## Notes")
    bare = text[:text.index("## Progress Log")].rstrip()
    new = fm.append_log(bare, "front-matter", "l1")
    assert new.endswith("## Progress Log\r\n\r\n- l1\r\n" if text is CRLF
                        else "## Progress Log\n\n- l1\n")
    empty = text.replace("- 2026-01-01 first", "")
    for o in (out, new, fm.append_log(empty, "front-matter", "l2")):
        assert only_crlf(o) if text is CRLF else "\r" not in o


@pytest.mark.parametrize("close", ["---\x0c", "--- \xa0", "...\t", "---\r", "---  \u3000"])
def test_a_front_matter_the_loader_reads_is_edited_inside_it(close):
    text = f"---\nid: T1\nstatus: pending\n{close}\nbody: not a key\n"
    out = fm.set_key(text, "front-matter", "status", "completed")
    assert fields(out)["status"] == "completed" and out.count("status:") == 1
    assert out.endswith(f"{close}\nbody: not a key\n")


_PIECES = ["---", "...", "\n", " ", "\t", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u2028",
           "a: 1", "#", "-"]


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_the_writer_ends_the_front_matter_where_the_loader_does(pieces):
    text = "---\n" + "".join(pieces)
    try:
        split = taskfile.split_front_matter(text)
    except Exception:  # noqa: BLE001 - never closed: the loader refuses it, nothing is edited
        return
    start, end = fm.span(text, "front-matter")
    assert text[start:end] == split[0]


def test_set_on_a_crlf_file_through_the_cli(tmp_path):
    root = tmp_path / ".tasks"
    (root / "tasks").mkdir(parents=True)
    (root / "manifest.json").write_text(
        '{"tasks": [{"id": "T001", "title": "Old", "file": "tasks/T001-old.md", '
        '"status": "pending", "priority": "P2"}]}\n')
    f = root / "tasks" / "T001-old.md"
    f.write_bytes(b"---\r\nid: T001\r\ntitle: Old\r\nstatus: pending\r\npriority: P2\r\n"
                  b"---\r\n\r\n## Description\r\n\r\nx\r\n")
    run = [sys.executable, "-m", "taskctl", "--tasks-dir", str(root)]
    e = {**env(), "TASKCTL_SERVE": "0"}
    p = subprocess.run([*run, "set", "T001", "priority=P0"], capture_output=True, text=True,
                       env=e, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    text = f.read_bytes().decode()
    assert only_crlf(text) and text.count("priority:") == 1 and fields(text)["priority"] == "P0"
    v = subprocess.run([*run, "validate", "--strict"], capture_output=True, text=True, env=e,
                       cwd=tmp_path, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr  # no drift: the manifest says P0 too


# -- shapes teams bring from other tools (each once broke an edit) -------------------------
def fm_of(text: str) -> dict:
    """The loader's reading of a front-matter file (or a plain YAML one)."""
    return fields(text)


def doc(front: str, body: str = "\n## Description\n\nx\n") -> str:
    return f"---\n{front}---\n{body}"


@pytest.mark.parametrize("front, key, value, want", [
    ("id: T1\ntags:\n  - m26\n\n  - gpu\nstatus: pending\n", "tags", ["x", "y"], ["x", "y"]),
    ("id: T1\ntags:\n# main labels\n- m26\n- gpu\nstatus: pending\n", "tags", ["x"], ["x"]),
    ("id: T1\ntags: [\n  m26,\n  gpu\n]\nstatus: pending\n", "tags", ["x"], ["x"]),
    ('id: T1\n"priority": P1\nstatus: pending\n', "priority", "P0", "P0"),
    ("id: T1\npriority:\n  P1\nstatus: pending\n", "priority", "P0", "P0"),
    ("  id: T1\n  status: pending\n", "priority", "P0", "P0"),  # an indented mapping
    ("id: T1\ntitle: >-\n  a long\n  title\nstatus: pending\n", "title", "New", "New"),
])
def test_set_key_replaces_the_whole_value_whatever_its_style(front, key, value, want):
    out = fm.set_key(doc(front), "front-matter", key, value)
    got = fm_of(out)
    before = fm_of(doc(front))
    assert got[key] == want
    assert {k: v for k, v in got.items() if k != key} == {
        k: v for k, v in before.items() if k != key}
    assert out.endswith("---\n\n## Description\n\nx\n")


def test_comments_stay_where_they_were():
    text = doc("id: T1\npriority: P1  # agreed in planning\n  # P1 because of Q3\n"
               "status: pending # from jira\n# trailing note\n")
    out = fm.set_key(text, "front-matter", "priority", "P0")
    assert "priority: P0  # agreed in planning\n  # P1 because of Q3\n" in out
    out = sw.edit_status(out, "front-matter", "in_progress", None)
    assert "status: in_progress  # from jira\n# trailing note\n" in out
    assert fm_of(out)["status"] == "in_progress" and fm_of(out)["priority"] == "P0"


@pytest.mark.parametrize("front", [
    '"status": pending\nid: T1\n', "'status': todo\nid: T1\n", "id: T1\nstatus:\n  pending\n",
    "id: T1\nstatus: pending\r\n".replace("\n", "\r\n"),
])
def test_a_status_change_replaces_the_status_whatever_its_style(front):
    text = doc(front)
    out = sw.edit_status(text, "front-matter", "in_progress", None)
    assert fm_of(out)["status"] == "in_progress" and out.count("status") == 1
    done = sw.edit_status(out, "front-matter", "completed", "2026-12-02T10:00:00Z")
    assert fm_of(done)["completed_at"] == "2026-12-02T10:00:00Z"
    again = sw.edit_status(done, "front-matter", "pending", None, drop_completed_at=True)
    assert "completed_at" not in fm_of(again) and fm_of(again)["status"] == "pending"
    assert ("\r\n" in again) == ("\r\n" in text)


@pytest.mark.parametrize("front", ['id: T1\n"completed_at": "2026-11-22T05:10:40Z"\n',
                                   'id: T1\ncompleted_at:\n  "2026-11-22T05:10:40Z"\n',
                                   'id: T1\ncompleted: 2026-11-22\n'])
def test_a_reopen_drops_the_completion_time_whatever_its_style(front):
    out = sw.edit_status(doc("status: completed\n" + front), "front-matter", "pending", None,
                         drop_completed_at=True)
    got = fm_of(out)
    assert got["status"] == "pending" and not {"completed_at", "completed"} & got.keys()


def test_a_value_another_key_refers_to_is_not_replaced():
    text = doc("id: T1\nphase: &p m26\nmilestone: *p\n")
    with pytest.raises(NotWritable, match="anchor that milestone refers to"):
        fm.set_key(text, "front-matter", "phase", "newphase")
    out = fm.set_key(text, "front-matter", "milestone", "M27")  # the one that refers: fine
    assert fm_of(out) == {"id": "T1", "phase": "m26", "milestone": "M27"}


def test_a_plain_yaml_task_gets_new_keys_before_its_end_marker():
    text = "id: T1\ntitle: One\nstatus: pending\n...\n"
    out = fm.set_key(text, "yaml", "milestone", "M27")
    assert out == "id: T1\ntitle: One\nstatus: pending\nmilestone: M27\n...\n"
    marked = "---\nid: T1\nstatus: pending\n...\n"
    assert fm.set_key(marked, "yaml", "status", "blocked") == "---\nid: T1\nstatus: blocked\n...\n"


def test_a_plain_yaml_progress_log_keeps_its_block_list_and_comments():
    text = "id: T1\nprogress_log:\n  # imported from jira\n  - first\nstatus: pending\n"
    out = fm.append_log(text, "yaml", "second: done")
    assert out == ("id: T1\nprogress_log:\n  # imported from jira\n  - first\n"
                   "  - 'second: done'\nstatus: pending\n")
    flow = fm.append_log("id: T1\nprogress_log: [first]\n", "yaml", "second")
    assert safeyaml.load(flow)["progress_log"] == ["first", "second"]


def test_fences_pair_as_commonmark_pairs_them():
    body = ("\n## Description\n\n~~~~md\n```\n## Not a heading\n~~~~\n\n"
            "## Acceptance Criteria\n\n- [ ] it works\n\n## Progress Log\n\n- one\n")
    text = doc("id: T1\n", body)
    yaml_text, rest, line = taskfile.split_front_matter(text)
    titles = list(markdown.parse_sections(rest, line))
    assert titles == ["Description", "Acceptance Criteria", "Progress Log"]
    assert [c.text for c in markdown.locate_checkboxes(text)] == ["it works"]
    out = fm.append_log(text, "front-matter", "two")
    assert out.endswith("## Progress Log\n\n- one\n- two\n")


def test_a_log_line_never_lands_inside_an_open_fence():
    text = doc("id: T1\n", "\n## Notes\n\n```bash\nmake all\n")
    out = fm.append_log(text, "front-matter", "entry one")
    _y, rest, line = taskfile.split_front_matter(out)
    log = markdown.parse_sections(rest, line)["Progress Log"]
    assert log.body == "- entry one" and out.count("```") == 2


# -- found by a second reader --------------------------------------------------------------
@pytest.mark.parametrize("head", ["# plain yaml task\n---\n", "\n---\n", "%YAML 1.1\n---\n",
                                  "---\n", ""])
def test_a_plain_yaml_task_is_edited_inside_its_document(head):
    text = head + "id: T9\ntitle: Plain\nstatus: pending\n...\n"
    out = fm.set_key(text, "yaml", "priority", "P1")
    out = sw.edit_status(out, "yaml", "in_progress", None)
    assert out.startswith(head) and out.endswith("...\n")
    a, b = fm.span(out, "yaml")
    assert safeyaml.load(out[a:b]) == {"id": "T9", "title": "Plain", "status": "in_progress",
                                       "priority": "P1"}


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\r"])
def test_line_breaks_yaml_counts_inside_a_value_move_no_key(brk):
    text = doc(f'id: T9\ntitle: "Copied{brk}title"\nstatus: pending\npriority: P2\nphase: m26\n')
    out = fm.set_key(text, "front-matter", "priority", "P1")
    got = fm_of(out)
    assert (got["priority"], got["phase"], out.count("priority:")) == ("P1", "m26", 1)
    out = sw.edit_status(out, "front-matter", "blocked", None)
    assert fm_of(out)["status"] == "blocked" and out.count("status:") == 1
    assert fm_of(out)["priority"] == "P1"


@pytest.mark.parametrize("front", ["{id: T1, title: x, status: pending}\n",
                                   "? id\n: T1\nstatus: pending\n"])
def test_shapes_it_cannot_edit_in_place_are_refused(front):
    text = doc(front)
    with pytest.raises(NotWritable):
        fm.set_key(text, "front-matter", "priority", "P1")
    with pytest.raises(NotWritable):
        sw.edit_status(text, "front-matter", "in_progress", None)


def test_a_comment_on_a_block_values_key_line_is_kept():
    out = fm.set_key(doc("id: T1\ndepends_on: # agreed\n- T2\nstatus: pending\n"),
                     "front-matter", "depends_on", ["T3"])
    assert "depends_on: [T3]  # agreed\nstatus: pending\n" in out
