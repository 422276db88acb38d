"""`taskctl import` (Markdown TODO list -> .tasks), `export` (-> Markdown checklist) and
`report` (static HTML report)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from taskctl.cli.common import JsonOpt, emit_json, state
from taskctl.core.load.discovery import discover_or_new
from taskctl.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command()(export)
    app.command()(report)


def _read(path: Path) -> str:
    try:  # utf-8-sig: a byte-order mark (Windows editors) is not part of the first line
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}",
                         "give the path of a Markdown checklist (e.g. TODO.md)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}", "give a UTF-8 Markdown file") from None


def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(metavar="TODO.md", help="Markdown checklist.")],
    prefix: Annotated[str, typer.Option("--prefix", help="Id prefix of new tasks.")] = "T",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; write nothing.")
                       ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a Markdown TODO list: headings -> milestones (#) and phases (##), nested
    checkboxes -> tasks (a parent depends on its children), ticked -> completed_unverified.

    Re-importing an edited list updates the same tasks (stable ids); items gone from the list
    are reported, never deleted. Exit 0 on success, 2 on a bad file or option.
    """
    from taskctl.core.model import Backlog
    from taskctl.core.todo import apply as todo_apply
    from taskctl.core.todo import importer as todo_import
    from taskctl.core.todo import parse as todo_parse
    from taskctl.core.verify import runner

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", prefix):
        raise UsageError(f"bad --prefix {prefix!r}", "letters, digits, '-' or '_', e.g. T")
    doc = todo_parse.parse(_read(source))
    root = discover_or_new(state(ctx).tasks_dir)
    if root.is_dir():
        from taskctl.core.load.loader import load

        bl = load(root, dialect=state(ctx).dialect)
        if bl.dialect != "tasks":
            from taskctl.errors import NotWritable

            raise NotWritable(f"import writes canonical task files; {bl.rel(bl.root)} is read "
                              f"as the {bl.dialect} dialect",
                              "import into a new directory with --tasks-dir DIR, or convert "
                              "the store first (`taskctl convert --to tasks`)")
    else:
        bl = Backlog(root=root, tasks={}, manifest=None)
    now = runner.utc_now()
    plan = todo_import.plan(bl, doc, source.name, prefix, now)
    notes: list[str] = []
    if plan.changed and not dry_run:
        notes = todo_apply.apply(root, plan, now)
    if as_json:
        emit_json({**plan.to_dict(), "tasks_dir": str(root), "dry_run": dry_run,
                   "written": plan.changed and not dry_run, "notes": notes})
        return
    from taskctl.render.console import stdout
    from taskctl.render.markdown_export import import_lines

    for line in import_lines(plan, str(root), dry_run, notes):
        stdout().print(line, highlight=False)


def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="md (a Markdown checklist).")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write here (atomically), not stdout.")
                      ] = None,
) -> None:
    """A progress report as a Markdown checklist, grouped by milestone and phase.

    A box is ticked only for a completed task with fresh evidence or a sign-off;
    completed_unverified tasks stay unticked with a marker. `taskctl import` of the result
    matches every line to its task by id.
    """
    if fmt != "md":
        raise UsageError(f"unknown export format {fmt!r}", "supported: md")
    from taskctl.core.todo import export as todo_export
    from taskctl.render.markdown_export import render

    text = render(todo_export.build(state(ctx).backlog()))
    if output is None:
        typer.echo(text, nl=False)
        return
    from taskctl.core.files import atomic

    atomic.write_text(output, text)
    typer.echo(f"wrote {output}", err=True)


def report(
    ctx: typer.Context,
    html: Annotated[Path, typer.Option("--html", metavar="OUT_DIR",
                                       help="Directory for index.html (created).")],
    runs: Annotated[Path | None, typer.Option("--runs", metavar="DIR", help="Training runs "
                                              "(*/metrics.jsonl); default: <repo>/runs.")
                    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A static, self-contained HTML report (no network): status board, dependency graph with
    the critical path, evidence history per task, training loss curves and throughput."""
    from taskctl.core import report as report_data
    from taskctl.core.files import atomic
    from taskctl.render.html_report import render

    bl = state(ctx).backlog()
    data = report_data.build(bl, runs if runs is not None else bl.repo_root / "runs")
    page = html / "index.html"
    try:
        atomic.write_text(page, render(bl, data))
    except OSError as e:
        raise UsageError(f"cannot write {page}: {e.strerror or e}",
                         "choose a writable directory for --html") from None
    if as_json:
        emit_json({"path": str(page), "tasks": data.total, "counts": data.counts,
                   "runs": [r.name for r in data.runs], "graph": data.graph_note or "inline"})
    else:
        typer.echo(f"wrote {page} ({data.total} task(s), {len(data.runs)} run(s))")
