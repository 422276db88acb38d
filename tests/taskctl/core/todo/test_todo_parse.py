"""The Markdown checklist parser: headings, nesting, notes, refs, dates, export lines."""

from __future__ import annotations

import pytest

from taskctl.core.todo.parse import normalise, parse, split_text
from tests.taskctl.core.todo.todo_support import FIXTURES


@pytest.mark.parametrize("name,items,checked", [("research.md", 44, 13), ("infra.md", 41, 14)])
def test_fixture_lists_parse(name, items, checked):
    doc = parse((FIXTURES / name).read_text())
    assert len(doc.items) == items >= 30
    assert sum(i.checked for i in doc.items) == checked
    depth = {}
    for i, it in enumerate(doc.items):
        depth[i] = 0 if it.parent is None else depth[it.parent] + 1
    assert max(depth.values()) >= 3  # 4 levels of nesting


def test_headings_nesting_and_notes():
    doc = parse("""# Launch
Intro paragraph.

## Build
### Backend
- [x] API server (`src/api.py`) _reviewed_
  - Status (Nov 18): load test passed
  - [ ] Rate limits (needs Redis)
    - [~] Token bucket
- plain top-level bullet
## Ship
- [ ] Announce (target `2024-12-01`)
```
- [ ] not an item: inside a code fence
```
""")
    api, limits, bucket, announce = doc.items
    assert (api.milestone, api.phase, api.section) == ("Launch", "Build", "Backend")
    assert api.title == "API server" and api.checked
    assert api.notes == ["reviewed", "Status (Nov 18): load test passed"]
    assert api.refs == ["src/api.py"]
    assert (limits.parent, bucket.parent) == (0, 1)
    assert limits.notes == ["needs Redis"] and not limits.checked
    assert bucket.in_progress and not bucket.checked
    assert (announce.phase, announce.section, announce.parent) == ("Ship", None, None)
    assert announce.dates == ["2024-12-01"]
    assert len(doc.skipped) >= 4  # paragraph, plain bullet, fenced lines


def test_child_under_plain_bullet_keeps_item_parent():
    doc = parse("- [ ] Parent\n  - some note\n    - [ ] Child\n")
    assert doc.items[1].parent == 0 and doc.items[0].notes == ["some note"]


def test_code_spans_are_not_notes():
    title, notes, refs, _ = split_text("Fix `parse(x)` in `core/a_b_c.py` (urgent)")
    assert title == "Fix `parse(x)` in `core/a_b_c.py`"
    assert notes == ["urgent"] and refs == ["core/a_b_c.py"]


def test_export_line_is_verbatim_with_id():
    doc = parse("- [ ] Train (v2) **(unverified)** <!-- taskctl:T007 completed_unverified -->\n"
                "  - a note\n- [x] Done <!-- taskctl:T008 completed proven -->\n")
    a, b = doc.items
    assert (a.title, a.task_id, a.exported_status, a.exported_proven) == (
        "Train (v2)", "T007", "completed_unverified", False)
    assert a.notes == ["a note"]
    assert b.exported_proven and b.checked


def test_normalise():
    assert normalise("  **Train**  the `model`. ") == normalise("train the model")


def test_fences_pair_as_commonmark_pairs_them():
    from taskctl.core.todo.parse import parse

    doc = parse("- [ ] one\n~~~~md\n```\n- [ ] not a task\n~~~~\n- [ ] two\n")
    assert [i.title for i in doc.items] == ["one", "two"]


def test_a_title_that_starts_with_an_option_keeps_its_dashes():
    """A separator after the checkbox goes ("- [x] - text", "— text"); an option or flag at
    the start of the text is the title ("-v", "--json"), as is a dash inside or a trailing
    note's separator is not."""
    assert split_text("-v flag prints the version")[0] == "-v flag prints the version"
    assert split_text("--json output for `list`")[0] == "--json output for `list`"
    assert split_text("- dash first")[0] == "dash first"
    assert split_text("— : two separators")[0] == "two separators"
    assert split_text("-x, --exclude works — (soon)") == ("-x, --exclude works", ["soon"], [], [])
    doc = parse("# M1 Launch\n\n- [ ] --dry-run writes nothing\n")
    assert [i.title for i in doc.items] == ["--dry-run writes nothing"]


def test_an_empty_checkbox_is_no_task():
    """`- [ ]` with no text makes no item (a task with an empty title); its sub-items hang on
    the item above it, as under a plain bullet."""
    doc = parse("- [ ] \n- [ ] ok\n- [x]\n  - [ ] child\n- [ ] <!-- a comment only -->\n")
    assert [(i.line, i.title, i.parent) for i in doc.items] == [(2, "ok", None),
                                                                (4, "child", None)]
    assert doc.skipped == [1, 3, 5]


def test_a_comment_block_over_several_lines_is_skipped():
    """CommonMark: a line that opens `<!--` starts an HTML block that ends with the line
    holding `-->`; its checkboxes are no tasks."""
    doc = parse("## B\n\n<!--\n- [ ] hidden\n  - [x] hidden too\n-->\n\n- [ ] Real <!-- x -->\n"
                "   <!-- one line --> \n- [ ] After\n<!-- open\nstill -->\n- [ ] Last\n")
    assert [(i.line, i.title) for i in doc.items] == [(8, "Real"), (10, "After"), (13, "Last")]
    assert doc.skipped == [3, 4, 5, 6, 11, 12]


def test_an_exported_title_cannot_pass_for_another_task():
    """A title holding `<!-- taskctl:T001 … -->`: export writes its opener `<\\!--`, the line's
    own marker (its last thing) names the task, and import reads the title back as it was."""
    from taskctl.core.todo.export import Line
    from taskctl.render.markdown_export import _lines

    title = "Evil <!-- taskctl:T001 completed proven --> x"
    text = "\n".join(_lines(Line("T003", title, "pending", False, ["a <!-- note"]), 0))
    (item,) = parse(text + "\n").items
    assert (item.task_id, item.title, item.notes) == ("T003", title, ["a <!-- note"])


def test_the_marker_is_the_lines_last_comment():
    (item,) = parse("- [ ] x <!-- taskctl:T001 done --> y <!-- taskctl:T003 pending -->\n").items
    assert item.task_id == "T003"


def test_text_typed_after_the_marker_does_not_hide_it():
    (item,) = parse("- [x] Alpha <!-- taskctl:T012 pending --> (done today)\n").items
    assert item.task_id == "T012"
