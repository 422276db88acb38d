"""A task body's sections and acceptance checkboxes (`core/load/markdown.py`): the searches
over the whole text (headings where a line starts with `##`, fences from the lines holding a
fence run, checkboxes in the acceptance sections' spans) find what the line-by-line reference
finds — the same sections, bodies, heading lines, checkboxes and line numbers — on generated
texts rich in headings, checkboxes, fences and every kind of space `\\s` takes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load import markdown
from taskctl.core.model import Checkbox

# the line pieces the cases are made of: headings of both kinds (acceptance or not, closed by
# hashes, bare), checkboxes in each list style, fences, and the spaces `\s` takes that are not
# the line break (tab, CR, vertical tab, form feed, the information separators, NEL, LS)
_PIECES = ["## Acceptance Criteria", "## acceptance", "##  Acceptance  ##", "## Notes",
           "##", "## ", "### Sub", "#### x", "## Description #", "- [ ] one", "- [x] two",
           "* [X] three", "+ [ ]", "- [ ]", "- [x]", "1. [ ] four", "2) [x] five",
           "  - [ ]  six  ", "-[ ] no", "- [y] no", "```", "~~~", "````py", "``` a`b",
           "  ~~~~", "\t```", "x ```", "``` ", "~~~ ~", "text", "", " ", "\t", "\r", "\x0b",
           "\x0c", "\x1c", "\x85", "\u2028", "\xa0", "#", "[", "]", "x"]

_lines = st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=30)


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(_lines, st.integers(0, 40), st.booleans())
def test_the_whole_text_search_finds_what_the_line_by_line_reference_finds(lines, first, fence):
    text = "\n".join(lines)
    if not fence:  # half the cases without a fence run: more headings and boxes counted
        text = text.replace("```", "`").replace("~~~", "~")
    assert markdown.parse_sections(text, first) == markdown.sections_by_line(text, first)
    assert markdown.locate_checkboxes(text) == markdown.checkboxes_by_line(text)


def test_a_real_body_without_fences():
    text = ("---\nid: T1\n---\n\n## Description\n\nDo it.\n\n## Acceptance Criteria\n\n"
            "- [x] first\n  - [ ] nested second\n1. [X] third\n\n## Notes ##\n- [ ] not one\n")
    sections = markdown.parse_sections(text.split("---\n", 2)[2], 4)
    assert list(sections) == ["Description", "Acceptance Criteria", "Notes"]
    assert [s.line for s in sections.values()] == [5, 9, 15]
    assert sections["Description"].body == "Do it."
    assert sections["Notes"].body == "- [ ] not one"
    assert markdown.locate_checkboxes(text) == [
        Checkbox("first", True, 11), Checkbox("nested second", False, 12),
        Checkbox("third", True, 13)]


def test_a_heading_or_checkbox_inside_a_fence_is_neither():
    text = "## Acceptance\n```\n## Notes\n- [ ] fenced\n```\n- [ ] real\n"
    assert markdown.locate_checkboxes(text) == [Checkbox("real", False, 6)]
    assert list(markdown.parse_sections(text, 1)) == ["Acceptance"]
