"""`taskctl next`, `ready`, `critical-path`, `graph`: planning on whatever could be loaded.

Spec problems are warnings here (only validate/gate fail on them). `next`, `ready` and
`critical-path` are answered from the content-keyed cache when nothing changed, without
importing the loader, yaml, jsonschema or networkx (see taskctl/core/cache.py).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from taskctl.cli.common import emit_json, state

WeightOpt = Annotated[str, typer.Option(
    "--weight", help="Estimate unit: hours|tokens|count|auto (auto: hours if any remaining "
    "task has them, else tokens, else count).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    app.command("next")(next_)
    app.command()(ready)
    app.command("critical-path")(critical_path)
    app.command()(graph)


def _check_weight(weight: str) -> None:
    from taskctl.core.estimates import WEIGHT_CHOICES

    if weight not in WEIGHT_CHOICES:
        from taskctl.errors import UsageError

        raise UsageError(f"unknown --weight {weight!r}", f"choose {'|'.join(WEIGHT_CHOICES)}")


def planned(ctx: typer.Context, command: str, weight: str) -> dict:
    """The command's report, from the cache or computed (and cached); warnings to stderr."""
    from taskctl.core import cache
    from taskctl.core.discovery import discover

    _check_weight(weight)
    root = discover(state(ctx).tasks_dir)
    params = {"weight": weight}
    k, doc = cache.get(root, command, params)
    if doc is None:
        doc = _compute(root, command, weight)
        cache.put(root, command, params, k, doc)
    errors, warnings = doc["problems"]
    if errors or warnings:
        _warn(f"taskctl: {errors} error(s) and {warnings} warning(s) in the specs; planning on "
              "what could be loaded (see `taskctl validate`)")
    for w in doc["report"].get("warnings", []):
        _warn(f"taskctl: warning: {w}")
    return doc["report"]


def _compute(root, command: str, weight: str) -> dict:
    from taskctl.core import cpm, plan
    from taskctl.core.loader import load

    bl = load(root, bodies=False)  # planning needs front matter only
    report = {"next": plan.next_report, "ready": plan.waves,
              "critical-path": lambda b, w: cpm.schedule(b, w).to_dict()}[command](bl, weight)
    return {"problems": [len(bl.errors), len(bl.problems) - len(bl.errors)], "report": report}


def _warn(line: str) -> None:
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    sys.stderr.write(f"\x1b[33m{line}\x1b[0m\n" if color else line + "\n")


def _print(renderable) -> None:
    from taskctl.render.console import stdout

    stdout().print(renderable, soft_wrap=False)


def next_(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("-n", "--limit", help="How many tasks (0: all).")] = 5,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Say why each task is where it is, and why others are not listed.")]
    = False,
    weight: WeightOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Actionable tasks, best first: critical path, then priority, then work unblocked."""
    rep = planned(ctx, "next", weight)
    if n > 0:
        rep = {**rep, "tasks": rep["tasks"][:n]}
    if not explain:
        rep = {k: v for k, v in rep.items() if k != "not_listed"}
    if as_json:
        emit_json(rep)
        return
    from taskctl.render.tables import next_table

    _print(next_table(rep, explain))


def ready(
    ctx: typer.Context,
    waves: Annotated[bool, typer.Option(
        "--waves", help="All remaining work as parallel waves (topological generations).")]
    = False,
    weight: WeightOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Tasks that can start now; with --waves, everything remaining in parallel waves."""
    rep = planned(ctx, "ready", weight)
    if not waves:
        first = rep["waves"][0]["tasks"] if rep["waves"] else []
        rep = {**rep, "waves": [{"wave": 1, "tasks": [t for t in first if not t["held_by"]],
                                 "weight": rep["waves"][0]["weight"]}] if first else []}
    if as_json:
        emit_json(rep)
        return
    from taskctl.render.tables import waves_view

    _print(waves_view(rep))


def critical_path(
    ctx: typer.Context,
    weight: WeightOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """CPM over remaining work: earliest/latest start and finish, slack, the critical chain."""
    rep = planned(ctx, "critical-path", weight)
    if as_json:
        emit_json(rep)
        return
    from taskctl.render.tables import cpm_table

    _print(cpm_table(rep))


GRAPH_FORMATS = ("mermaid", "dot", "png", "svg", "gantt")


def graph(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid|dot|png|svg|gantt")]
    = "mermaid",
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help="Write here (png/svg need it).")] = None,
    weight: WeightOpt = "auto",
) -> None:
    """Dependency graph, statuses coloured, critical path highlighted (or a Gantt chart)."""
    from pathlib import Path

    from taskctl.errors import UsageError

    if fmt not in GRAPH_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}", f"choose {'|'.join(GRAPH_FORMATS)}")
    if fmt in ("png", "svg") and not output:
        raise UsageError(f"--format {fmt} needs --output FILE", "or use --format mermaid|dot")
    _check_weight(weight)
    from taskctl.core import atomic, cpm
    from taskctl.render import graph as rg

    bl = state(ctx).backlog()
    sched = cpm.schedule(bl, weight)
    for w in sched.warnings:
        _warn(f"taskctl: warning: {w}")
    if fmt in ("png", "svg"):
        from taskctl.render.picture import draw

        draw(rg.model(bl, sched), Path(output), fmt)
        typer.echo(f"wrote {output}", err=True)
        return
    text = (rg.gantt(bl, sched) if fmt == "gantt" else
            getattr(rg, fmt)(rg.model(bl, sched)))
    if output:
        atomic.write_text(Path(output), text)
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)
