"""Rich renderables for the planning views composed in `render/blocks.py` (`to_rich`), and the
rich-level pieces other views build with (`fitted_table`, `status_text`, `bar`)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from taskctl.render import blocks
from taskctl.render.blocks import MAX_COL, STATUS_STYLE, WIDE, fmt  # noqa: F401 - their API
from taskctl.render.console import width as _width
from taskctl.render.rows import FittedTable


def to_rich(view):
    """A `blocks` view (a `Para`, a `Grid`, a `Boxed`, a `Panel`, `Fields` or a list of them)
    as rich draws it."""
    if isinstance(view, list):
        return Group(*map(to_rich, view))
    if isinstance(view, blocks.Boxed):
        t = Table(title=_title(view.title), title_justify="left")
        for name, justify in view.columns:
            t.add_column(_cell(name), justify=justify)
        for r in view.rows:
            t.add_row(*map(_cell, r))
        return t
    if isinstance(view, blocks.Panel):
        from rich.panel import Panel

        return Panel(to_rich(view.body), title=Text(view.title) if view.title else None,
                     title_align="left")
    if isinstance(view, blocks.Fields):
        g = Table.grid(padding=(0, 2))
        g.add_column(style="bold")
        g.add_column()
        for name, value in view.rows:
            g.add_row(_cell(name), _cell(value))
        return g
    if isinstance(view, blocks.Grid):
        return FittedTable(_frame(_title(view.title), view.columns),
                           [[_cell(c) for c in r] for r in view.rows])
    return _text(view)


def _title(title: str) -> Text | None:
    """A title as text, styled as rich styles a markup one (`escape` is not exact on
    backslashes)."""
    return Text(title, style="table.title") if title else None


def _text(p: blocks.Para) -> Text:
    t = Text(style=p.style)
    for s, style in p.spans:
        t.append(s if isinstance(s, str) else _text(s), style=style or None)
    return t


def _cell(c):
    if isinstance(c, str):  # markup is not exact on backslashes (`\\[`, a last `\\`): text
        return Text(c) if "\\" in c else escape(c)
    return _text(c)


def _frame(title: str | Text | None, columns: list[blocks.Column]) -> Table:
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for c in columns:
        t.add_column(c.name, no_wrap=not c.wrap, overflow="fold" if c.wrap else "ellipsis",
                     justify=c.justify, width=c.width)
    return t


def status_text(status: str) -> Text:
    return _text(blocks.status(status))


def bar(percent: float | None, width: int = 10) -> Text:
    return _text(blocks.bar(percent, width))


def next_table(report: dict, explain: bool = False):
    return to_rich(blocks.next_view(report, _width(), explain))


def waves_view(report: dict):
    return to_rich(blocks.waves_view(report, _width()))


def cpm_table(report: dict, width: int | None = None) -> FittedTable:
    return to_rich(blocks.cpm_view(report, width or _width()))


def held_table(rows: list[dict], width: int | None = None) -> FittedTable:
    return to_rich(blocks.held(rows, width or _width()))


def claims_table(holders: dict[str, dict], width: int | None = None) -> FittedTable:
    return to_rich(blocks.claims(holders, width or _width()))


def list_table(rows: list[dict], width: int = 80) -> FittedTable:
    return to_rich(blocks.list_view(rows, width))


def fitted_table(title: str, columns: list[str], rows: list[list], width: int, flex: str,
                 right: tuple[str, ...] = (), wrap: bool = False) -> FittedTable:
    """`blocks.fitted` for rich cells (markup strings and `Text`s): a table that fits
    `width`, drawn row by row (render/rows.py: 10,000 rows in ~0.3 s)."""
    widths = [natural_width(c, (r[i] for r in rows)) for i, c in enumerate(columns)]
    return FittedTable(_frame(title, blocks.layout(columns, widths, width, flex, right, wrap)),
                       rows)


def natural_width(header: str, cells) -> int:
    """The width a column needs to show its header and every cell without cutting."""
    return max([len(header), *(Text.from_markup(c).cell_len if isinstance(c, str) else c.cell_len
                               for c in cells)])
