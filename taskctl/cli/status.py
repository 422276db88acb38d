"""`taskctl status`, `list`, `show`, `milestone`: the state of the backlog, read-only."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli.common import JsonOpt, WeightOpt, check_weight, emit_json, state


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command("list")(list_)
    app.command()(show)
    app.command()(milestone)


def _print(renderable) -> None:
    from taskctl.render.console import stdout

    stdout().print(renderable, soft_wrap=False)


def status(
    ctx: typer.Context,
    weight: WeightOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Counts by status, progress per phase and milestone, the remaining estimate."""
    from taskctl.core.plan.progress import status_report

    check_weight(weight)
    bl = state(ctx).backlog(bodies=False)
    rep = status_report(bl, weight)
    rep["claims"] = _holders(bl)
    if as_json:
        emit_json(rep)
        return
    from taskctl.render.views import status_view

    _print(status_view(rep))
    _print_claims(rep["claims"])


def _holders(bl) -> dict:
    from taskctl.core.lifecycle.holders import holders

    return holders(bl)


def _print_claims(held: dict) -> None:
    if held:
        from taskctl.render.tables import claims_table

        _print(claims_table(held))


def list_(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(
        "--status", help="A status (aliases accepted), or `remaining`.")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="P0..P4")] = None,
    tag: Annotated[str | None, typer.Option("--tag")] = None,
    phase: Annotated[str | None, typer.Option("--phase", help="Manifest phase name or "
                                              "a task's `phase` value.")] = None,
    milestone: Annotated[str | None, typer.Option("--milestone")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tasks, filtered (all filters must match)."""
    from taskctl.core.plan.progress import filter_tasks, task_row

    bl = state(ctx).backlog(bodies=False)
    rows = [task_row(t) for t in filter_tasks(bl, status, priority, tag, phase, milestone)]
    held = _holders(bl)
    for r in rows:
        r["held_by"] = held.get(r["id"])
    if as_json:
        emit_json({"tasks": rows})
        return
    from taskctl.render.console import stdout
    from taskctl.render.tables import list_table

    _print(list_table(rows, stdout().width))
    _print_claims({r["id"]: r["held_by"] for r in rows if r["held_by"]})


def show(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="TASK_ID")],
    as_json: JsonOpt = False,
) -> None:
    """One task in full: fields, sections, acceptance items, dependencies and dependents."""
    from taskctl.core.plan.progress import task_report

    rep = task_report(state(ctx).backlog(), task_id)
    if as_json:
        emit_json({"task": rep})
        return
    from taskctl.render.views import task_view

    _print(task_view(rep))


def milestone(
    ctx: typer.Context,
    milestone_id: Annotated[str | None, typer.Argument(metavar="[MILESTONE_ID]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Milestone progress and what remains (without an id: every milestone)."""
    from taskctl.core.plan.progress import milestone_report

    rep = milestone_report(state(ctx).backlog(bodies=False), milestone_id)
    if as_json:
        emit_json(rep)
        return
    from taskctl.render.views import milestone_view

    _print(milestone_view(rep))
