"""render/plain.py writes the planning views without rich: byte for byte what rich prints on an
unstyled console, or nothing (rich draws)."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from taskctl.core.status import TaskStatus
from taskctl.render import blocks, plain
from taskctl.render.blocks import Para
from taskctl.render.tables import to_rich

WORDS = ["fix", "loader", "\\[0-9]", "a\\[red]b", "漢字の", "[bold]x[/bold]", "a  b",
         "trailing ", " lead", "", "é",
         "…", "→", "·", "🙂", "x" * 40, "long title " * 6, "T001", "[brackets]", "50%", "\\",
         "bell\x07", "tab\there", "\u2028sep", "soft\xadhyphen", "e\u0301", "[/x]"]


def rich_draw(view, width: int, soft_wrap: bool) -> str:
    """As taskctl's stdout console prints it where it prints no style."""
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, no_color=True, emoji=False,
                      highlight=False, legacy_windows=False, soft_wrap=True)
    console.print(to_rich(view), soft_wrap=soft_wrap)
    return out.getvalue()


NARROW = [w for w in WORDS if blocks.narrow(w)] + ["–", "Ω", "Жук"]  # what plain.py draws
text = st.one_of(*[st.lists(st.sampled_from(NARROW), max_size=4).map(" ".join)] * 3,
                 st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join))
para = st.builds(lambda a, b, style: Para(a, style).append(b, "bold"), text, text,
                 st.sampled_from(["", "green", "bold red"]))
cell = st.one_of(text, para, st.sampled_from(list(TaskStatus)).map(blocks.status),
                 st.text(alphabet="ab c-é→\\[]", max_size=40))


@st.composite
def grids(draw):
    n = draw(st.integers(1, 5))
    names = [f"c{i}" + "x" * draw(st.integers(0, 6)) for i in range(n)]
    rows = draw(st.lists(st.lists(cell, min_size=n, max_size=n), max_size=8))
    title = draw(st.one_of(text, st.lists(text, min_size=1, max_size=3).map("\n".join)))
    right = tuple(c for c in names if draw(st.booleans()))
    width = draw(st.sampled_from([20, 40, 80, 131]))
    return blocks.fitted(title, names, rows, width, draw(st.sampled_from(names)), right,
                         draw(st.booleans()))


@st.composite
def boxed(draw):
    n = draw(st.integers(1, 3))
    columns = [(f"c{i}" + "x" * draw(st.integers(0, 6)), draw(st.sampled_from(["left", "right"])))
               for i in range(n)]
    rows = draw(st.lists(st.lists(cell, min_size=n, max_size=n), max_size=6))
    return blocks.Boxed(draw(text), columns, rows)


# prose as people write it: words of any length, runs of blanks, blank lines, trailing blanks
prose = st.lists(st.one_of(st.sampled_from(NARROW), st.sampled_from(["\n", "  ", "\n\n", " "]),
                           st.text(alphabet="ab-/.", min_size=1, max_size=90)),
                 max_size=30).map(" ".join)
long_para = st.builds(lambda a, b: Para(a, "yellow").append(b, "dim"), prose, prose)
fields = st.lists(st.tuples(st.one_of(st.sampled_from(["status", "file", "estimated_hours"]),
                                      text), st.one_of(cell, prose)),
                  min_size=1, max_size=6).map(blocks.Fields)
panel = st.builds(blocks.Panel, st.one_of(text, st.just("")), st.one_of(long_para, fields))
@st.composite
def wide_boxed(draw):
    """Tables wider than the console: rich shrinks their widest columns."""
    n = draw(st.integers(1, 3))
    long = st.text(alphabet="ab -→", min_size=0, max_size=70)
    rows = draw(st.lists(st.lists(long, min_size=n, max_size=n), min_size=1, max_size=4))
    names = draw(st.lists(st.one_of(st.sampled_from(["id", "status", "waiting on"]), long),
                          min_size=n, max_size=n))  # a name wraps too (to the bottom)
    return blocks.Boxed("Depends on", [(name, draw(st.sampled_from(["left", "right"])))
                                       for name in names], rows)


part = st.one_of(grids(), boxed(), para, para.map(lambda p: Para("head ").append(p)),
                 long_para, panel)
view = st.one_of(part, st.lists(part, min_size=1, max_size=3))


@settings(max_examples=400, deadline=None)
@given(v=view, width=st.sampled_from([20, 24, 40, 80, 131]), soft_wrap=st.booleans())
def test_same_bytes_as_rich_or_none(v, width, soft_wrap):
    got = plain.draw(v, width, soft_wrap)
    if got is not None:
        assert got == rich_draw(v, width, soft_wrap)


@settings(max_examples=300, deadline=None)
@given(v=st.one_of(panel, fields.map(lambda f: blocks.Panel("T1  title", f)), boxed(),
                   wide_boxed()),
       width=st.sampled_from([20, 24, 40, 80, 131]))
def test_panels_and_boxed_tables_are_written_as_rich_draws_them(v, width):
    """`show`'s panels and tables on their own (in the views above they are two shapes of
    six)."""
    got = plain.draw(v, width, False)
    if got is not None:
        assert got == rich_draw(v, width, False)


@pytest.mark.parametrize("v,width", [
    # a header that wraps is aligned at the bottom of its row, the other cells at the top
    (blocks.Boxed("", [("aa bb cc", "left"), ("dddddd", "left")], [["x" * 30, "e"]]), 20),
    (blocks.Boxed("Needed by", [("id", "left"), ("status", "left"), ("title", "left")],
                  [["T2", Para("pending"), "a long title that wraps " * 4]]), 40),
    (blocks.Panel("T1  a title longer than the panel is wide, cut to fit it",
                  blocks.Fields([("status", Para("pending")), ("notes", "- a\n- b"),
                                 ("file", "x/" * 40)])), 40),
])
def test_the_shapes_show_draws_are_written_as_rich_draws_them(v, width):
    got = plain.draw(v, width, False)
    assert got is not None and got == rich_draw(v, width, False)


def report(n: int, title: str = "a task") -> dict:
    tasks = [{"id": f"T{i:03}", "priority": "P1", "status": "pending", "critical": i == 0,
              "slack": 0.5 * i, "unblocks": 1.0, "unblocks_count": i, "title": f"{title} {i}",
              "reason": "ready: every dependency is done " * 3, "weight": 1.0, "held_by": [],
              "earliest_start": 0, "earliest_finish": 1, "latest_start": 0,
              "latest_finish": 1} for i in range(n)]
    return {"weight": "hours", "total": 3.0, "tasks": tasks, "tasks_total": n,
            "waves": [{"wave": 1, "tasks": tasks, "weight": 1.0}], "max_parallel": n,
            "path": [t["id"] for t in tasks[:2]]}


@pytest.mark.parametrize("width", [60, 80, 200])
@pytest.mark.parametrize("soft_wrap", [True, False])
def test_the_planning_views_are_written_without_rich(width, soft_wrap):
    rep = report(12, "Tracking – tracker interface · café [v2]")
    rows = [{**t, "depends_on": ["T000"], "phase": "p1", "milestone": None, "tags": ["a"]}
            for t in rep["tasks"]]
    for v in (blocks.next_view(rep, width), blocks.waves_view(rep, width),
              blocks.cpm_view(rep, width), blocks.list_view(rows, width),
              blocks.next_view({**rep, "tasks": []}, width), *[blocks.status_view({
                  "weight": "hours", "store": ".tasks", "dialect": "tasks", "tasks": 12,
                  "by_status": {"pending": 11, "completed?": 1}, "overall": {"percent": 8.3},
                  "files_not_read": 2, "remaining_estimate": 11.0, "critical_path_total": 3.0,
                  "critical_path": ["T000", "T001"], "unverified": ["T011"], "mvp": None,
                  "phases": [{"name": "p1", "percent": 50.0, "done": 1, "total": 2,
                              "remaining": 1, "parked": 0, "remaining_weight": 1.0}],
                  "milestones": []}, width)] * (width >= 80)):  # at 60: a line rich wraps
        got = plain.draw(v, width, soft_wrap)
        assert got is not None  # the common shapes never need rich
        assert got == rich_draw(v, width, soft_wrap)


def test_what_only_rich_draws_is_left_to_it():
    odd = blocks.Panel("x", blocks.Panel("y", Para("z")))  # shapes no view makes
    assert plain.draw(odd, 80, False) is None and plain.draw(blocks.Fields([]), 80, False) is None
    assert plain.draw(Para("x"), 19, False) is None  # a console narrower than plain.py draws
    rep = report(3)
    assert plain.draw(blocks.next_view(rep, 80, explain=False), 30, True) is None  # too wide
    wide = report(3, "漢字")
    assert plain.draw(blocks.next_view(wide, 80), 80, True) is None  # two cells a character
    assert plain.draw(blocks.list_view([], 80), 80, True) is None  # rich's empty table
    assert plain.draw(Para("tab\there"), 80, True) is None


def test_narrow_characters_are_one_cell_that_rich_keeps():
    narrow = [chr(c) for c in range(0x20, 0x3000) if blocks.narrow(chr(c))]
    assert len(narrow) > 1400 and "–" in narrow and "█" in narrow and "\xad" not in narrow
    for c in narrow:
        assert cell_len(c) == 1 and Text(c).plain == c and c.isprintable(), repr(c)


PROBE = """
import json, sys
from taskctl.render import console, plain
print(json.dumps([plain.width(), console.stdout().width, console.stdout().color_system]))
"""


def probe(env: dict, stdin_tty: bool = False) -> tuple:
    """(plain.width(), rich's width, rich's colour system) in a child whose stdout is a pipe
    (and stdin a terminal when asked)."""
    keep = {k: v for k, v in os.environ.items()
            if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE",
                         "TERM")}
    stdin = None
    if stdin_tty:
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 97, 0, 0))
        stdin = slave
    try:
        out = subprocess.run([sys.executable, "-c", PROBE], env={**keep, **env}, stdin=stdin,
                             capture_output=True, text=True, check=True).stdout
    finally:
        if stdin_tty:
            os.close(master)
            os.close(slave)
    return tuple(json.loads(out))


@pytest.mark.parametrize("env,stdin_tty", [
    ({}, False), ({}, True), ({"COLUMNS": "123"}, False), ({"COLUMNS": "123"}, True),
    ({"COLUMNS": "abc"}, True), ({"COLUMNS": "5"}, False), ({"COLUMNS": "0", "LINES": "9"}, False),
    ({"TERM": "dumb"}, False), ({"FORCE_COLOR": "1"}, False), ({"FORCE_COLOR": ""}, True),
    ({"TTY_COMPATIBLE": "1"}, False), ({"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1", "COLUMNS": "70"}, False),
    ({"NO_COLOR": "1", "TTY_COMPATIBLE": "1", "TERM": "dumb"}, False),
])
def test_the_width_is_the_one_rich_uses_when_it_prints_no_style(env, stdin_tty):
    mine, theirs, colours = probe(env, stdin_tty)
    if mine is not None:
        assert colours is None and mine == theirs
    else:  # rich draws: colour, a dumb terminal's rules, or a console too narrow
        assert colours is not None or env.get("TERM") == "dumb" or theirs < 20


@pytest.mark.parametrize("argv", [["next"], ["next", "-n", "0", "--explain"], ["ready"],
                                  ["ready", "--waves"], ["critical-path"], ["list"],
                                  ["validate"], ["validate", "--strict", "-v"], ["status"],
                                  ["show", "T016"], ["show", "T022"]],
                         ids=" ".join)
@pytest.mark.parametrize("env", [{"COLUMNS": "80"}, {"COLUMNS": "131"},
                                 {"NO_COLOR": "1", "COLUMNS": "100"}], ids=str)
def test_the_cli_writes_what_rich_prints(copy_example, taskctl, monkeypatch, argv, env):
    """A read command in a pipe (the tests' captured stdout): the same bytes whether
    render/plain.py writes them or rich prints them."""
    from taskctl.render import console

    root = copy_example("agent-mvp")
    for k in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TERM"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TASKCTL_NO_CACHE", "1")
    console.stdout.cache_clear()
    drawn = []
    for name in ("draw", "write_lines"):  # what plain.py wrote itself
        real = getattr(plain, name)
        monkeypatch.setattr(plain, name, lambda *a, real=real: drawn.append(real(*a)) or drawn[-1])
    mine = taskctl([*argv, "--tasks-dir", root], env=env)
    assert any(drawn) and mine.code in (0, 1)  # validate --strict fails on its warnings
    monkeypatch.setattr(plain, "width", lambda: None)
    console.stdout.cache_clear()
    theirs = taskctl([*argv, "--tasks-dir", root], env=env)
    console.stdout.cache_clear()
    assert (mine.out, mine.err, mine.code) == (theirs.out, theirs.err, theirs.code)
    assert mine.out.count("\n") > 2


def test_only_the_rich_whose_output_is_written_is_stood_in_for(monkeypatch):
    from importlib.metadata import version

    assert plain.rich_version() == version("rich") and plain.rich_known()
    monkeypatch.setenv("COLUMNS", "80")
    assert plain.width() == 80 or os.isatty(1)
    monkeypatch.setattr(plain, "rich_version", lambda: "14.0.0")
    assert plain.width() is None  # another rich draws (and decides colour) itself
    monkeypatch.setattr(plain, "rich_version", lambda: None)
    assert plain.width() is None


@pytest.mark.parametrize("how", ["plain", "colour", "full CLI"])
def test_a_reader_gone_ends_the_command_without_an_error(copy_example, how):
    """`taskctl list | head -0`: the reader has read enough; the command ends with 0 and no
    error, whether plain.py or rich drew, in the fast entry or the full CLI."""
    root = copy_example("agent-mvp")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.update(TASKCTL_NO_CACHE="1", TASKCTL_SERVE="0")
    if how == "colour":
        env["FORCE_COLOR"] = "1"
    if how == "full CLI":
        env["TASKCTL_FORMAT"] = "tasks"  # a forced dialect: the fast entry hands over
    exe = os.path.join(os.path.dirname(sys.executable), "taskctl")
    r, w = os.pipe()
    os.close(r)  # the reader is gone before a byte is written
    try:
        proc = subprocess.run([exe, "list", "--tasks-dir", str(root)], stdout=w,
                              stderr=subprocess.PIPE, env=env, text=True, timeout=60)
    finally:
        os.close(w)
    assert proc.returncode == 0, proc.stderr
    for word in ("Traceback", "internal error", "BrokenPipe", "Broken pipe"):
        assert word not in proc.stderr  # only the specs' own warning line
