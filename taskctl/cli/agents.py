"""`taskctl context`, `history`, `stats` and `mcp`: what agents read, and the MCP server."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
Id = Annotated[str, typer.Argument(metavar="TASK_ID")]


def register(app: typer.Typer) -> None:
    app.command()(context)
    app.command()(history)
    app.command()(stats)
    app.command()(mcp)


def _print(renderable) -> None:
    from taskctl.render.console import stdout

    stdout().print(renderable, soft_wrap=False)


def context(
    ctx: typer.Context,
    task_id: Id,
    budget: Annotated[int | None, typer.Option(
        "--budget", metavar="TOKENS", help="Fit the output in this many tokens, counted as "
        "ceil(characters / 3.5); parts are cut by priority and the cut is noted.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """What an agent needs to start a task: body, acceptance items, dependencies and what it
    unblocks (one line each), context/*.md — within a token budget."""
    from taskctl.core.lifecycle.context import build

    out = build(state(ctx).backlog(warn=False, body_of=task_id), task_id, budget)
    if as_json:
        emit_json(out)
    else:
        typer.echo(out["text"], nl=False)


def history(ctx: typer.Context, task_id: Id, as_json: JsonOpt = False) -> None:
    """Every event of a task, oldest first (taskctl's and agents' own update files)."""
    from taskctl.core.lifecycle.events import read
    from taskctl.errors import UnknownTask

    bl = state(ctx).backlog(warn=False, bodies=False)
    evs = read(bl.root)
    rows = [e.to_dict() for e in evs.of(task_id)]
    if task_id not in bl.tasks and not rows:
        raise UnknownTask(f"unknown task id {task_id}", "see `taskctl list` for the ids")
    if as_json:
        emit_json({"task": task_id, "events": rows, "skipped_files": evs.skipped})
    else:
        from taskctl.render.lifecycle import history_table

        _print(history_table(task_id, rows))
    _not_events(evs.skipped)


def stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Actual durations (claim/start -> completion), estimate accuracy per task and phase,
    throughput per week — from the events in updates/."""
    from taskctl.core.lifecycle.stats import report

    rep = report(state(ctx).backlog(warn=False, bodies=False))
    if as_json:
        emit_json(rep)
    else:
        from taskctl.render.lifecycle import stats_view

        _print(stats_view(rep))
    _not_events(rep["skipped_files"])


def _not_events(skipped: list[str]) -> None:
    """A warning on stderr for update files that are not events (skipped, never fatal)."""
    if skipped:
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        typer.echo(f"taskctl: warning: {len(skipped)} file(s) in updates/ are not events and "
                   f"were skipped: {', '.join(skipped[:5])}{more}", err=True)


def mcp(ctx: typer.Context) -> None:
    """Serve the Model Context Protocol over stdio (needs `pip install 'taskctl[mcp]'`)."""
    from taskctl.errors import UsageError

    try:
        from taskctl.cli import mcp_server
    except ImportError as e:
        raise UsageError(f"the MCP server needs the `mcp` package ({e})",
                         "pip install 'taskctl[mcp]'") from None
    mcp_server.serve(state(ctx).tasks_dir)
