"""`taskctl next`, `ready`, `critical-path`, `graph`: planning on whatever could be loaded.

Spec problems are warnings here (only validate/gate fail on them). `next`, `ready` and
`critical-path` are answered from the content-keyed cache when nothing changed, without
importing the loader, yaml, jsonschema or networkx (see taskctl/core/plan/cache.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from taskctl.cli import options
from taskctl.cli.common import JsonOpt, WeightOpt, check_weight, opt, state


def register(app: typer.Typer) -> None:
    app.command("next")(next_)
    app.command()(ready)
    app.command("critical-path")(critical_path)
    app.command()(graph)


def planned(ctx: typer.Context, command: str, weight: str, opts: dict) -> None:
    """Print the command's report, from the cache or computed (and cached); warnings to
    stderr. Shares its option table and renderer with the fast entry (taskctl/cli/quick.py)."""
    from taskctl.cli import answers
    from taskctl.render.planning import show, warn_doc

    check_weight(weight)
    st = state(ctx)
    doc = answers.planned(st.root(), command, weight, st.dialect,
                          view=answers.view(command, opts))
    warn_doc(doc)
    show(command, doc["report"], opts)


def next_(
    ctx: typer.Context,
    n: Annotated[int, opt(options.LIMIT)] = options.LIMIT.default,
    explain: Annotated[bool, opt(options.EXPLAIN)] = options.EXPLAIN.default,
    weight: WeightOpt = options.WEIGHT.default,
    as_json: JsonOpt = options.JSON.default,
    claim: Annotated[bool, opt(options.CLAIM)] = options.CLAIM.default,
    agent: Annotated[str | None, opt(options.AGENT)] = options.AGENT.default,
    lease: Annotated[str, opt(options.LEASE)] = options.LEASE.default,
    pid: Annotated[int | None, opt(options.PID)] = options.PID.default,
) -> None:
    """Actionable tasks, best first: critical path, then priority, then work unblocked.
    Claimed and in-progress tasks are listed apart. With --claim: take the best free one."""
    if claim:
        _claim_next(ctx, agent, lease, pid, weight, as_json)
        return
    planned(ctx, "next", weight, {"n": n, "explain": explain, "json": as_json})


def _claim_next(ctx, agent, lease, pid, weight, as_json) -> None:
    from taskctl.cli.common import emit_json
    from taskctl.cli.identity import agent_name, agent_pid
    from taskctl.core.files.claims import parse_duration
    from taskctl.core.lifecycle.claiming import claim_next
    from taskctl.render.transitions import transition_line, warning_lines

    check_weight(weight)
    out = claim_next(state(ctx).root(), agent_name(agent), parse_duration(lease),
                     agent_pid(pid), weight)
    if as_json:
        emit_json(out)
    else:
        typer.echo(transition_line(out))
    if warning_lines(out):
        typer.echo(warning_lines(out), err=True, nl=False)


def ready(
    ctx: typer.Context,
    waves: Annotated[bool, opt(options.WAVES)] = options.WAVES.default,
    weight: WeightOpt = options.WEIGHT.default,
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """Tasks that can start now; with --waves, everything remaining in parallel waves."""
    planned(ctx, "ready", weight, {"waves": waves, "json": as_json})


def critical_path(
    ctx: typer.Context,
    weight: WeightOpt = options.WEIGHT.default,
    as_json: JsonOpt = options.JSON.default,
) -> None:
    """CPM over remaining work: earliest/latest start and finish, slack, the critical chain."""
    planned(ctx, "critical-path", weight, {"json": as_json})


GRAPH_FORMATS = ("mermaid", "dot", "png", "svg", "gantt")


def graph(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="mermaid|dot|png|svg|gantt")]
    = "mermaid",
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help="Write here (png/svg need it).")] = None,
    weight: WeightOpt = options.WEIGHT.default,
) -> None:
    """Dependency graph, statuses coloured, critical path highlighted (or a Gantt chart)."""
    from pathlib import Path

    from taskctl.errors import UsageError

    if fmt not in GRAPH_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}", f"choose {'|'.join(GRAPH_FORMATS)}")
    if fmt in ("png", "svg") and not output:
        raise UsageError(f"--format {fmt} needs --output FILE", "or use --format mermaid|dot")
    check_weight(weight)
    from taskctl.core.files import atomic
    from taskctl.core.plan import cpm
    from taskctl.render import graph as rg
    from taskctl.render.planning import warn

    bl = state(ctx).backlog(bodies=False)
    sched = cpm.schedule(bl, weight)
    for w in sched.warnings:
        warn(f"taskctl: warning: {w}")
    if not bl.tasks:  # still write the (empty) graph: a script that draws it should not break
        warn(f"taskctl: warning: no tasks in {bl.root} (read as the {bl.dialect} dialect): "
             "the graph is empty")
    if fmt in ("png", "svg"):
        from taskctl.render.picture import draw

        data = draw(rg.model(bl, sched), fmt)
    else:
        text = (rg.gantt(bl, sched) if fmt == "gantt" else
                getattr(rg, fmt)(rg.model(bl, sched)))
        data = text.encode("utf-8")
    if output:
        try:
            atomic.write_bytes(Path(output), data)
        except OSError as e:
            raise UsageError(f"cannot write {output}: {e.strerror or e}",
                             "choose a writable path for --output") from None
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)
