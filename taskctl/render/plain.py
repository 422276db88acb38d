"""The views composed in `render/blocks.py` and `render/taskview.py` written as the text rich
prints where it prints no styles at all — stdout is a pipe or a file, or NO_COLOR is set —
without importing rich.

Importing rich costs ~75 ms on a 2-core machine, more than the interpreter's start-up; agents
and CI read taskctl through pipes, and every read after an edit draws again (`cli/replay.py`
keeps only unchanged drawings). Only the shapes whose bytes are certain are written here, on a
console width and stream as rich would see them (`width`), in text of characters one cell
wide (`blocks.narrow`): `Grid`s that fit with one line a row; `Boxed` tables at their natural
width, or with their widest column narrowed and wrapped as rich narrows it in one step;
`Panel`s of wrapped text or of `Fields`; `Para`s, wrapped as rich wraps them
(`render/wrap.py`). Anything else returns None and rich draws it.
tests/taskctl/render/test_plain.py draws random views both ways.
"""

from __future__ import annotations

import builtins
import os
import sys

from taskctl.render import wrap
from taskctl.render.blocks import Boxed, Fields, Grid, Panel, Para, narrow, plain

_DUMB = ("dumb", "unknown")
MIN_WIDTH = 20  # narrower consoles are left to rich


def width() -> int | None:
    """The width of taskctl's stdout console (`render/console.py`) when it would print no
    style (not a terminal, or NO_COLOR), on a UTF-8 stream, as rich decides both; None when
    rich must draw (a terminal in colour, another encoding, Windows, a notebook, a rich
    other than the one whose output is written here)."""
    out, env = sys.stdout, os.environ
    if out is None or sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return None
    if not (getattr(out, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None  # rich draws ASCII boxes
    if not rich_known():
        return None  # another rich draws and decides otherwise: it draws
    terminal = _terminal(out, env)
    no_color = env.get("NO_COLOR", "") != ""
    if terminal and (not no_color or env.get("TERM", "").lower() in _DUMB):
        return None  # colour, or a dumb terminal's own width rules
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        w = int(columns)
    else:
        w = 0
        for fd in (0, 1, 2):
            try:
                w = os.get_terminal_size(fd).columns
            except (AttributeError, ValueError, OSError):
                continue
            break
        w = w or 80
    return w if w >= MIN_WIDTH else None


RICH = "15"  # the major version of rich whose output this module writes (constraints.txt)


def rich_known() -> bool:
    """Is the rich that a drawing would import version RICH? Found as the import system
    finds it on `sys.path` (its folder, then its `.dist-info` beside it), without importing
    it; unknown (vendored, zipped, found by another finder): no."""
    version = rich_version()
    return version is not None and version.split(".")[0] == RICH


def rich_version() -> str | None:
    for entry in sys.path:
        base = entry or os.getcwd()
        if not os.path.isfile(os.path.join(base, "rich", "__init__.py")):
            continue
        try:
            names = os.listdir(base)
        except OSError:
            return None
        found = [n[5:-10] for n in names if n.startswith("rich-") and n.endswith(".dist-info")]
        return found[0] if len(found) == 1 else None
    return None


def _terminal(out, env) -> bool:
    """rich's `Console.is_terminal` for taskctl's consoles (no forced terminal)."""
    if getattr(sys.stdin, "__module__", "").startswith("idlelib"):
        return False
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if env.get("FORCE_COLOR") is not None:
        return env["FORCE_COLOR"] != ""
    isatty = getattr(out, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:
        return False


def write(view, console_width: int, soft_wrap: bool) -> bool:
    """Write `view` to stdout as rich would print it and return True; False (nothing written)
    when rich must draw it."""
    text = draw(view, console_width, soft_wrap)
    if text is None:
        return False
    _out(text)
    return True


def _out(text: str) -> None:
    """Write to stdout; a reader gone (`| head`) is handled as taskctl's rich console handles
    it (`console.reader_gone`), so the exit is the same whichever of the two drew."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        from taskctl.render.console import reader_gone

        reader_gone()


def write_lines(lines: list[str]) -> bool:
    """Write lines of prose as rich prints each (soft-wrapped: as they are) and return True;
    False (nothing written) when rich must print them."""
    if width() is None or not all(narrow(ln) and "\\" not in ln for ln in lines):
        return False  # a backslash: rich's markup escaping is not exact there
    _out("".join(ln + "\n" for ln in lines))
    return True


def draw(view, console_width: int, soft_wrap: bool) -> str | None:
    """The text rich prints for `view` on an unstyled console `console_width` wide, or None."""
    if console_width < MIN_WIDTH:
        return None
    parts = view if isinstance(view, list) else [view]
    out = []
    for p in parts:
        draw_part = _DRAW.get(type(p))
        text = None if draw_part is None else draw_part(p, console_width, soft_wrap)
        if text is None:
            return None
        out.append(text)
    return "".join(out)


def _para(p: Para, console_width: int, soft_wrap: bool) -> str | None:
    text = p.plain
    if not all(map(narrow, text.split("\n"))):
        return None
    if soft_wrap:
        return text + "\n"
    return "\n".join(wrap.lines(text, console_width)) + "\n"


def _panel(p: Panel, console_width: int, soft_wrap: bool) -> str | None:
    """rich's `Panel` as wide as the console, its title at the left (cut to fit)."""
    inner = console_width - 4  # borders and a cell of padding each side
    if soft_wrap or not narrow(p.title):
        return None  # soft-wrapped: rich wraps nothing inside; never asked here
    if isinstance(p.body, Fields):
        body = _fields(p.body, inner)
    elif isinstance(p.body, Para):
        text = p.body.plain
        body = wrap.lines(text, inner) if all(map(narrow, text.split("\n"))) else None
    else:
        return None  # no view puts anything else in a panel
    if body is None:
        return None
    title = f" {p.title} "[:inner] if p.title else ""
    top = (f"╭─{title}{'─' * (inner - len(title))}─╮" if title
           else f"╭{'─' * (console_width - 2)}╮")
    lines = [top, *(f"│ {ln.ljust(inner)} │" for ln in body), f"╰{'─' * (console_width - 2)}╯"]
    return "\n".join(lines) + "\n"


def _fields(f: Fields, width: int) -> list[str] | None:
    """rich's `Table.grid(padding=(0, 2))` of two columns `width` wide at most (the padding
    collapsed: two cells between them): each column as wide as its widest line, the names'
    with its padding; too wide, the wider column gives up the excess (`_collapse`), and its
    cells wrap (a word too long cut with …)."""
    names = [n for n, _ in f.rows]
    values = [plain(v) for _, v in f.rows]
    if not f.rows or not all(map(narrow, names)) or not all(
            narrow(ln) for v in values for ln in v.split("\n")):
        return None
    first = min(max(len(n) for n in names) + 2, width)
    second = min(max(max((len(ln) for ln in v.splitlines()), default=0) for v in values) or 1,
                 width)
    widths = _collapse([first, second], width)
    if widths is None:
        return None
    first, second = widths
    if first < 3 or second < 1:
        return None  # a column with no room for a character
    out = []
    for name, value in zip(names, values, strict=True):
        left = wrap.lines(name, first - 2, fold=False)
        right = wrap.lines(value, second, fold=False)
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ""
            b = right[i] if i < len(right) else ""
            out.append(f"{a.ljust(first - 2)}  {b.ljust(second)}")
    return out


def _grid(g: Grid, console_width: int, soft_wrap: bool) -> str | None:
    cols = g.columns
    total = sum(c.width for c in cols) + 3 * len(cols) - 1
    if not g.rows or total > console_width:
        return None  # rich draws an empty table, and shrinks one too wide
    head = [_fit(c.name, c, cut=True) for c in cols]
    if None in head:
        return None
    lines = _title(g.title, total, soft_wrap)
    if lines is None:
        return None
    lines += [" " * total, " " + "   ".join(head) + " ", " " + "─" * (total - 2) + " "]
    for r in g.rows:
        cells = [_fit(plain(cell), c, cut=not c.wrap) for cell, c in zip(r, cols, strict=True)]
        if None in cells:
            return None
        lines.append(" " + "   ".join(cells) + " ")
    lines.append(" " * total)
    return "\n".join(lines) + "\n"


def _boxed(b: Boxed, console_width: int, soft_wrap: bool) -> str | None:
    """rich's default table (heavy head, edges, one-cell padding) at its natural width; too
    wide, its widest column gives up the excess (`_collapse`), and its cells wrap (a word too
    long cut with …)."""
    names = [name for name, _ in b.columns]
    cells = [[plain(c) for c in r] for r in b.rows]
    if not b.rows or not all(map(narrow, names + [c for r in cells for c in r])):
        return None
    room = console_width - len(names) - 1  # the borders
    widths = _collapse([min(max(len(name), *(len(r[i]) for r in cells)) + 2, room)
                        for i, name in enumerate(names)], room)  # with the padding
    if widths is None or min(widths) < 3:
        return None  # a column with no room for a character
    total = sum(widths) + len(widths) + 1

    def lines(row: list[str], edge: str, divider: str, head: bool = False) -> list[str]:
        wrapped = [wrap.lines(text, w - 2, fold=False) for text, w in zip(row, widths,
                                                                           strict=True)]
        height = max(map(len, wrapped))
        if head:  # rich aligns the header's cells at the bottom, the others at the top
            wrapped = [[""] * (height - len(got)) + got for got in wrapped]
        out = []
        for i in range(height):
            parts = []
            for got, w, (_, justify) in zip(wrapped, widths, b.columns, strict=True):
                text = got[i] if i < len(got) else ""
                parts.append(f" {text.rstrip().rjust(w - 2)} " if justify == "right"
                             else f" {text.ljust(w - 2)} ")
            out.append(edge + divider.join(parts) + edge)
        return out

    out = _title(b.title, total, soft_wrap)
    if out is None:
        return None
    out.append("┏" + "┳".join("━" * w for w in widths) + "┓")
    out += lines(names, "┃", "┃", head=True)
    out.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for r in cells:
        out += lines(r, "│", "│")
    out.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return "\n".join(out) + "\n"


def _collapse(widths: list[int], room: int) -> list[int] | None:
    """Column widths that fit `room` as rich's `Table._collapse_widths` makes them when one
    step is enough: the single widest column gives up the excess, down to the next widest at
    most; None when rich would narrow more than one column."""
    excess = sum(widths) - room
    if excess <= 0:
        return widths
    top = max(widths)
    if widths.count(top) > 1 or excess > top - max((w for w in widths if w != top), default=0):
        return None
    return [w - excess if i == widths.index(top) else w for i, w in enumerate(widths)]


_DRAW = {Grid: _grid, Boxed: _boxed, Panel: _panel, Para: _para}


def _title(title: str, total: int, soft_wrap: bool) -> list[str] | None:
    """A table's title lines as rich prints them over a table `total` wide (none for an empty
    title), or None: rich wraps a line wider than its table unless soft-wrapping."""
    lines = []
    for t in title.split("\n") if title else ():
        if not narrow(t) or (not soft_wrap and len(t) > total):
            return None
        lines.append(t if soft_wrap else t.ljust(total))
    return lines


def _fit(text: str, col, cut: bool) -> str | None:
    """`text` as rich justifies it in the column (right: trailing blanks dropped), cut with …
    when `cut` and too long (`Text.truncate`); None when rich must draw it."""
    if not narrow(text):
        return None
    if col.justify == "right":
        text = text.rstrip()
    if len(text) > col.width:
        if not cut:
            return None
        text = text[:col.width - 1] + "…"
    gap = " " * (col.width - len(text))
    return gap + text if col.justify == "right" else text + gap
