"""`FittedTable`: a rich `Table` whose columns all have fixed widths, drawn row by row.

Rich lays every cell out through its general machinery (padding, wrapping, cropping:
~0.45 ms a row of five cells on this machine), so `taskctl list` on 10,000 tasks spent 4.6 s
of its 5 s drawing the table. When every column has a fixed width and no cell holds a line
break, a row whose cells all fit (or are cut with … in `no_wrap` columns) is exactly one
line: the left edge, each cell padded to its column's width, the pads and dividers, the right
edge. The title, the header and the edges are still rich's (a `Table` holding the first row,
rendered by rich); the rows after it take the direct path: plain cells by string work, styled
or markup cells through rich's own `Text` wrapping (memoised: the same status is the same
segments). A row that needs more than one line (a long cell in a wrapping column) is drawn by
rich, alone in a copy of the empty frame. The bytes are rich's: tests/taskctl/render/
test_rows.py draws random tables both ways. Anything else (a cell with a line break, a table
wider than the console) is drawn by rich itself.
"""

from __future__ import annotations

import copy

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

_BREAKS = ("\n", "\r", "\t")  # a cell rich would split or expand: never the direct path


def _plain(cell) -> str:
    return cell if isinstance(cell, str) else cell.plain


class FittedTable:
    """`table` (fixed-width columns that are `no_wrap` or wrap, `pad_edge=False`, a box drawn
    with spaces) with `rows`, drawn as rich draws it."""

    def __init__(self, table: Table, rows: list[list]):
        self.table, self.rows = table, rows

    def _rich(self) -> Table:
        """The same table as a plain rich `Table` holding every row (a new one each call)."""
        t = copy.deepcopy(self.table)
        for r in self.rows:
            t.add_row(*r)
        return t

    def _width(self) -> int | None:
        """The drawn width when every column has a fixed one in a plain frame, else None."""
        widths = [c.width for c in self.table.columns]
        if None in widths or not _plain_frame(self.table):
            return None
        return sum(widths) + 3 * len(widths) - 1  # edges, pads and dividers: 3n - 1 cells

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        w = self._width()
        if w is None:
            return Measurement.get(console, options, self._rich())
        return Measurement(min(w, options.max_width), min(w, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self._direct(console, options):
            yield self._rich()
            return
        t, rows = copy.deepcopy(self.table), self.rows  # drawing never changes self
        blank = copy.deepcopy(t)  # the frame without rows: a template for rows that wrap
        blank.title, blank.show_header = None, False
        t.add_row(*rows[0])
        # rich's own rendering of the frame, split into lines but not cropped: the console
        # crops (or, with soft_wrap, does not) whatever its caller asked for, as for a Table
        lines = list(Segment.split_lines(console.render(t, options)))
        memo: dict = {}
        cols = [(c.width, c.justify, not c.no_wrap) for c in t.columns]
        for line in lines[:-1]:  # title, top edge, header, rule, the first row
            yield from line
            yield Segment.line()
        for r in rows[1:]:
            segs = _row(console, options, r, cols, memo)
            if segs is None:  # a cell to wrap over several lines: rich draws the row
                one = copy.deepcopy(blank)
                one.add_row(*r)
                framed = list(Segment.split_lines(console.render(one, options)))
                segs = []
                for ln in framed[1:-1]:  # without its top and bottom edges
                    segs += [*ln, Segment.line()]
            yield from segs
        yield from lines[-1]  # bottom edge
        yield Segment.line()

    def _direct(self, console: Console, options: ConsoleOptions) -> bool:
        """May the rows after the first be written directly? Each reason not to, in turn."""
        width = self._width()
        if not self.rows or width is None:
            return False
        if options.ascii_only or options.legacy_windows:
            return False  # rich swaps the box for an ASCII one (`|` edges)
        if getattr(console, "_emoji", True) is not False:
            return False  # taskctl's consoles never turn `:name:` into emoji
        if width > options.max_width:
            return False  # rich would shrink the columns
        return not any(b in _plain(c) for r in self.rows for c in r for b in _BREAKS)


def _row(console: Console, options: ConsoleOptions, r: list, cols: list[tuple],
         memo: dict) -> list[Segment] | None:
    """One row as one line of segments, or None when a cell of a wrapping column needs more
    than one line."""
    out: list[Segment] = []
    plain = " "  # left edge; runs of unstyled text are joined
    for i, cell in enumerate(r):
        width, justify, wraps = cols[i]
        if i:
            plain += "   "  # right pad, divider, left pad
        fast = _fit(cell, width, justify)
        if fast is not None:
            plain += fast
            continue
        segs = None if wraps else _styled(console, options, cell, width, justify, memo)
        if segs is None:
            return None
        if plain:
            out.append(Segment(plain))
            plain = ""
        out += segs
    out += [Segment(plain + " "), Segment.line()]  # right edge
    return out


def _plain_frame(t: Table) -> bool:
    """Is every row of `t` one line of cells between unstyled blank edges and dividers?"""
    b = t.box
    return (b is not None and not t.pad_edge and t.show_edge and not t.show_lines
            and not (t.leading or t.row_styles or t.caption or t.show_footer or t.expand
                     or t.collapse_padding or t.highlight or t.width or t.min_width)
            and t.padding == (0, 1, 0, 1) and _null(t.border_style)
            and _null(t.style)
            and {b.mid_left, b.mid_vertical, b.mid_right, b.foot_left, b.foot_vertical,
                 b.foot_right} == {" "}
            and all((c.overflow == "ellipsis" or not c.no_wrap) and _null(c.style)
                    for c in t.columns))


def _null(style) -> bool:
    return not style or style == "none"  # rich's names for no style


def _fit(cell, width: int, justify: str) -> str | None:
    """A plain cell padded to `width` by string work, or None when rich must draw it (markup,
    control characters, styles, too long to fit, or a right-justified cell with trailing
    blanks)."""
    if not isinstance(cell, str) or "[" in cell or not cell.isprintable():
        return None  # markup, or control characters (rich's Text strips some of them)
    gap = width - cell_len(cell)
    if gap < 0:
        return None
    if justify == "right":
        return None if cell != cell.rstrip() else " " * gap + cell
    return cell + " " * gap if justify in ("left", "default") else None


def _styled(console: Console, options: ConsoleOptions, cell, width: int, justify: str,
            memo: dict) -> list[Segment] | None:
    """The segments rich draws for one cell of a fixed-width `no_wrap` column, or None when
    the cell takes several lines (a `Text` that asks to wrap)."""
    if isinstance(cell, str):
        key = (cell, width, justify)
    else:
        key = (cell.plain, str(cell.style), tuple(cell.spans), cell.justify, cell.no_wrap,
               cell.overflow, width, justify)
    if key in memo:
        return memo[key]
    # as Text.__rich_console__ draws it, then padded to the column's width
    text = (console.render_str(cell, highlight=False, markup=options.markup)
            if isinstance(cell, str) else cell)
    lines = text.wrap(console, width, justify=text.justify or justify,
                      overflow=text.overflow or "ellipsis",
                      no_wrap=True if text.no_wrap is None else text.no_wrap)
    segs = None
    if len(lines) == 1:
        segs = list(Text("\n").join(lines).render(console, end=""))
        gap = width - Segment.get_line_length(segs)
        segs = segs + [Segment(" " * gap)] if gap > 0 else segs
    memo[key] = segs
    return segs
