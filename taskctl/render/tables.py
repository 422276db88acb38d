"""Rich tables for planning results (the JSON-ready dicts from taskctl.core.plan/cpm/progress)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from taskctl.core.status import TaskStatus
from taskctl.render.rows import FittedTable

STATUS_STYLE = {
    TaskStatus.COMPLETED: "green", TaskStatus.CANCELLED: "dim", TaskStatus.IN_PROGRESS: "cyan",
    TaskStatus.PENDING: "white", TaskStatus.BLOCKED: "red", TaskStatus.DEFERRED: "magenta",
    TaskStatus.COMPLETED_UNVERIFIED: "yellow",
}


def status_text(status: str) -> Text:
    label = "completed?" if status == TaskStatus.COMPLETED_UNVERIFIED else status
    return Text(label, style=STATUS_STYLE.get(status, ""))


def fmt(value, unit: str) -> str:
    from taskctl.core.plan.estimates import fmt as f

    return f(float(value), unit) if value is not None else "-"


def _width() -> int:
    from taskctl.render.console import stdout

    return stdout().width


def bar(percent: float | None, width: int = 10) -> Text:
    if percent is None:
        return Text("no tasks", style="yellow")
    filled = round(width * percent / 100)
    t = Text("█" * filled, style="green")
    t.append("░" * (width - filled), style="dim")
    t.append(f" {percent:5.1f}%")
    return t


def next_table(report: dict, explain: bool = False):
    unit = report["weight"]
    rows = []
    for i, r in enumerate(report["tasks"], 1):
        slack = Text("critical", style="bold red") if r["critical"] else Text(fmt(r["slack"], unit))
        rows.append([str(i), r["id"], r["priority"], status_text(r["status"]), slack,
                     f"{fmt(r['unblocks'], unit)} ({r['unblocks_count']})", escape(r["title"])])
    t = fitted_table(f"Next (critical path {fmt(report['total'], unit)})",
                     ["#", "id", "pri", "status", "slack", "unblocks", "title"], rows,
                     _width(), "title")
    none = ("no tasks found" if report.get("tasks_total") == 0
            else "nothing is actionable right now")
    if report.get("held") and not report["tasks"]:
        none = "no free work: everything actionable is held"
    parts = [t] if report["tasks"] else [Text(none, style="yellow")]
    if report.get("held"):  # claimed / in progress: never shown as free work
        parts.append(held_table(report["held"]))
    if explain and report["tasks"]:
        why, width = Text(), _width()
        for i, r in enumerate(report["tasks"], 1):
            head = f"{i}. {r['id']}: "
            lines = _wrapped(r["reason"], width, " " * len(f"{i}. "), first=head)
            why.append(head, style="bold")  # the first line begins with it, never split
            why.append("\n".join(lines)[len(head):] + "\n")
        parts.append(why)
    if explain and report.get("not_listed"):
        rows = [[r["id"], status_text(r["status"]), escape(r["reason"])]
                for r in report["not_listed"]]
        parts.append(fitted_table(f"Not listed ({len(rows)})", ["id", "status", "why not"],
                                  rows, _width(), "why not", wrap=True))
    return Group(*parts)


def waves_view(report: dict):
    unit = report["weight"]
    parts = []
    for w in report["waves"]:
        rows = [[r["id"], r["priority"], status_text(r["status"]), fmt(r["weight"], unit),
                 escape("; ".join(r["held_by"]) or ("critical" if r["critical"] else "")),
                 escape(r["title"])] for r in w["tasks"]]
        parts.append(fitted_table(f"Wave {w['wave']} ({len(w['tasks'])} task(s), longest "
                                  f"{fmt(w['weight'], unit)})",
                                  ["id", "pri", "status", "weight", "note", "title"], rows,
                                  _width(), "title"))
    if not parts:
        parts.append(Text("no remaining work", style="green"))
    parts.append(Text(f"{len(report['waves'])} wave(s); at most {report['max_parallel']} "
                      f"task(s) in parallel; critical path {fmt(report['total'], unit)}"))
    return Group(*parts)


def cpm_table(report: dict, width: int | None = None) -> FittedTable:
    """Every remaining task's schedule; on the critical path, id and figures in bold red."""
    unit = report["weight"]
    on_path = set(report["path"])
    rows = []
    for r in report["tasks"]:
        cells = [r["id"], *(fmt(r[k], unit) for k in (
            "weight", "earliest_start", "earliest_finish", "latest_start", "latest_finish",
            "slack"))]
        if r["id"] in on_path:
            cells = [Text(c, style="bold red") for c in cells]
        rows.append([cells[0], status_text(r.get("status") or ""), *cells[1:]])
    cols = ["id", "status", "weight", "ES", "EF", "LS", "LF", "slack"]
    width = width or _width()
    title = (f"Critical path: {' → '.join(report['path']) or '(none)'}  "
             f"total {fmt(report['total'], unit)}")
    return fitted_table("\n".join(_wrapped(title, width, "  ")), cols, rows, width, "id",
                        right=tuple(cols[2:]))


def _wrapped(text: str, width: int, indent: str, first: str = "") -> list[str]:
    """`first` + `text` in lines of at most `width` characters (later lines indented), broken
    at spaces of `text` only (`first` is kept whole): the console prints soft-wrapped (it
    never cuts), so long lines are wrapped here."""
    import textwrap

    return textwrap.wrap(text, max(width, 20), initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first]


WIDE = 120  # from this width on, `list` also shows phase, milestone and tags
MAX_COL = 24  # a short column is cut (…) beyond this


def fitted_table(title: str, columns: list[str], rows: list[list], width: int, flex: str,
                 right: tuple[str, ...] = (), wrap: bool = False) -> FittedTable:
    """A table that fits `width` columns: every column but `flex` is as wide as its widest
    cell (at most MAX_COL), `flex` takes what is left and is cut with … when it must be, so a
    row is one line — unless `wrap`, when `flex` wraps instead (its text is never lost)."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    widths = [natural_width(c, (r[i] for r in rows)) for i, c in enumerate(columns)]
    fixed = sum(min(w, MAX_COL) for c, w in zip(columns, widths, strict=True) if c != flex)
    room = max(8, width - fixed - (3 * len(columns) - 1))  # rich: 3n-1 cells of borders/padding
    for c, w in zip(columns, widths, strict=True):
        t.add_column(c, no_wrap=not (wrap and c == flex),
                     overflow="fold" if wrap and c == flex else "ellipsis",
                     justify="right" if c in right else "left",
                     width=min(w, room) if c == flex else min(w, MAX_COL))
    return FittedTable(t, rows)  # drawn row by row (render/rows.py): 10,000 rows in ~0.3 s


def held_table(rows: list[dict], width: int | None = None) -> FittedTable:
    """Actionable work somebody holds (`next` lists it apart from free work)."""
    from taskctl.render.claims import claim_cell

    cells = [[r["id"], status_text(r["status"]), claim_cell(r.get("claim")), escape(r["title"])]
             for r in rows]
    return fitted_table("Held (claimed or in progress: not free work)",
                        ["id", "status", "held by", "title"], cells, width or _width(), "held by")


def claims_table(holders: dict[str, dict], width: int | None = None) -> FittedTable:
    """Who holds which task: owner, live/expired/dead, age, lease left (`status`, `list`)."""
    from taskctl.render.claims import holder_row

    cells = [holder_row(tid, h) for tid, h in sorted(holders.items())]
    return fitted_table(f"Claims ({len(holders)})", ["id", "owner", "state", "age",
                                                     "lease left"], cells, width or _width(),
                        "owner")


def natural_width(header: str, cells) -> int:
    """The width a column needs to show its header and every cell without cutting."""
    return max([len(header), *(Text.from_markup(c).cell_len if isinstance(c, str) else c.cell_len
                               for c in cells)])


def list_table(rows: list[dict], width: int = 80) -> FittedTable:
    """One line per task at any width; phase, milestone and tags only on wide terminals."""
    wide = width >= WIDE
    cols = ["id", "status", "pri", "depends on", *(("phase", "milestone", "tags") if wide else ()),
            "title"]
    cells = [[r["id"], status_text(r["status"]), r["priority"], ", ".join(r["depends_on"]),
              *((r["phase"] or "", r["milestone"] or "", ", ".join(r["tags"])) if wide else ()),
              escape(r["title"])] for r in rows]
    return fitted_table(f"{len(rows)} task(s)", cols, cells, width, "title")
