"""The planning views as plain data, composed without rich: `Para` (styled text, as rich's
`Text`), `Grid` (a fitted table: fixed column widths) and lists of them (a `Group`).

`next`, `ready`, `critical-path`, `list`, `status` and the claims table are composed here once
(`show`'s task view in `render/taskview.py`, with `Panel` and `Fields`). Two
drawers take them: `render/tables.py` turns them into rich renderables (a terminal, colour),
`render/plain.py` writes them as the text rich would print where it prints no styles (a pipe,
NO_COLOR), byte for byte, without importing rich — 75 ms on a 2-core machine, more than the
interpreter's own start-up, paid by every read that is not replayed (after any edit).

Cells are plain text as shown (never rich markup: the rich drawer escapes them) or `Para`s.
`status` and `show` also have `Boxed` tables (rich's default box at natural widths, narrowed
by rich when too wide).
"""

from __future__ import annotations

import re
from functools import cache

from taskctl.core.status import TaskStatus

STATUS_STYLE = {
    TaskStatus.COMPLETED: "green", TaskStatus.CANCELLED: "dim", TaskStatus.IN_PROGRESS: "cyan",
    TaskStatus.PENDING: "white", TaskStatus.BLOCKED: "red", TaskStatus.DEFERRED: "magenta",
    TaskStatus.COMPLETED_UNVERIFIED: "yellow",
}
WIDE = 120  # from this width on, `list` also shows phase, milestone and tags
MAX_COL = 24  # a short column is cut (…) beyond this
# characters one terminal cell wide that rich keeps as they are (Latin, Greek and Cyrillic
# letters, punctuation, arrows, box drawing): text made of them is as wide as it is long;
# anything else is measured by rich (tests/taskctl/render/test_plain.py checks every one)
_NARROW = ("[\x20-\x7e\xa1-\xac\xae-\u02ff\u0370-\u0377\u037a-\u037f"
           "\u0384-\u038a\u038c\u038e-\u03a1\u03a3-\u0482\u048a-\u052f"
           "\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u259f]*")


class Para:
    """Styled text, as rich's `Text`: `style` covers the whole text, each appended span its
    own part."""

    __slots__ = ("style", "spans")

    def __init__(self, text: str = "", style: str = ""):
        self.style, self.spans = style, [(text, "")] if text else []

    @classmethod
    def of(cls, style: str, spans: list) -> Para:
        """A `Para` in `style` made of (text, style) `spans`."""
        p = cls(style=style)
        for text, st in spans:
            p.append(text, st)
        return p

    def append(self, text: str | Para, style: str = "") -> Para:
        """`text` in `style`, or a whole `Para` in its own styles (as rich's `Text.append`)."""
        if text:
            self.spans.append((text, style))
        return self

    @property
    def plain(self) -> str:
        return "".join(t if isinstance(t, str) else t.plain for t, _ in self.spans)


class Column:
    __slots__ = ("name", "width", "justify", "wrap")

    def __init__(self, name: str, width: int, justify: str, wrap: bool):
        self.name, self.width, self.justify, self.wrap = name, width, justify, wrap


class Grid:
    """A table of fixed-width columns (`fitted`): a title, a header, one row per list."""

    __slots__ = ("title", "columns", "rows")

    def __init__(self, title: str, columns: list[Column], rows: list[list]):
        self.title, self.columns, self.rows = title, columns, rows


class Boxed:
    """A small table at its natural width in rich's default heavy-headed box (`status`'s
    counts): a title, (name, justify) columns, rows."""

    __slots__ = ("title", "columns", "rows")

    def __init__(self, title: str, columns: list[tuple[str, str]], rows: list[list]):
        self.title, self.columns, self.rows = title, columns, rows


class Panel:
    """A box as wide as the console (rich's `Panel`: rounded corners, one-cell padding) with
    `title` at its left, around a `Para` or `Fields` (`show`)."""

    __slots__ = ("title", "body")

    def __init__(self, title: str, body: Para | Fields):
        self.title, self.body = title, body


class Fields:
    """(name, value) rows in two borderless columns two cells apart, names in bold (rich's
    `Table.grid(padding=(0, 2))`): a task's fields in `show`."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[tuple[str, str | Para]]):
        self.rows = rows


def plain(cell) -> str:
    return cell if isinstance(cell, str) else cell.plain


def narrow(text: str) -> bool:
    """Is `text` drawn one cell per character (so its width is its length)? ASCII text is
    without the pattern (compiling it costs ≈ 0.7 ms of a cold read)."""
    if text.isascii():
        return text.isprintable()  # the ASCII part of the set: space to ~
    return _narrow().fullmatch(text) is not None


@cache
def _narrow() -> re.Pattern:
    return re.compile(_NARROW)


def cell_width(text: str) -> int:
    """The cells rich gives `text` (control characters dropped, wide characters two)."""
    if narrow(text):
        return len(text)
    from rich.text import Text

    return Text(text).cell_len


def layout(columns: list[str], widths: list[int], width: int, flex: str,
           right: tuple[str, ...] = (), wrap: bool = False) -> list[Column]:
    """Column widths that fit `width`: every column but `flex` as wide as its widest cell
    (`widths`, at most MAX_COL), `flex` takes what is left and is cut with … when it must be,
    so a row is one line — unless `wrap`, when `flex` wraps instead (its text is never lost)."""
    fixed = sum(min(w, MAX_COL) for c, w in zip(columns, widths, strict=True) if c != flex)
    room = max(8, width - fixed - (3 * len(columns) - 1))  # rich: 3n-1 cells of borders/padding
    return [Column(c, min(w, room) if c == flex else min(w, MAX_COL),
                   "right" if c in right else "left", wrap and c == flex)
            for c, w in zip(columns, widths, strict=True)]


def fitted(title: str, columns: list[str], rows: list[list], width: int, flex: str,
           right: tuple[str, ...] = (), wrap: bool = False) -> Grid:
    widths = [max([len(c), *(cell_width(plain(r[i])) for r in rows)])
              for i, c in enumerate(columns)]
    return Grid(title, layout(columns, widths, width, flex, right, wrap), rows)


def status(value: str) -> Para:
    label = "completed?" if value == TaskStatus.COMPLETED_UNVERIFIED else value
    return Para(label, STATUS_STYLE.get(value, ""))


def fmt(value, unit: str) -> str:
    from taskctl.core.plan.estimates import fmt as f

    return f(float(value), unit) if value is not None else "-"


def bar(percent: float | None, width: int = 10) -> Para:
    if percent is None:
        return Para("no tasks", "yellow")
    filled = round(width * percent / 100)
    return Para("█" * filled, "green").append("░" * (width - filled), "dim").append(
        f" {percent:5.1f}%")


def wrapped(text: str, width: int, indent: str, first: str = "") -> list[str]:
    """`first` + `text` in lines of at most `width` characters (later lines indented), broken
    at spaces of `text` only (`first` is kept whole): the console prints soft-wrapped (it
    never cuts), so long lines are wrapped here."""
    import textwrap

    return textwrap.wrap(text, max(width, 20), initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first]


def next_view(report: dict, width: int, explain: bool = False) -> list:
    unit = report["weight"]
    rows = []
    for i, r in enumerate(report["tasks"], 1):
        slack = Para("critical", "bold red") if r["critical"] else fmt(r["slack"], unit)
        rows.append([str(i), r["id"], r["priority"], status(r["status"]), slack,
                     f"{fmt(r['unblocks'], unit)} ({r['unblocks_count']})", r["title"]])
    t = fitted(f"Next (critical path {fmt(report['total'], unit)})",
               ["#", "id", "pri", "status", "slack", "unblocks", "title"], rows, width, "title")
    none = ("no tasks found" if report.get("tasks_total") == 0
            else "nothing is actionable right now")
    if report.get("held") and not report["tasks"]:
        none = "no free work: everything actionable is held"
    parts: list = [t] if report["tasks"] else [Para(none, "yellow")]
    if report.get("held"):  # claimed / in progress: never shown as free work
        parts.append(held(report["held"], width))
    if explain and report["tasks"]:
        why = Para()
        for i, r in enumerate(report["tasks"], 1):
            head = f"{i}. {r['id']}: "
            lines = wrapped(r["reason"], width, " " * len(f"{i}. "), first=head)
            why.append(head, "bold")  # the first line begins with it, never split
            why.append("\n".join(lines)[len(head):] + "\n")
        parts.append(why)
    if explain and report.get("not_listed"):
        rows = [[r["id"], status(r["status"]), r["reason"]] for r in report["not_listed"]]
        parts.append(fitted(f"Not listed ({len(rows)})", ["id", "status", "why not"], rows,
                            width, "why not", wrap=True))
    return parts


def waves_view(report: dict, width: int) -> list:
    unit = report["weight"]
    parts: list = []
    for w in report["waves"]:
        rows = [[r["id"], r["priority"], status(r["status"]), fmt(r["weight"], unit),
                 "; ".join(r["held_by"]) or ("critical" if r["critical"] else ""), r["title"]]
                for r in w["tasks"]]
        parts.append(fitted(f"Wave {w['wave']} ({len(w['tasks'])} task(s), longest "
                            f"{fmt(w['weight'], unit)})",
                            ["id", "pri", "status", "weight", "note", "title"], rows, width,
                            "title"))
    if not parts:
        parts.append(Para("no remaining work", "green"))
    parts.append(Para(f"{len(report['waves'])} wave(s); at most {report['max_parallel']} "
                      f"task(s) in parallel; critical path {fmt(report['total'], unit)}"))
    return parts


def cpm_view(report: dict, width: int) -> Grid:
    """Every remaining task's schedule; on the critical path, id and figures in bold red."""
    unit = report["weight"]
    on_path = set(report["path"])
    rows = []
    for r in report["tasks"]:
        cells: list = [r["id"], *(fmt(r[k], unit) for k in (
            "weight", "earliest_start", "earliest_finish", "latest_start", "latest_finish",
            "slack"))]
        if r["id"] in on_path:
            cells = [Para(c, "bold red") for c in cells]
        rows.append([cells[0], status(r.get("status") or ""), *cells[1:]])
    cols = ["id", "status", "weight", "ES", "EF", "LS", "LF", "slack"]
    title = (f"Critical path: {' → '.join(report['path']) or '(none)'}  "
             f"total {fmt(report['total'], unit)}")
    return fitted("\n".join(wrapped(title, width, "  ")), cols, rows, width, "id",
                  right=tuple(cols[2:]))


def held(rows: list[dict], width: int) -> Grid:
    """Actionable work somebody holds (`next` lists it apart from free work)."""
    from taskctl.render.claims import claim_cell

    cells = [[r["id"], status(r["status"]), Para.of(*claim_cell(r.get("claim"))), r["title"]]
             for r in rows]
    return fitted("Held (claimed or in progress: not free work)",
                  ["id", "status", "held by", "title"], cells, width, "held by")


def claims(holders: dict[str, dict], width: int) -> Grid:
    """Who holds which task: owner, live/expired/dead, age, lease left (`status`, `list`)."""
    from taskctl.render.claims import holder_row

    cells = [holder_row(tid, h) for tid, h in sorted(holders.items())]
    return fitted(f"Claims ({len(holders)})", ["id", "owner", "state", "age", "lease left"],
                  cells, width, "owner")


def list_view(rows: list[dict], width: int = 80) -> Grid:
    """One line per task at any width; phase, milestone and tags only on wide terminals."""
    wide = width >= WIDE
    cols = ["id", "status", "pri", "depends on", *(("phase", "milestone", "tags") if wide else ()),
            "title"]
    cells = [[r["id"], status(r["status"]), r["priority"], ", ".join(r["depends_on"]),
              *((r["phase"] or "", r["milestone"] or "", ", ".join(r["tags"])) if wide else ()),
              r["title"]] for r in rows]
    return fitted(f"{len(rows)} task(s)", cols, cells, width, "title")


def progress(title: str, rows: list[dict], unit: str, width: int,
             name_key: str = "name") -> Grid:
    """One line per phase or milestone at any width: the name takes what is left."""
    cols = ["name", "progress", "done", "remaining", "parked", "left"]
    cells = [[str(r[name_key]) + (f" {r['title']}" if r.get("title") else ""),
              bar(r["percent"]), f"{r['done']}/{r['total']}", str(r["remaining"]),
              str(r["parked"]), fmt(r["remaining_weight"], unit)] for r in rows]
    return fitted(title, cols, cells, width, "name", right=tuple(cols[2:]))


def status_view(rep: dict, width: int) -> list:
    unit = rep["weight"]
    head = Para(f"{rep['store']} read as the {rep['dialect']} dialect")
    if not rep["tasks"]:
        return [head, Para(f"no tasks found in {rep['store']}", "yellow")]
    counts = Boxed(f"{rep['tasks']} task(s) by status", [("status", "left"), ("count", "right")],
                   [[status(s), str(n)] for s, n in rep["by_status"].items()])
    parts: list = [head, counts, Para("overall  ").append(bar(rep["overall"]["percent"]))]
    if rep.get("files_not_read"):
        parts.insert(1, Para(f"{rep['files_not_read']} file(s) look like tasks but were not "
                             "read (`taskctl validate` lists them)", "yellow"))
    if rep["phases"]:
        parts.append(progress("Phases", rep["phases"], unit, width))
    if rep["milestones"]:
        parts.append(progress("Milestones", rep["milestones"], unit, width, "id"))
    if rep.get("mvp"):
        parts.append(progress("MVP subset", [{"name": "MVP", **rep["mvp"]}], unit, width))
    parts.append(Para(f"remaining estimate: {fmt(rep['remaining_estimate'], unit)}; critical "
                      f"path {fmt(rep['critical_path_total'], unit)}: "
                      f"{' → '.join(rep['critical_path']) or '(none)'}"))
    if rep["unverified"]:
        parts.append(Para(f"completed but unverified: {', '.join(rep['unverified'])}",
                          "yellow"))
    return parts
