"""In-place edits of task files the loader reads: the writer finds the front matter's end
where the loader does (`core/load/fences.py`), and keeps a CRLF file CRLF."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load import safeyaml, taskfile
from taskctl.core.write import frontmatter as fm
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
