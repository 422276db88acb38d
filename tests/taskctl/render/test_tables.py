"""Wrapping of people's lines (`render/blocks.py` `wrapped`): the head stays whole on the
first line, nothing is lost, lines fit the width unless one word cannot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from taskctl.render.blocks import wrapped as _wrapped

WORD = st.text("abcdefghij-;()", min_size=1, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=25), st.integers(1, 64), st.integers(10, 120))
def test_the_head_stays_whole_and_nothing_is_lost(words, id_len, width):
    head = f"12. {'T' * id_len}: "
    text = " ".join(words)
    lines = _wrapped(text, width, "    ", first=head)
    assert lines[0].startswith(head)
    assert " ".join(x.strip() for x in lines) == (head + text).strip()
    w = max(width, 20)
    for line in lines[1:]:
        assert line.startswith("    ")
        assert len(line) <= w or " " not in line.strip()
    assert len(lines[0]) <= w or " " not in lines[0][len(head):].strip()
