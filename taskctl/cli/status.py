"""`taskctl status`, `list`, `show`, `milestone`: the state of the backlog, read-only."""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli import options
from taskctl.cli.common import JsonOpt, WeightOpt, check_weight, emit_json, opt, state


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command("list")(list_)
    app.command()(show)
    app.command()(milestone)


def _print(renderable) -> None:
    from taskctl.render.console import stdout

    stdout().print(renderable, soft_wrap=False)


def _answer(ctx: typer.Context, command: str, opts: dict) -> None:
    """Cached or computed, printed by the renderer the fast entry uses (cli/answers.py)."""
    from taskctl.cli import answers

    st = state(ctx)
    root = st.root()
    answers.render(command, answers.answer(root, command, opts, st.dialect), opts, root)


def status(
    ctx: typer.Context,
    weight: WeightOpt = options.WEIGHT.default,
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """Counts by status, progress per phase and milestone, the remaining estimate."""
    check_weight(weight)
    _answer(ctx, "status", {"weight": weight, "json": as_json})


def list_(
    ctx: typer.Context,
    status: Annotated[str | None, opt(options.STATUS)] = options.STATUS.default,
    priority: Annotated[str | None, opt(options.PRIORITY)] = options.PRIORITY.default,
    tag: Annotated[str | None, opt(options.TAG)] = options.TAG.default,
    phase: Annotated[str | None, opt(options.PHASE)] = options.PHASE.default,
    milestone: Annotated[str | None, opt(options.MILESTONE)] = options.MILESTONE.default,
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """Tasks, filtered (all filters must match)."""
    _answer(ctx, "list", {"status": status, "priority": priority, "tag": tag, "phase": phase,
                          "milestone": milestone, "json": as_json})


def show(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="TASK_ID")],
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """One task in full: fields, sections, acceptance items, dependencies and dependents."""
    _answer(ctx, "show", {"task_id": task_id, "json": as_json})


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
