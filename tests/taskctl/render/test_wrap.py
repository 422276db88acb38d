"""render/wrap.py wraps words as rich's `Text.wrap` does (overflow "fold" and "ellipsis"), on
text of characters one cell wide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from taskctl.render import wrap

# words of any length (longer than a line too), runs of blanks, blank lines, trailing blanks
prose = st.lists(st.one_of(st.sampled_from(["fix", "loader", "–", "é", "→", "[x]", "50%"]),
                           st.sampled_from(["\n", "  ", "\n\n", " ", "   "]),
                           st.text(alphabet="ab-/.", min_size=1, max_size=90)),
                 max_size=30).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=prose, width=st.integers(1, 140), fold=st.booleans())
def test_words_wrap_as_rich_wraps_them(text, width, fold):
    t = Text(text)
    t.overflow = "fold" if fold else "ellipsis"
    assert wrap.lines(text, width, fold) == [ln.plain for ln in t.wrap(Console(width=200), width)]


def test_a_word_longer_than_the_line_is_folded_or_cut():
    assert wrap.lines("ab abcdefgh c", 4) == ["ab ", "abcd", "efgh", " c"]  # as rich folds
    assert wrap.lines("ab abcdefgh c", 4, fold=False) == ["ab ", "abc…", "c"]
    assert wrap.lines("a\n\nb   ", 2) == ["a", "", "b "]
