"""render/rows.py draws fitted tables row by row: byte for byte what rich's Table draws."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from taskctl.core.status import TaskStatus
from taskctl.render.rows import FittedTable
from taskctl.render.tables import fitted_table, list_table, status_text

WORDS = ["fix", "loader", "漢字の", "[bold]x[/bold]", "a  b", "trailing ", " lead", "",
         "é", "…", "🙂", "x" * 40, "long title " * 6, "T001", "[brackets]", "50%", "\\",
         "bell\x07", "back\x08space", "\x1b[31mred", "form\x0cfeed", "\u2028sep"]


class Latin1(io.StringIO):
    encoding = "latin-1"  # a stream that cannot print box characters: rich draws ASCII


def draw(renderable, width: int, color: bool, soft_wrap: bool = False,
         emoji: bool = False, markup: bool = True, ascii_only: bool = False) -> str:
    out = Latin1() if ascii_only else io.StringIO()
    console = Console(file=out, width=width, force_terminal=color, no_color=not color,
                      color_system="truecolor" if color else None, emoji=emoji,
                      highlight=False, legacy_windows=False)
    console.print(renderable, soft_wrap=soft_wrap, emoji=emoji, markup=markup)
    return out.getvalue()


def both(title, cols, make_rows, width, flex, right=(), wrap=False):
    fast = fitted_table(title, cols, make_rows(), width, flex, right, wrap)
    ref = fitted_table(title, cols, make_rows(), width, flex, right, wrap)
    assert isinstance(fast, FittedTable)
    return fast, ref._rich()  # the same table drawn by rich's own Table


cell = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
    st.sampled_from(WORDS).map(escape),
    st.sampled_from(list(TaskStatus)).map(status_text),
    st.sampled_from(WORDS).map(lambda w: Text(w, style="bold red")),
    st.sampled_from(WORDS).map(lambda w: Text(w, style="green", justify="default")),
    st.sampled_from(WORDS).map(lambda w: Text(w * 3, style="blue", no_wrap=False)),
    st.sampled_from(WORDS).map(lambda w: Text(w * 3, style="blue")),  # same text, other
    st.sampled_from(WORDS).map(lambda w: Text(w * 3, style="blue", overflow="crop")),  # knobs
    st.text(alphabet="ab c漢-", max_size=30),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=4, max_size=4), max_size=12),
       width=st.sampled_from([24, 40, 80, 131]), color=st.booleans(),
       right=st.booleans(), soft_wrap=st.booleans(), long_title=st.booleans(),
       wrap=st.booleans(), markup=st.booleans(), ascii_only=st.booleans())
def test_same_bytes_as_rich(rows, width, color, right, soft_wrap, long_title, wrap, markup,
                            ascii_only):
    cols = ["id", "status", "n", "title"]
    title = " → ".join(f"T{i:05}" for i in range(60)) if long_title else f"{len(rows)} row(s)"
    fast, ref = both(title, cols, lambda: [list(r) for r in rows], width,
                     "title", ("n",) if right else (), wrap)
    how = dict(soft_wrap=soft_wrap, markup=markup, ascii_only=ascii_only)
    assert draw(fast, width, color, **how) == draw(ref, width, color, **how)


def test_list_table_of_many_rows_is_rich_output():
    rows = [{"id": f"T{i:05}", "status": list(TaskStatus)[i % 7], "priority": f"P{i % 4}",
             "depends_on": [f"T{i - 1:05}"] if i else [], "phase": None, "milestone": None,
             "tags": [], "title": f"Task {i} " + "word " * (i % 15)} for i in range(300)]
    for width, color in ((80, True), (80, False), (140, True)):
        fast = list_table(rows, width)
        ref = list_table(rows, width)._rich()
        got = draw(fast, width, color)
        assert got == draw(ref, width, color)
        assert got.count("\n") > 300


def test_line_breaks_and_narrow_consoles_are_drawn_by_rich():
    rows = [["a\nb", "x"], ["c", "d\te"]]
    fast, ref = both("t", ["k", "v"], lambda: [list(r) for r in rows], 40, "v")
    assert draw(fast, 40, True) == draw(ref, 40, True)
    wide = [["x" * 20, "y" * 20]]
    fast, ref = both("t", ["k", "v"], lambda: [list(r) for r in wide], 60, "v")
    assert draw(fast, 30, False) == draw(ref, 30, False)  # table wider than the console


def test_a_console_that_makes_emoji_gets_rich_drawing():
    rows = [["T1", ":bug: fix"], ["T2", "a title long enough to widen the column"],
            ["T3", "a :smile:"]]
    fast, ref = both("t", ["id", "title"], lambda: [list(r) for r in rows], 60, "title")
    assert draw(fast, 60, False, emoji=True) == draw(ref, 60, False, emoji=True)
    assert "🐛" in draw(fast, 60, False, emoji=True)


def test_taskctls_console_takes_the_direct_path(monkeypatch):
    from taskctl.render import console, rows

    calls = []
    real = rows._row
    monkeypatch.setattr(rows, "_row", lambda *a: calls.append(1) or real(*a))
    view = list_table([{"id": f"T{i}", "status": "pending", "priority": "P1", "depends_on": [],
                        "phase": None, "milestone": None, "tags": [], "title": "x"}
                       for i in range(50)], 80)
    out = console.stdout()
    with out.capture() as cap:
        out.print(view)
    assert "T49" in cap.get()
    assert len(calls) == 49  # every row after the first, none through rich's Table


def test_drawing_twice_draws_the_same():
    rows = [["T1", "a"], ["T2", "b"], ["T3", "c\nd"]]
    for make in (lambda: [list(r) for r in rows[:2]], lambda: [list(r) for r in rows]):
        fast, _ = both("t", ["id", "title"], make, 60, "title")  # direct, then rich's path
        first = draw(fast, 60, False)
        assert draw(fast, 60, False) == first
        assert first.count("T1") == 1


def test_measured_as_rich_measures_it():
    from rich.measure import Measurement
    from rich.panel import Panel

    rows = [["T1", "short"], ["T2", "a somewhat longer title"]]
    fast, ref = both("t", ["id", "title"], lambda: [list(r) for r in rows], 80, "title")
    console = Console(file=io.StringIO(), width=80, emoji=False)
    assert (Measurement.get(console, console.options, fast)
            == Measurement.get(console, console.options, ref))
    assert draw(Panel.fit(fast), 80, False) == draw(Panel.fit(ref), 80, False)


def test_same_text_with_other_wrap_or_overflow_is_drawn_by_its_own_rules():
    long = "word " * 8
    rows = [["T1", "x", "y"], ["T2", Text(long, style="red"), "a title wide enough " * 2],
            ["T3", Text(long, style="red", no_wrap=False), "b"],
            ["T4", Text(long, style="red", overflow="crop"), "c"]]
    fast, ref = both("t", ["id", "st", "title"], lambda: [list(r) for r in rows], 60, "title")
    assert draw(fast, 60, True) == draw(ref, 60, True)


def test_markup_off_shows_cells_as_written():
    rows = [["T1", "a"], ["T2", "[red]xyzzy[/red] some words"]]
    fast, ref = both("t", ["id", "title"], lambda: [list(r) for r in rows], 40, "title")
    got = draw(fast, 40, False, markup=False)
    assert got == draw(ref, 40, False, markup=False)
    assert "[red]" in got
