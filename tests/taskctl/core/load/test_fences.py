"""Where a task file's front matter closes (`fences.closing`, the loader's and the in-place
writer's one rule): where the regex the loader used before finds it (a MULTILINE regex
search that tried every position of the front matter)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.core.load import fences, taskfile

# the reference: what `split_front_matter` searched with before
_FM_END = re.compile(r"^(?:---|\.\.\.)\s*$", re.MULTILINE)

# pieces that make the cases: the markers, line breaks, every kind of space the regex's `\s`
# takes (form feed, vertical tab, the information separators, NEL, no-break space, LS), and
# characters that end a run of them
_PIECES = ["---", "...", "--", "..", "----", "\n", "\n\n", " ", "\t", "\r", "\x0b", "\x0c",
           "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "a", "-", ".", "#", "id: T1"]


def _reference(text: str, start: int) -> tuple[int, int] | None:
    m = _FM_END.search(text, start)
    return (m.start(), m.end()) if m else None


def _line_starts(text: str) -> list[int]:
    return [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_closing_is_where_the_regex_matches(pieces):
    text = "".join(pieces)
    for start in _line_starts(text):
        assert fences.closing(text, start) == _reference(text, start), (text, start)


@pytest.mark.parametrize("text", [
    "---\nid: T1\n---\nbody\n",
    "---\nid: T1\n---",  # the text ends on the marker
    "---\nid: T1\n--- \t\n\n\nbody",  # blank lines after it: the regex's greedy `\s*` takes them
    "---\nid: T1\n...\nbody",
    "---\nid: T1\n----\nx: 1\n---\n",  # four dashes do not close it
    "---\nid: T1\n--- x\n---\n",  # nor a marker with text after it
    "---\na: '---'\n  ---\n---\n",  # nor an indented one
    "---\nid: T1\n---\x85\nbody",  # NEL is a space to the regex, not a line break
    "---\nid: T1\n",  # never closed
])
def test_closing_cases(text):
    start = text.index("\n") + 1
    assert fences.closing(text, start) == _reference(text, start)


def test_split_front_matter_keeps_its_parts():
    fm, body, line = taskfile.split_front_matter("---\nid: T1\ntitle: x\n---  \n\n# Body\n")
    assert (fm, body, line) == ("id: T1\ntitle: x\n", "# Body\n", 6)


_FENCE_PIECES = ["```", "~~~", "````", "~~~~", "`", "~", "py", "a`b", " ", "\t", "\r", "\x0c",
                 "\x85", "\n", "\n", "\n", "x", "## H"]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(_FENCE_PIECES), max_size=40))
def test_spans_cover_the_lines_fence_says_are_inside(pieces):
    """`fences.spans` (fed only the lines holding a fence run) marks the lines `Fence.inside`
    marks when fed every line: each line inside lies in a span, from its start to its end."""
    text = "".join(pieces)
    spans, fence, at = fences.spans(text), fences.Fence(), 0
    for line in text.split("\n"):
        end = at + len(line)
        covered = any(a <= at and end <= b for a, b in spans)
        assert fence.inside(line) == covered, (text, line)
        at = end + 1
    assert all(a < b or a == b == len(text) for a, b in spans)
